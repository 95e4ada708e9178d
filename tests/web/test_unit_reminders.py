"""Reminders (催办) on the unit home: each person marks one read (已读) for themselves; it is audited."""

from __future__ import annotations

import pytest

from tests.web.conftest import submit
from tests.web.test_unit_report import assignment_of
from tracker.services import chasing
from tracker.services.scoping import Scope
from tracker.store.models import AuditEvent


@pytest.fixture(autouse=True)
def may_2024(monkeypatch, database_url):
    monkeypatch.setenv("TRACKER_NOW", "2024-05-20T10:00:00+08:00")


@pytest.fixture
def chased(people):
    a = assignment_of("安康市乡村振兴局")
    return chasing.chase_one(
        Scope.of(people["inspector"]), assignment_id=a.id, message="请于本周内报送5月进展"
    )


def test_a_clerk_marks_a_reminder_read_and_only_they_see_it_read(web_as, chased):
    clerk = web_as("clerk")
    home = clerk.get("/unit/")
    item = home.html.find("li", class_="reminder")
    assert "请于本周内报送5月进展" in item.text and "标为已读" in item.text

    after = submit(home, f"/unit/reminders/{chased.reminder_id}/read").follow()
    assert "已标为已读" in after.text
    item = after.html.find("li", class_="reminder")
    assert "已读 · 2024年5月20日 10:00" in item.text and "标为已读" not in item.text

    logged = AuditEvent.get(AuditEvent.action == "reminder.read")
    assert logged.actor == "clerk" and logged.entity_id == str(chased.reminder_id)

    # Read per person: the unit's leader still has it unread.
    boss = web_as("boss").get("/unit/").html.find("li", class_="reminder")
    assert "标为已读" in boss.text


def test_another_units_clerk_cannot_mark_it(web_as, chased):
    other = web_as("other")
    page = other.get("/unit/")
    token = page.html.find("input", attrs={"name": "csrf_token"})["value"]
    other.post(f"/unit/reminders/{chased.reminder_id}/read", {"csrf_token": token}, status=404)
    assert not AuditEvent.select().where(AuditEvent.action == "reminder.read").exists()
