"""Who may use each unit route: every role against a declared table, with own and other unit's objects.

A unit person reaching another unit's report, revision, evidence or assignment gets 404 and the
attempt is recorded as an `access.refused` audit event; a role not named for a route gets 403.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import PASSWORD, csrf_token, sign_in
from tracker.services import chasing
from tracker.services.evidence import check_upload
from tracker.services.reports import ReportInput, save_revision
from tracker.services.scoping import Scope
from tracker.services.users import add_user
from tracker.store.models import Assignment, AuditEvent, Measure, Plan, Unit, User
from tracker.web.access import OFFICE, READERS, UNIT

ALL = ("reporter", "unit_leader", "inspector", "leader", "admin")
# endpoint → (method, path, roles allowed). {a}: assignment, {r}: revision, {e}: evidence, {m}: reminder.
ROUTES = {
    "unit.home": ("GET", "/unit/", UNIT),
    "unit.report": ("GET", "/unit/assignments/{a}/reports/2024-05", UNIT + READERS),
    "unit.report_save": ("POST", "/unit/assignments/{a}/reports/2024-05", UNIT),
    "unit.report_draft": ("POST", "/unit/assignments/{a}/reports/2024-05/draft", UNIT),
    "unit.signoff": ("POST", "/unit/revisions/{r}/signoff", ("unit_leader",)),
    "unit.return_revision": ("POST", "/unit/revisions/{r}/return", OFFICE),
    "unit.evidence": ("GET", "/unit/evidence/{e}", UNIT + READERS),
    "unit.assignment": ("GET", "/unit/assignments/{a}/", UNIT + READERS),
    "unit.extension": ("GET", "/unit/assignments/{a}/extension", UNIT + READERS),
    "unit.extension_request": ("POST", "/unit/assignments/{a}/extension", UNIT),
    "unit.breakdown_page": ("GET", "/unit/assignments/{a}/breakdown", UNIT + READERS),
    "unit.breakdown_save": ("POST", "/unit/assignments/{a}/breakdown", UNIT + OFFICE),
    "unit.compile_page": ("GET", "/unit/assignments/{a}/compile?period=2024-05", UNIT + READERS),
    "unit.sheet_template": ("GET", "/unit/sheet?plan=ankang-2023&period=2024-05", UNIT),
    "unit.sheet_import": ("POST", "/unit/sheet", UNIT),
    "unit.reminder_read": ("POST", "/unit/reminders/{m}/read", UNIT),
}
# a person of each role; "stranger" and "stranger_boss" belong to another unit than the objects
PERSON = {
    "reporter": "clerk",
    "unit_leader": "boss",
    "inspector": "inspector",
    "leader": "leader",
    "admin": "admin",
}

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


@pytest.fixture(autouse=True)
def may_2024(monkeypatch, database_url):
    monkeypatch.setenv("TRACKER_NOW", "2024-05-20T10:00:00+08:00")


@pytest.fixture
def objects(app, people):
    """A report revision with one evidence file of 安康市乡村振兴局 on measure 2.2.2."""
    add_user("stranger_boss", "unit_leader", "安康市汉滨区", PASSWORD, must_change=False)
    mine = (
        Assignment.select()
        .join(Measure)
        .join(Plan)
        .switch(Assignment)
        .join(Unit, on=(Assignment.unit == Unit.id))
        .where(Plan.code == "ankang-2023", Measure.code == "2.2.2", Unit.name == "安康市乡村振兴局")
        .get()
    )
    saved = save_revision(
        Scope.of(User.get(User.username == "clerk")),
        mine.id,
        "2024-05",
        ReportInput(percent=30),
        [check_upload("现场.png", PNG)],
        expected_revision_number=0,
        upload_dir=app.config["UPLOAD_DIR"],
    )
    chased = chasing.chase_one(
        Scope.of(User.get(User.username == "inspector")), assignment_id=mine.id, message="请报送"
    )
    return {
        "a": mine.id,
        "r": saved.revision.id,
        "e": saved.revision.evidence.get().id,
        "m": chased.reminder_id,
    }


def test_the_table_names_every_unit_route(app):
    unit_routes = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("unit.")}
    assert unit_routes == set(ROUTES)


def call(client, endpoint, objects):
    method, path, _ = ROUTES[endpoint]
    path = path.format(**objects)
    if method == "GET":
        response = client.get(path)
    else:
        token = csrf_token(client, "/password")
        data = {"csrf_token": token, "percent": "35", "expected": "1", "save": "提交", "reason": "请补充"}
        response = client.post(path, data={**data, "new_date": "2026-06-30"})
    response.get_data()
    response.close()  # a file download holds its file open until the response is closed
    return response


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
@pytest.mark.parametrize("role", ALL)
def test_each_role_gets_what_the_table_says_for_its_own_units_objects(app, objects, endpoint, role):
    client = app.test_client()
    assert sign_in(client, PERSON[role]).status_code == 302
    response = call(client, endpoint, objects)
    allowed = role in ROUTES[endpoint][2]
    if allowed:
        assert response.status_code not in (403, 404), response.get_data(as_text=True)[:500]
    else:
        assert response.status_code == 403
        assert not 200 <= response.status_code < 300


OBJECT_ROUTES = sorted(e for e in ROUTES if "{" in ROUTES[e][1])


@pytest.mark.parametrize("endpoint", OBJECT_ROUTES)
@pytest.mark.parametrize("who", ["other", "stranger_boss"])
def test_another_units_object_is_not_found_and_the_attempt_is_recorded(app, objects, endpoint, who):
    client = app.test_client()
    sign_in(client, who)
    role = User.get(User.username == who).role
    if role not in ROUTES[endpoint][2]:
        pytest.skip("refused by role before any object is looked up (403)")
    before = AuditEvent.select().where(AuditEvent.action == "access.refused").count()
    response = call(client, endpoint, objects)
    assert response.status_code == 404
    assert "无权查看" in response.get_data(as_text=True)
    refused = AuditEvent.select().where(AuditEvent.action == "access.refused").order_by(AuditEvent.seq.desc())
    assert refused.count() == before + 1
    assert refused.first().actor == who


def test_an_unknown_object_looks_the_same_as_another_units(app, objects):
    client = app.test_client()
    sign_in(client, "clerk")
    for path in (
        "/unit/evidence/99999",
        "/unit/assignments/99999/",
        "/unit/assignments/99999/reports/2024-05",
    ):
        assert client.get(path).status_code == 404


def test_a_plans_sheet_is_not_offered_to_a_unit_without_work_in_it(app, objects):
    client = app.test_client()
    sign_in(client, "clerk")
    assert client.get("/unit/sheet?plan=xunyi-2024&period=2024-05").status_code == 404
    assert client.get("/unit/sheet?plan=nope&period=2024-05").status_code == 404


def test_signed_out_people_are_sent_to_sign_in(app, objects):
    client = app.test_client()
    for endpoint in ("unit.home", "unit.report", "unit.evidence"):
        response = call(client, endpoint, objects)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
