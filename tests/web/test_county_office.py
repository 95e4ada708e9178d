"""A county's office (an inspector scoped to 东岭县) through the app: its overview and quality ratings
list its county and towns only; another county's assignment or unit answers 404 and is logged; it
reads the plan's bulletins but writing or publishing them is the plan's own office's (404, logged)."""

from __future__ import annotations

from tests.services.test_levels import PLAN
from tests.web.conftest import csrf_token, sign_in
from tracker.plans.load import load_plans
from tracker.services.users import add_user
from tracker.store.models import Assignment, AuditEvent, Bulletin, Measure, QualityRating, Unit


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


def _county_office(client, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TRACKER_NOW", "2024-07-10T10:00:00+08:00")
    (tmp_path / "plan.yaml").write_text(PLAN, encoding="utf-8")
    load_plans([tmp_path / "plan.yaml"])
    add_user("dongling-office", "inspector", "东岭县", "a long password", must_change=False)
    assert sign_in(client, "dongling-office", "a long password").status_code == 302


def refusals() -> int:
    return AuditEvent.select().where(AuditEvent.action == "access.refused").count()


def test_a_county_office_rates_the_quality_of_its_own_part_only(client, tmp_path, monkeypatch):
    _county_office(client, tmp_path, monkeypatch)
    page = client.get("/office/ratings?plan=levels-2024&quarter=2024Q2").get_data(as_text=True)
    assert "东岭县" in page and "西川县" not in page and "市住建局" not in page
    own, other = (Unit.get(Unit.name == name).id for name in ("东岭县", "西川县"))
    form = {"csrf_token": csrf_token(client, "/office/ratings?plan=levels-2024&quarter=2024Q2")}
    form.update({"plan": "levels-2024", "quarter": "2024Q2", f"points-{own}": "8", f"note-{own}": "材料翔实"})
    assert client.post("/office/ratings", data=form).status_code == 302
    rating = QualityRating.get()
    assert (rating.unit_id, rating.points, rating.note) == (own, 8, "材料翔实")
    before = refusals()
    form.update({f"points-{other}": "2"})  # another county's unit, slipped into the form
    assert client.post("/office/ratings", data=form).status_code == 404
    assert refusals() == before + 1 and QualityRating.select().count() == 1


def test_a_county_office_reads_the_bulletins_but_neither_writes_nor_publishes_them(
    client, tmp_path, monkeypatch
):
    _county_office(client, tmp_path, monkeypatch)
    page = client.get("/office/bulletins?plan=levels-2024").get_data(as_text=True)
    assert "2024年6月" in page and "撰写点评" not in page and "市督查室负责" in page
    token = csrf_token(client, "/office/bulletins?plan=levels-2024")
    before = refusals()
    assert client.get("/office/bulletins/levels-2024/2024-06").status_code == 404
    data = {"csrf_token": token, "commentary": "东岭县自写的点评", "save": "保存"}
    assert client.post("/office/bulletins/levels-2024/2024-06", data=data).status_code == 404
    publish = {"csrf_token": token, "next": "/office/bulletins"}
    assert client.post("/office/bulletins/levels-2024/2024-06/publish", data=publish).status_code == 404
    assert refusals() == before + 3 and Bulletin.select().count() == 0


def test_a_county_office_reads_the_score_weights_but_is_given_no_form_to_change_them(
    client, tmp_path, monkeypatch
):
    _county_office(client, tmp_path, monkeypatch)
    page = client.get("/office/scoring?plan=levels-2024").get_data(as_text=True)
    assert "按时报送" in page and "由市督查室设定" in page
    assert 'action="/office/scoring"' not in page and "保存计分办法" not in page
