"""A monthly plan adopted in May, with one quarterly measure, its own review windows, a ceiling
indicator and its own weights: the boards, the bulletins and the scores a clerk would work out by
hand, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from decimal import Decimal

import pytest
from click.testing import CliRunner

from tracker.cli import cli
from tracker.clock import TZ
from tracker.plans.load import load_plans
from tracker.rules.periods import Period
from tracker.services import reports, sheets
from tracker.services.boards import assessment, monthly_board
from tracker.services.publishing import PublishError, publish, publish_due
from tracker.services.scoping import Scope
from tracker.services.users import add_user
from tracker.store.models import Assignment, Measure, Plan, Publication, User

PLAN = """\
plan:
  code: calendar-2024
  title: 测试县乡村振兴重点任务分工
  start: 2024-01-01
  end: 2024-12-31
  reporting: {cadence: monthly, due_day: 25, start: 2024-05-01}
  reviews:
    - {code: dispatch, name: 季调度, months: [5, 8]}
  scoring: {weights: {on_time: 50, progress: 30, findings: 10, quality: 10}, red_penalty: 5}
units:
  - {name: 测试县农业农村局, short: 县农业农村局}
  - {name: 测试县金融办, short: 县金融办}
  - {name: 测试县水利局, short: 县水利局}
sections:
  - code: "1"
    title: 重点任务
    measures:
      - {code: "1.1", title: 推进农村改厕, lead: [县农业农村局], start: 2024-05-01, deadline: 2024-12-31}
      - code: "1.2"
        title: 防控涉农贷款风险
        lead: [县金融办]
        recurring: monthly
        indicators:
          - {name: 贷款逾期率, unit: "%", kind: rate, direction: down, target: 0.5,
             milestones: [{date: 2024-06-30, value: 0.5}]}
      - {code: "1.3", title: 小型水库除险加固, lead: [县水利局], cadence: quarterly, deadline: 2024-12-31}
"""
FARM, FINANCE, WATER = "测试县农业农村局", "测试县金融办", "测试县水利局"
# (clerk, period, sent at, percent, 逾期率); June's 1.2 report never comes.
REPORTS = [
    ("nong", "2024-05", "2024-05-20 10:00", 20, None),
    ("jin", "2024-05", "2024-05-20 10:00", 50, "0.4"),
    ("nong", "2024-06", "2024-06-20 10:00", 30, None),
    ("nong", "2024-07", "2024-07-20 10:00", 35, None),
    ("jin", "2024-07", "2024-07-24 10:00", 50, "0.7"),  # above the ceiling: behind, accepted
    ("nong", "2024-08", "2024-08-27 10:00", 40, None),  # two days late
    ("jin", "2024-08", "2024-08-25 10:00", 50, "0.6"),
    # 1.3 reports quarterly: 2024Q2 is due Tuesday 25 June; 2024Q3 not before 25 September.
    ("shui", "2024Q2", "2024-06-24 10:00", 45, None),
]
UNIT_OF = {"nong": FARM, "jin": FINANCE, "shui": WATER}


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture
def plan(database, tmp_path, monkeypatch):
    (tmp_path / "plan.yaml").write_text(PLAN, encoding="utf-8")
    load_plans([tmp_path / "plan.yaml"])
    plan = Plan.get(Plan.code == "calendar-2024")
    clerks = {
        "nong": Scope.of(add_user("nong", "reporter", FARM, "a long password", must_change=False)[0]),
        "jin": Scope.of(add_user("jin", "reporter", FINANCE, "a long password", must_change=False)[0]),
        "shui": Scope.of(add_user("shui", "reporter", WATER, "a long password", must_change=False)[0]),
    }
    lead = {
        a.unit.name: a
        for a in Assignment.select(Assignment, Measure).join(Measure).where(Measure.plan == plan)
    }
    for clerk, period, sent, percent, rate in REPORTS:
        monkeypatch.setenv("TRACKER_NOW", moment(sent).isoformat())
        unit = UNIT_OF[clerk]
        values = {} if rate is None else {"贷款逾期率": Decimal(rate)}
        reports.save_revision(
            clerks[clerk],
            lead[unit].id,
            period,
            reports.ReportInput(percent=percent, indicator_values=values),
        )
    monkeypatch.setenv("TRACKER_NOW", moment("2024-09-02 10:00").isoformat())
    return plan


def lines(score) -> list[str]:
    return [str(line) for line in score.lines]


def by_unit(result) -> dict:
    return {s.unit.name: s for s in result.scores}


def test_the_may_review_ranks_only_what_came_after_adoption(plan):
    result = assessment(plan, _review(plan, "dispatch-2024-05"))
    farm, finance = by_unit(result)[FARM], by_unit(result)[FINANCE]
    # One report due (May); 1.1 planned 30 of 244 days = 12.3%, reported 20%; 1.2's milestone not yet due.
    assert lines(farm) == [
        "+50.0 按时报送（权重 50 分，应报 1 期）",
        "+30.0 按计划推进（权重 30 分，计 1 项）",
        "+10.0 问题按期整改（权重 10 分，本期无到期问题）",
        "+10.0 质量评价未录入，按满分计（权重 10 分）",
    ]
    assert (farm.score, finance.score) == (Decimal("100.00"), Decimal("100.00"))
    # 1.3 reports quarterly: no report falls due in May and none came, so neither on-time reporting
    # nor progress has anything to judge; the parts are full.
    assert lines(by_unit(result)[WATER]) == [
        "+50.0 按时报送（权重 50 分，本期无应报）",
        "+30.0 按计划推进（权重 30 分，无可比进度）",
        "+10.0 问题按期整改（权重 10 分，本期无到期问题）",
        "+10.0 质量评价未录入，按满分计（权重 10 分）",
    ]
    # Equal scores, no red: by name, 农 (U+519C) before 水 (U+6C34) before 金 (U+91D1).
    assert [s.unit.name for s in result.scores] == [FARM, WATER, FINANCE]


def test_the_august_review_scores_in_proportion_with_the_plans_weights(plan):
    result = assessment(plan, _review(plan, "dispatch-2024-08"))
    farm, finance = by_unit(result)[FARM], by_unit(result)[FINANCE]
    # June to August: three reports; August's came late and loses half its share of 50/3.
    # 1.1 planned 122 of 244 days = 50% by 31 August, reported 40%: 40/50 of 30 points.
    assert [str(line) for line in farm.lines if line.points < 0] == [
        "−8.33 措施 1.1 8月报送迟报 2 个工作日",
        "−6.0 措施 1.1 进度 40%，计划 50%，按比例得 80%",
    ]
    assert farm.score == Decimal("50") - Decimal("8.33") + Decimal("24") + Decimal("20")
    # June missing loses a whole share; 逾期率 0.6% over a 0.5% ceiling earns 0.5/0.6 of 30 points.
    assert [str(line) for line in finance.lines if line.points < 0] == [
        "−16.67 措施 1.2 6月报送缺报",
        "−5.0 措施 1.2 指标「贷款逾期率」落后于节点（6月30日应不高于 0.5%，实报 0.6%），按比例得 83.33%",
    ]
    assert finance.score == Decimal("33.33") + Decimal("25") + Decimal("20")
    # 1.3: of June, July and August only June closes a quarter: one report due (2024Q2, on time).
    # Work began with the plan on 1 January (adoption only holds reporting back): planned by 31
    # August is 243 of 365 days = 66.575…%, printed 66.58%; reported 45%, so it earns
    # 45/66.575… = 67.59% of 30 points, losing 30 × (1 − 0.67593) = 9.72.
    water = by_unit(result)[WATER]
    assert lines(water) == [
        "+50.0 按时报送（权重 50 分，应报 1 期）",
        "+30.0 按计划推进（权重 30 分，计 1 项）",
        "−9.72 措施 1.3 进度 45%，计划 66.58%，按比例得 67.59%",
        "+10.0 问题按期整改（权重 10 分，本期无到期问题）",
        "+10.0 质量评价未录入，按满分计（权重 10 分）",
    ]
    assert water.score == Decimal("50") + Decimal("30") - Decimal("9.72") + Decimal("20")  # 90.28
    # 90.28 (水利局) > 85.67 (农业农村局) > 78.33 (金融办).
    assert [s.unit.name for s in result.scores] == [WATER, FARM, FINANCE]
    assert (farm.red, finance.red, water.red) == (0, 0, 0)


def test_the_august_board_states_the_planned_value_the_review_compared_with(plan):
    board, _ = monthly_board(plan, Period(2024, 8))
    toilets = next(m for m in board.measures if m.code == "1.1")
    assert (toilets.percent, toilets.planned, toilets.light.value) == (40, Decimal("50"), "amber")
    assert "进度 40%，低于计划 50%" in toilets.reasons
    loans = next(m for m in board.measures if m.code == "1.2")
    assert loans.light.value == "amber"  # above its ceiling: behind, not implausible
    reservoirs = next(m for m in board.measures if m.code == "1.3")
    # The August board shows the latest quarterly report (2024Q2, 45%) against 66.58% planned, the
    # value the review compared with, and nothing is missing: the next quarter is due in September.
    assert (reservoirs.percent, reservoirs.planned, reservoirs.light.value) == (45, Decimal("66.58"), "amber")
    assert reservoirs.report.value == "not_due"
    assert reservoirs.report_reasons == ("本月无需报送（2024年第3季度报送9月25日截止）",)


def test_a_quarterly_measure_is_due_only_in_the_month_its_quarter_closes(plan):
    seen = {}
    for month in (5, 6, 7):
        board, _ = monthly_board(plan, Period(2024, month))
        row = next(m for m in board.measures if m.code == "1.3")
        water = next(u for u in board.units if u.name == WATER)
        seen[month] = (row.percent, row.report.value, row.report_reasons[0], water.missing)
    assert seen == {
        5: (None, "not_due", "本月无需报送（2024年第2季度报送6月25日截止）", 0),
        6: (45, "on_time", "2024年第2季度按时报送", 0),
        7: (45, "not_due", "本月无需报送（2024年第3季度报送9月25日截止）", 0),
    }


def test_the_may_board_and_the_may_review_agree_that_the_quarterly_measure_is_not_behind(plan):
    board, _ = monthly_board(plan, Period(2024, 5))
    reservoirs = next(m for m in board.measures if m.code == "1.3")
    # Nothing filed and nothing due before 25 June: the review judges no progress (its part is full,
    # above), so the board's light does not call it behind plan either.
    assert (reservoirs.percent, reservoirs.light.value) == (None, "green")
    assert not [r for r in reservoirs.reasons if "低于计划" in r]


def test_the_quarter_stays_the_default_and_counts_no_month_before_adoption(plan):
    result = assessment(plan, Period(2024, 6).quarter)
    finance = by_unit(result)[FINANCE]  # 1.2 starts with the plan in January: adoption holds it back
    assert lines(finance)[:2] == ["+50.0 按时报送（权重 50 分，应报 2 期）", "−25.0 措施 1.2 6月报送缺报"]
    # 1.3 by 30 June: planned 181 of 365 days = 49.589…%; 45/49.589… = 90.75% of 30, losing 2.78.
    assert lines(by_unit(result)[WATER])[:3] == [
        "+50.0 按时报送（权重 50 分，应报 1 期）",
        "+30.0 按计划推进（权重 30 分，计 1 项）",
        "−2.78 措施 1.3 进度 45%，计划 49.59%，按比例得 90.75%",
    ]


def test_nothing_before_adoption_is_published_and_the_catch_up_starts_there(plan, tmp_path):
    with pytest.raises(PublishError, match="采用日 2024-05-01"):
        publish("calendar-2024", ["2024-04"], tmp_path / "sites", now=moment("2024-09-02 10:00"))
    refused = CliRunner().invoke(
        cli, ["publish", "--plan", "calendar-2024", "--period", "2024-03", "--out", str(tmp_path / "s")]
    )
    assert refused.exit_code == 1 and "采用日" in refused.output

    publish_due(moment("2024-09-02 10:00"), tmp_path / "sites")
    published = {p.board for p in Publication.select()}
    assert published == {
        "2024-05",
        "2024-06",
        "2024-07",
        "2024-08",
        "2024Q2",
        "dispatch-2024-05",
        "dispatch-2024-08",
    }
    folder = tmp_path / "sites" / "calendar-2024"
    bulletin = json.loads((folder / "dispatch-2024-08" / "bulletin.json").read_text("utf-8"))
    assert bulletin["kind"] == "review" and bulletin["review"]["name"] == "季调度"
    assert bulletin["periods"] == ["2024-06", "2024-07", "2024-08"]
    assert bulletin["weights"]["on_time"] == 50 and bulletin["weights"]["red_penalty"] == 5
    assert (folder / "dispatch-2024-08" / "ranking.csv").is_file()
    assert "2024年8月季调度" in (folder / "dispatch-2024-08" / "index.html").read_text("utf-8")
    # The board and the bulletin read the same planned value for 1.1.
    board = json.loads((folder / "2024-08" / "board.json").read_text("utf-8"))
    planned = next(m for m in board["measures"] if m["code"] == "1.1")["planned"]
    farm = next(r for r in bulletin["ranking"] if r["name"] == FARM)
    assert planned == 50
    assert any(f"计划 {planned:g}%" in line["text"] for line in farm["lines"])
    # So do they for the quarterly 1.3, and July's board shows its June report, not a missing one.
    reservoirs = next(m for m in board["measures"] if m["code"] == "1.3")
    water = next(r for r in bulletin["ranking"] if r["name"] == WATER)
    assert (reservoirs["planned"], reservoirs["percent"]) == (66.58, 45)
    assert any("进度 45%，计划 66.58%" in line["text"] for line in water["lines"])
    july = json.loads((folder / "2024-07" / "board.json").read_text("utf-8"))
    row = next(m for m in july["measures"] if m["code"] == "1.3")
    assert (row["percent"], row["report"]) == (45, "not_due")

    again = CliRunner().invoke(
        cli,
        ["publish", "--plan", "calendar-2024", "--review", "dispatch:2024-07", "--out", str(tmp_path / "s")],
    )
    assert again.exit_code == 1 and "没有在 2024-07 结束的评比 'dispatch'" in again.output


def _review(plan, key):
    from tracker.services.publishing import plan_reviews

    return next(w for w in plan_reviews(plan) if str(w) == key)


def test_the_quarterly_measure_takes_its_own_period_on_the_form_and_the_sheet(plan):
    water = Scope.of(User.get(User.username == "shui"))
    (assignment,) = Assignment.select().join(Measure).where(Measure.code == "1.3")
    with pytest.raises(reports.InvalidReport) as refused:
        reports.save_revision(water, assignment.id, "2024-08", reports.ReportInput(percent=50))
    assert str(refused.value) == "报送期“2024-08”不对：本项每季度报送，报送期应写作 2024Q2 的形式"
    with pytest.raises(reports.InvalidReport, match="尚未到来"):
        reports.save_revision(water, assignment.id, "2024Q4", reports.ReportInput(percent=50))

    # The unit's home names the quarter it reports for next, not the month.
    (home,) = reports.unit_home(water).plans
    (row,) = home.rows
    assert (row.period, row.status) == ("2024Q3", "not_due")
    assert row.status_reason == "2024年第3季度报送未到期（9月25日 23:59 前）"

    # The September sheet gives 1.3 its quarter in the 报送期 column; a month there is refused by row.
    book = sheets.write_template("calendar-2024", "2024-09", WATER, today=date(2024, 9, 2))
    grid = book["调度表"]
    columns = {cell.value: cell.column for cell in grid[1]}
    assert grid.cell(2, columns["报送期"]).value == "2024Q3"
    grid.cell(2, columns["完成进度(%)"]).value = 60
    grid.cell(2, columns["是否完成"]).value = "否"
    for name in ("工作进展", "存在问题", "下步计划"):
        grid.cell(2, columns[name]).value = "已完成3座水库主体工程。"
    grid.cell(2, columns["报送期"]).value = "2024-09"
    with pytest.raises(sheets.SheetError) as wrong:
        sheets.import_sheet(_saved(book), water)
    assert wrong.value.problems == [
        "第2行 D列(报送期):报送期“2024-09”不对：本项每季度报送，报送期应写作 2024Q2 的形式"
    ]
    grid.cell(2, columns["报送期"]).value = "2024Q3"
    assert sheets.import_sheet(_saved(book), water).saved == 1


def _saved(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_quarterly_report_revised_after_it_fell_due_stays_on_time_on_the_next_quarters_boards(
    plan, monkeypatch
):
    # 2024Q2 came on 24 June, a day before it fell due; the water bureau revised it on 10 July.
    water = Scope.of(User.get(User.username == "shui"))
    reservoirs = Assignment.select().join(Measure).where(Measure.code == "1.3", Measure.plan == plan).get()
    monkeypatch.setenv("TRACKER_NOW", moment("2024-07-10 10:00").isoformat())
    reports.save_revision(water, reservoirs.id, "2024Q2", reports.ReportInput(percent=50))
    monkeypatch.setenv("TRACKER_NOW", moment("2024-09-02 10:00").isoformat())
    board, _ = monthly_board(plan, Period(2024, 8))
    row = next(m for m in board.measures if m.code == "1.3")
    # It shows the revised 50%, and the quarter is judged by when it first came: not late.
    assert (row.percent, row.light.value) == (50, "amber")
    assert row.reasons == ("进度 50%，低于计划 66.58%",)
