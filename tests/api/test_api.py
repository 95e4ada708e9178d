"""The JSON API as a client meets it: scope, paging, ETags, JSON errors, and filing a report."""

from __future__ import annotations

import re

from tests.api.conftest import bearer
from tests.web.conftest import sign_in
from tracker.store.models import AuditEvent, Finding, Measure, Report, ReportRevision


def test_a_units_token_lists_only_its_own_assignments_and_findings(client, world, token_of):
    clerk, inspector = bearer(token_of("clerk")), bearer(token_of("inspector"))
    mine = client.get("/api/v1/assignments", headers=clerk).get_json()["items"]
    assert mine and {a["unit_id"] for a in mine} == {world.own.unit.id}
    everyone = client.get("/api/v1/assignments", headers=inspector).get_json()["items"]
    assert {world.own.unit.id, world.other.unit.id} <= {a["unit_id"] for a in everyone}
    assert all(a["light"] in ("red", "amber", "green", "done", "not_started") for a in mine)
    assert all(a["due"].endswith("+08:00") for a in mine)

    findings = client.get("/api/v1/findings", headers=clerk).get_json()["items"]
    assert [f["id"] for f in findings] == [world.own.finding.id]
    # Asking for another unit's rows by filter gives nothing, not their data.
    other = client.get(f"/api/v1/assignments?unit={world.other.unit.id}", headers=clerk).get_json()
    assert other == {"items": [], "next": None}
    assert client.get(f"/api/v1/findings/{world.other.finding.id}", headers=clerk).status_code == 404
    assert client.get(f"/api/v1/assignments/{world.other.assignment.id}", headers=clerk).status_code == 404


def test_a_county_offices_token_reads_its_county_only(client, world, county, token_of):
    headers = bearer(token_of("county"))
    units = {a["unit_id"] for a in client.get("/api/v1/assignments", headers=headers).get_json()["items"]}
    assert units == {world.own.unit.id}
    assert client.get(f"/api/v1/findings/{world.other.finding.id}", headers=headers).status_code == 404
    assert client.get("/api/v1/plans/matrix-2024/boards/2024-05", headers=headers).status_code == 403


def test_lists_page_with_a_cursor_and_refuse_a_forged_one(client, world, token_of):
    headers = bearer(token_of("admin"))
    first = client.get("/api/v1/assignments?limit=1", headers=headers).get_json()
    assert len(first["items"]) == 1 and first["next"]
    seen = [first["items"][0]["id"]]
    cursor = first["next"]
    while cursor:
        page = client.get(f"/api/v1/assignments?limit=1&cursor={cursor}", headers=headers).get_json()
        seen += [a["id"] for a in page["items"]]
        cursor = page["next"]
    everything = client.get("/api/v1/assignments?limit=200", headers=headers).get_json()["items"]
    assert seen == [a["id"] for a in everything] and len(seen) == len(set(seen))
    for bad in ("cursor=xyz", "limit=0", "limit=abc", "period=2024-13", "unit=-3"):
        answer = client.get(f"/api/v1/assignments?{bad}", headers=headers)
        assert answer.status_code == 400, bad
        assert set(answer.get_json()["error"]) >= {"code", "message"}


def test_reads_carry_an_etag_and_answer_304_when_unchanged(client, world, token_of):
    headers = bearer(token_of("clerk"))
    url = f"/api/v1/assignments/{world.own.assignment.id}/reports"
    first = client.get(url, headers=headers)
    etag = first.headers["ETag"]
    unchanged = client.get(url, headers={**headers, "If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.data == b""
    client.post(url, headers=headers, json={"period": "2024-05", "percent": 55, "narrative": "新进展"})
    changed = client.get(url, headers={**headers, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_a_report_filed_by_token_is_a_revision_audited_with_the_tokens_name(client, world, token_of):
    headers = bearer(token_of("clerk", name="政务平台"))
    assignment = world.own.assignment.id
    answer = client.post(
        f"/api/v1/assignments/{assignment}/reports",
        headers=headers,
        json={
            "period": "2024-05",
            "percent": 60,
            "narrative": "完成村级站点建设12个",
            "indicators": {"toilets": "30"},
            "expected_revision": 1,
        },
    )
    assert answer.status_code == 201, answer.get_json()
    revision = answer.get_json()["revision"]
    assert revision["number"] == 2 and revision["percent"] == 60 and revision["source"] == "api"
    row = ReportRevision.get_by_id(revision["id"])
    assert row.author.username == "clerk" and row.narrative == "完成村级站点建设12个"
    event = (
        AuditEvent.select().where(AuditEvent.action == "report.revise").order_by(AuditEvent.seq.desc()).get()
    )
    assert event.actor == "clerk(令牌:政务平台)"

    # The office sees it in the app, on the report's page.
    sign_in(client, "inspector")
    page = client.get(f"/unit/assignments/{assignment}/reports/2024-05").get_data(as_text=True)
    assert "完成村级站点建设12个" in page

    # A save over a revision the client did not see is refused, and nothing is lost.
    stale = client.post(
        f"/api/v1/assignments/{assignment}/reports",
        headers=headers,
        json={"period": "2024-05", "percent": 70, "expected_revision": 1},
    )
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "stale"
    assert ReportRevision.select().where(ReportRevision.report == row.report_id).count() == 2


def test_the_web_forms_messages_come_back_as_json(client, world, token_of):
    headers = bearer(token_of("clerk"))
    url = f"/api/v1/assignments/{world.own.assignment.id}/reports"
    cases = [
        ({"period": "2024-05", "percent": 150}, "percent", "完成进度应为 0–100 的整数"),
        ({"period": "2024-05", "percent": 50, "complete": True}, "complete", "标记为已完成时"),
        ({"period": "2024-07", "percent": 50}, "period", "尚未到来"),
        (
            {"period": "2024-05", "percent": 50, "indicators": {"toilets": "-3"}},
            "indicator:toilets",
            "不能为负数",
        ),
        ({"period": "2024-05", "percent": 50, "indicators": {"toilets": 500}}, "note:toilets", "超过目标值"),
        ({"period": "2024-05", "percent": "五十"}, "percent", "格式不正确"),
        ({"percent": 50}, "period", "缺少报送期"),
        ({"period": "2024-05", "percent": 50, "colour": "red"}, "colour", "不认识的字段"),
    ]
    before = ReportRevision.select().count()
    for body, field, text in cases:
        answer = client.post(url, headers=headers, json=body)
        assert answer.status_code == 400, body
        error = answer.get_json()["error"]
        assert error["code"] == "invalid" and text in error["message"], (body, error)
        assert field in [f["field"] for f in error["fields"]], (body, error)
    assert client.post(url, headers=headers, data="not json").status_code == 400
    assert client.post(url, headers=headers, json={"period": "2024-05\x00", "percent": 1}).status_code == 400
    assert ReportRevision.select().count() == before


def test_a_unit_answers_its_own_finding_and_not_anothers(client, world, token_of):
    headers = bearer(token_of("clerk"))
    own, other = world.own.finding.id, world.other.finding.id
    answer = client.post(f"/api/v1/findings/{own}/answer", headers=headers, json={"note": "已补齐台账"})
    assert answer.status_code == 200 and answer.get_json()["state"] == "answered"
    assert (
        client.post(f"/api/v1/findings/{own}/answer", headers=headers, json={"note": " "}).status_code == 400
    )
    refused = client.post(f"/api/v1/findings/{other}/answer", headers=headers, json={"note": "x"})
    assert refused.status_code == 404 and Finding.get_by_id(other).state == "open"


def test_the_live_board_has_board_json_shape_for_readers_only(client, world, token_of):
    board = client.get("/api/v1/plans/matrix-2024/boards/2024-05", headers=bearer(token_of("leader")))
    doc = board.get_json()
    assert board.status_code == 200 and doc["plan"] == "matrix-2024" and doc["period"] == "2024-05"
    assert {"code", "title", "lead", "light", "percent", "report"} <= set(doc["measures"][0])
    assert {"name", "short", "assignments", "on_time", "late", "missing", "lights"} <= set(doc["units"][0])
    headers = bearer(token_of("clerk"))
    assert client.get("/api/v1/plans/matrix-2024/boards/2024-05", headers=headers).status_code == 403
    admin = bearer(token_of("admin"))
    assert client.get("/api/v1/plans/matrix-2024/boards/2030-01", headers=admin).status_code == 400
    assert client.get("/api/v1/plans/none/boards/2024-05", headers=admin).status_code == 404


def test_unknown_paths_and_methods_answer_json(client, world, token_of):
    headers = bearer(token_of("clerk"))
    for method, path, status in (
        ("get", "/api/v1/nothing", 404),
        ("delete", "/api/v1/plans", 405),
        ("get", "/api/v1/assignments/99999999999", 404),
    ):
        answer = getattr(client, method)(path, headers=headers)
        assert answer.status_code == status and answer.get_json()["error"]["code"]


def test_the_docs_page_is_static_and_lists_every_operation(client, world):
    from tracker.web.api.spec import OPERATIONS

    page = client.get("/api/v1/docs")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "<script" not in text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    for op in OPERATIONS:
        assert f'id="{op.endpoint}"' in text


def test_a_quarterly_measure_is_reported_by_its_quarter_through_the_api(client, world, token_of):
    Measure.update(cadence="quarterly").where(Measure.id == world.own.assignment.measure_id).execute()
    headers = bearer(token_of("clerk"))
    url = f"/api/v1/assignments/{world.own.assignment.id}/reports"
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["ReportIn"]
    assert re.fullmatch(schema["properties"]["period"]["pattern"], "2024Q2")

    month = client.post(url, headers=headers, json={"period": "2024-06", "percent": 40})
    assert month.status_code == 400 and "每季度报送" in month.get_json()["error"]["message"]
    quarter = client.post(url, headers=headers, json={"period": "2024Q2", "percent": 40})
    assert quarter.status_code == 201, quarter.get_json()
    assert Report.get_by_id(
        ReportRevision.get_by_id(quarter.get_json()["revision"]["id"]).report_id
    ).period == ("2024Q2")
