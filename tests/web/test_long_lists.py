"""The long lists page on the server and search by name: the admin's users and the office's (and the
leaders') findings ledger, with a unit picked by typing its name (a datalist, no script)."""

from __future__ import annotations

import datetime as dt

import pytest

from tracker.services import supervision
from tracker.services.scoping import Scope
from tracker.services.users import add_user
from tracker.store.models import Assignment, Finding, Unit, User
from tracker.web.paging import PAGE_SIZE


@pytest.fixture(autouse=True)
def may_2024(monkeypatch, database_url):
    monkeypatch.setenv("TRACKER_NOW", "2024-05-20T10:00:00+08:00")


def test_the_users_list_pages_and_finds_a_person_by_name_or_unit(web_as, people):
    for n in range(PAGE_SIZE + 10):
        add_user(
            f"clerk{n:03d}",
            "reporter",
            "安康市汉滨区",
            "correct horse battery",
            display_name=f"填报员{n:03d}",
        )
    add_user("zhangwei", "reporter", "安康市乡村振兴局", "correct horse battery", display_name="张伟")
    admin = web_as("admin")
    first = admin.get("/admin/users")
    total = User.select().count()
    assert len(first.html.select("table.users tbody tr")) == PAGE_SIZE
    assert f"共 {total} 条，第 1–{PAGE_SIZE} 条" in first.text
    second = first.click(linkid=None, href=r"page=2", index=0)
    assert len(second.html.select("table.users tbody tr")) == total - PAGE_SIZE

    form = first.forms[[k for k, f in first.forms.items() if isinstance(k, int) and "q" in f.fields][0]]
    form["q"] = "张伟"
    found = form.submit()
    names = [td.text for td in found.html.select('td[data-label="姓名"]')]
    assert names == ["张伟"]
    by_unit = admin.get("/admin/users", {"q": "汉滨区"})
    assert "共 " in by_unit.text and "张伟" not in by_unit.text
    assert by_unit.html.select("nav.pager a")  # more than a page of 汉滨区 clerks: page links keep the search
    assert all("q=" in a["href"] for a in by_unit.html.select("nav.pager a"))


def test_the_findings_ledger_pages_searches_and_filters_by_a_typed_unit_name(web_as, people):
    office = Scope.of(people["inspector"])
    units = {u.name: u for u in Unit.select().where(Unit.name.in_(["安康市汉滨区", "安康市乡村振兴局"]))}
    for n in range(PAGE_SIZE + 5):
        unit = units["安康市汉滨区"] if n % 2 else units["安康市乡村振兴局"]
        a = Assignment.select().where(Assignment.unit == unit.id).first()
        supervision.open_finding(
            office,
            unit_id=unit.id,
            measure_id=a.measure_id,
            title=f"台账问题{n:03d}" if n != 7 else "易地搬迁后续扶持台账缺页",
            detail="抽查发现",
            rectify_by=dt.date(2024, 8, 31),
        )
    total = Finding.select().count()
    for who in ("inspector", "leader"):
        web = web_as(who)
        page = web.get("/office/findings")
        assert len(page.html.select("table.findings tbody tr")) == PAGE_SIZE
        assert f"共 {total} 个问题" in page.text
        assert page.html.select_one("nav.pager a[rel=next]")

        # 单位: typed, picked from the datalist of the units' names.
        assert page.html.select_one("input#f-unit")["list"] == "f-units"
        assert "汉滨区" in [o["value"] for o in page.html.select("datalist#f-units option")]
        form = page.forms[[k for k, f in page.forms.items() if isinstance(k, int) and "state" in f.fields][0]]
        form["unit"] = "汉滨区"
        only = form.submit()
        shown_units = {td.text.strip() for td in only.html.select('td[data-label="单位"]')}
        assert shown_units == {"汉滨区"}, shown_units
        assert only.html.select_one("input#f-unit")["value"] == "汉滨区"

        form = page.forms[[k for k, f in page.forms.items() if isinstance(k, int) and "state" in f.fields][0]]
        form["q"] = "易地搬迁"
        found = form.submit()
        titles = [a.text for a in found.html.select('td[data-label="问题"] a')]
        assert titles == ["易地搬迁后续扶持台账缺页"]
