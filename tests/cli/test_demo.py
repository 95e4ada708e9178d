"""`tracker demo` builds a fresh demo database with every role, and never eats real data."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pytest

from tracker.cli import cli


def test_demo_replaces_a_database_that_an_earlier_demo_made(runner, database_url, shipped_plans):
    from tracker.demo import DEMO_MARK
    from tracker.store.db import init_database
    from tracker.store.models import Setting, User

    runner.invoke(cli, ["load", str(shipped_plans[0])])
    runner.invoke(cli, ["users", "add", "old-admin", "--role", "admin"])
    init_database()
    Setting.create(key=DEMO_MARK, value="made by tracker demo")  # as an earlier `tracker demo` leaves it
    again = runner.invoke(cli, ["demo"])
    assert again.exit_code == 0, again.output
    init_database()
    assert not User.select().where(User.username == "old-admin").exists()
    assert len(json.loads(runner.invoke(cli, ["plans", "--json"]).output)) == 5


def test_demo_refuses_a_database_with_real_data(runner, database_url, shipped_plans):
    runner.invoke(cli, ["load", str(shipped_plans[0])])
    result = runner.invoke(cli, ["demo"])
    assert result.exit_code == 1
    assert "非演示数据" in result.output
    plans = json.loads(runner.invoke(cli, ["plans", "--json"]).output)
    assert [p["code"] for p in plans] == ["ankang-2023"]


def test_demo_reports_a_year_with_some_late_some_missing_some_returned(
    runner, database_url, monkeypatch, tmp_path
):
    from collections import Counter

    from tracker.rules.periods import Period
    from tracker.services.boards import monthly_board, plan_by_code
    from tracker.store.db import init_database
    from tracker.store.models import Report, ReportReturn

    monkeypatch.setenv("TRACKER_NOW", "2024-11-20T10:00:00+08:00")
    monkeypatch.setenv("TRACKER_INSTANCE", str(tmp_path / "instance"))
    result = runner.invoke(cli, ["demo"])
    assert result.exit_code == 0, result.output
    for label in ("单位填报员", "单位负责人", "督查室", "领导", "管理员"):
        assert label in result.output
    _each_clerk_has_its_own_password(result.output, tmp_path / "instance" / "demo-passwords.txt")
    plans = json.loads(runner.invoke(cli, ["plans", "--json"]).output)
    assert sorted(p["code"] for p in plans) == [
        "ankang-2023",
        "chongqing-2020-pilots",
        "chongqing-2023-counties",
        "xunyi-2024",
        "zixing-2021",
    ]
    init_database()
    assert Report.select().count() > 5000
    assert ReportReturn.select().count() > 50
    reports = Counter()
    for month in (8, 9, 10):  # the autumn's boards: mostly on time, some late, some missing
        board, _ = monthly_board(plan_by_code("xunyi-2024"), Period(2024, month))
        reports.update(m.report.value for m in board.measures)
    assert reports["on_time"] > reports["late"] > 0 and reports["missing"] > 0

    from tracker.store.models import Bulletin, Finding, Reminder

    assert {f.state for f in Finding.select()} == {"open", "answered", "closed"}
    assert {r.step for r in Reminder.select()} == {1, 2, 3}
    from tracker.store.models import Delivery

    assert Delivery.select().where(Delivery.read_at.is_null(False)).exists()  # ak-hanbin read one (已读)
    assert Bulletin.select().exists()
    sites = Path(os.environ["TRACKER_SITES_DIR"])
    assert (sites / "xunyi-2024" / "2024-10" / "board.json").exists()

    # Levels: Xunyi's towns are judged against their share of the 60 危改户, never the whole; the
    # county's lead against 60 from the towns' summed values; pilots are ranked among pilots; a
    # county office sees its county only; 城口县's share went down to towns and on to villages.
    from tracker.rules.periods import Year
    from tracker.services.boards import assessment

    year = assessment(plan_by_code("xunyi-2024"), Year(2024))  # as the office reads it on 11-20
    towns = [s for s in year.scores if s.unit.kind == "town"]
    assert len(towns) == 10
    assert not [line for s in towns for line in s.lines if "2.4" in line.text and "60户" in line.text]
    october = json.loads((sites / "xunyi-2024" / "2024-10" / "board.json").read_text(encoding="utf-8"))
    (houses,) = [i for m in october["measures"] if m["code"] == "2.4" for i in m["indicators"][:1]]
    assert houses["target"] == 60 and houses["value"] is not None
    # Four counties toward one 700 亿元 without shares: each reports its own part, the sum nears 700.
    ledger = json.loads((sites / "chongqing-2023-counties" / "2024-09" / "board.json").read_text("utf-8"))
    (gdp,) = [i for m in ledger["measures"] if m["code"] == "2.3.1" for i in m["indicators"]]
    assert gdp["target"] == 700 and 0 < gdp["value"] <= 700
    from tracker.rules.cuts import cuts

    pilots = assessment(plan_by_code("chongqing-2020-pilots"), Year(2020))  # what its bulletin cuts
    cut = next(c for c in cuts(pilots.scores) if (c.by, c.value) == ("tag", "试点区县"))
    assert sorted(s.unit.name for s in cut.scores) == ["云阳县", "武隆区", "潼南区"]
    from tracker.services.scoping import Scope
    from tracker.services.supervision.overview import overview
    from tracker.store.models import Assignment, Unit, User

    county = Scope.of(User.get(User.username == "xy-duchashi"))
    as_of = datetime.fromisoformat("2024-11-20T10:00:00+08:00")
    assert overview(plan_by_code("xunyi-2024"), as_of, units=county.units).rows
    assert not overview(plan_by_code("ankang-2023"), as_of, units=county.units).rows
    villages = (
        Assignment.select()
        .join(Unit, on=(Assignment.unit == Unit.id))
        .where(Unit.kind == "village", Assignment.parent.is_null(False))
    )
    assert villages.count() == 2

    # Other systems plugged in: the printed token reads the unit's assignments through the API, a
    # report it filed is audited with its name, and the event subscription queued that report.
    import re

    from tracker.store.models import ApiToken, AuditEvent, Delivery, ReportRevision
    from tracker.web import create_app

    secret = re.search(r"市政务平台对接”:(trk_\S+?)\)", result.output).group(1)
    assert ApiToken.select().count() == 2
    assert ReportRevision.select().where(ReportRevision.source == "api").count() == 1
    assert AuditEvent.select().where(AuditEvent.actor == "ak-xczx(令牌:市政务平台对接)").exists()
    queued = [d.payload["event"]["type"] for d in Delivery.select().where(Delivery.channel == "event")]
    assert queued == ["report.filed"]
    api = create_app({"TESTING": True, "SECRET_KEY": "test"}).test_client()
    answer = api.get("/api/v1/assignments?plan=ankang-2023", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 200 and answer.get_json()["items"]

    # Xunyi's own reviews are published next to the calendar quarters.
    for key in ("dispatch-2024-05", "midyear-2024-06", "dispatch-2024-08"):
        bulletin = json.loads((sites / "xunyi-2024" / key / "bulletin.json").read_text("utf-8"))
        assert bulletin["kind"] == "review" and bulletin["ranking"], key
    assert (sites / "xunyi-2024" / "2024Q3" / "bulletin.json").exists()
    # Zixing (2021–2025) is adopted with the demo's first month: no ranking of earlier years.
    zixing = {p.name for p in (sites / "zixing-2021").iterdir()}
    assert not {"2021", "2022", "2021Q4", "2022Q4", "2023Q3"} & zixing
    assert {"2023-11", "2024Q3"} <= zixing

    # The September board and the Q3 bulletin read the same planned value for Ankang's 2.8.1.
    board = json.loads((sites / "ankang-2023" / "2024-09" / "board.json").read_text("utf-8"))
    q3 = json.loads((sites / "ankang-2023" / "2024Q3" / "bulletin.json").read_text("utf-8"))
    measure = next(m for m in board["measures"] if m["code"] == "2.8.1")
    assert measure["planned"] == 53.13  # 518 of the 975 days from 2023-05-01 to 2025-12-31
    (lead,) = [r for r in q3["ranking"] if r["short"] == measure["lead"][0]]
    progress = [line for line in lead["lines"] if line["part"] == "progress" and "措施 2.8.1" in line["text"]]
    if measure["percent"] < measure["planned"]:
        (line,) = progress
        assert f"进度 {measure['percent']}%，计划 53.13%" in line["text"]
        assert measure["light"] in ("amber", "red")
        if measure["light"] == "amber":
            # The measure's light names each unit behind; its lead is among them.
            assert f"{lead['short']}：进度 {measure['percent']}%，低于计划 53.13%" in measure["reasons"]
    else:
        assert progress == [] and not any("低于计划" in r for r in measure["reasons"])


def _each_clerk_has_its_own_password(output, listing):
    """The generated clerks do not share a password: each has its own, listed in a file only its owner
    reads, which the demo names; one clerk's password does not open another's account."""
    import stat

    from tracker.services.auth import AuthError, sign_in
    from tracker.store.db import init_database
    from tracker.store.models import User

    assert str(listing) in output
    assert stat.S_IMODE(listing.stat().st_mode) == 0o600
    rows = [
        line.split(" ", 2) for line in listing.read_text("utf-8").splitlines() if not line.startswith("#")
    ]
    init_database()
    clerks = {u.username for u in User.select().where(User.username.startswith("u0"))}
    assert len(rows) == len(clerks) > 100 and {r[0] for r in rows} == clerks
    assert len({r[1] for r in rows}) == len(rows)
    (first, mine, _), (second, theirs, _) = rows[:2]
    assert sign_in(first, mine).user.username == first
    with pytest.raises(AuthError):
        sign_in(second, mine)
    assert sign_in(second, theirs).user.username == second
