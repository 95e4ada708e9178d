"""一键催办 on the missing-report list: all of one unit's missing reports chased in one action, one
audited reminder per item, and pressing again sends nothing twice."""

from __future__ import annotations

import pytest

from tracker.store.models import AuditEvent, Delivery, Reminder, Unit


def chase_form(page, unit_id: int):
    """The 一键催办 form of one unit's row, as served."""
    forms = [
        f
        for k, f in page.forms.items()
        if isinstance(k, int) and f.action == "/office/missing/chase" and f["unit"].value == str(unit_id)
    ]
    assert len(forms) == 1
    return forms[0]


@pytest.fixture(autouse=True)
def july_2024(monkeypatch, database_url):
    monkeypatch.setenv("TRACKER_NOW", "2024-07-01T10:00:00+08:00")  # June's reports are due and none filed


def test_the_office_chases_every_missing_report_of_one_unit_at_once(web_as):
    office = web_as("inspector")
    page = office.get("/office/missing")
    unit = Unit.get_by_id(int(page.html.select_one("form.bulk-chase input[name=unit]")["value"]))
    form = chase_form(page, unit.id)
    missing = int(
        page.html.find("input", attrs={"name": "unit", "value": str(unit.id)})
        .find_parent("tr")
        .find("td", attrs={"data-label": "缺报"})
        .text
    )
    assert missing > 1

    form["slip"] = "2"
    done = form.submit().follow()
    assert f"发出 {missing} 份黄色督办单" in done.text

    reminders = list(Reminder.select().where(Reminder.unit == unit.id))
    assert len(reminders) == missing
    assert len({r.assignment_id for r in reminders}) == missing and {r.period for r in reminders} == {
        "2024-06"
    }
    assert all(r.step == 2 and r.created_by == "inspector" for r in reminders)
    created = AuditEvent.select().where(
        AuditEvent.action == "reminder.create", AuditEvent.actor == "inspector"
    )
    assert created.count() == missing
    # the list counts each item as chased once
    again = office.get("/office/missing")
    row = again.html.find("input", attrs={"name": "unit", "value": str(unit.id)}).find_parent("tr")
    assert row.text.count("催1") == missing

    assert all("2024-06 缺报" in r.message for r in reminders)

    # Pressing again (a double click, or the next day) sends nothing twice.
    deliveries = Delivery.select().count()
    form = chase_form(again, unit.id)
    form["slip"] = "2"
    repeat = form.submit().follow()
    assert "未重复发送" in repeat.text
    assert Reminder.select().where(Reminder.unit == unit.id).count() == missing
    assert Delivery.select().count() == deliveries


def test_a_leader_sees_the_list_without_the_chase_form(web_as):
    page = web_as("leader").get("/office/missing")
    assert "一键催办" not in page.text
