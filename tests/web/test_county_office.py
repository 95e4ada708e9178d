"""A county's office (an inspector scoped to 东岭县) through the app: its overview lists its county and
towns only; another county's assignment answers 404 and is logged."""

from __future__ import annotations

from tests.services.test_levels import PLAN
from tests.web.conftest import sign_in
from tracker.plans.load import load_plans
from tracker.services.users import add_user
from tracker.store.models import Assignment, AuditEvent, Measure, Unit


def test_a_county_office_sees_its_part_and_nothing_else(client, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_NOW", "2024-06-20T10:00:00+08:00")
    (tmp_path / "plan.yaml").write_text(PLAN, encoding="utf-8")
    load_plans([tmp_path / "plan.yaml"])
    add_user("dongling-office", "inspector", "东岭县", "a long password", must_change=False)
    assert sign_in(client, "dongling-office", "a long password").status_code == 302
    of = {
        a.unit.name: a
        for a in Assignment.select(Assignment, Unit)
        .join(Unit, on=(Assignment.unit == Unit.id))
        .switch(Assignment)
        .join(Measure)
        .where(Measure.code == "1.1")
    }
    page = client.get("/office/?plan=levels-2024").get_data(as_text=True)
    assert "东岭县" in page and "西川县" not in page and "市住建局" not in page
    assert client.get(f"/office/assignments/{of['东岭县'].id}").status_code == 200
    before = AuditEvent.select().where(AuditEvent.action == "access.refused").count()
    assert client.get(f"/office/assignments/{of['西川县'].id}").status_code == 404
    assert AuditEvent.select().where(AuditEvent.action == "access.refused").count() == before + 1
