"""Inspections, findings and rectification lists through the office's pages and the unit's answer page:
a finding goes open → sent → answered (with a file) → closed, another unit never sees it."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
import webtest
from openpyxl import load_workbook

from tests.web.conftest import csrf_token, submit
from tracker.services import supervision
from tracker.services.scoping import Scope
from tracker.store.models import (
    Assignment,
    AuditEvent,
    Evidence,
    Finding,
    FindingEvent,
    Inspection,
    Measure,
    Plan,
    RectificationList,
    Unit,
)


@pytest.fixture
def as_(web_as, monkeypatch):
    """A factory: a WebTest browser signed in as one of the test people, on 1 July 2024."""
    monkeypatch.setenv("TRACKER_NOW", "2024-07-01T10:00:00+08:00")
    return web_as


@pytest.fixture
def client_as(app, people, monkeypatch):
    """A Flask test client signed in: for the hand-built POSTs of the negative cases."""
    from tests.web.conftest import sign_in

    monkeypatch.setenv("TRACKER_NOW", "2024-07-01T10:00:00+08:00")

    def _as(name: str):
        client = app.test_client()
        assert sign_in(client, name).status_code == 302
        return client

    return _as


def clerk_assignment() -> Assignment:
    unit = Unit.get(Unit.name == "安康市乡村振兴局")
    return (
        Assignment.select()
        .join(Measure)
        .join(Plan)
        .where(Plan.code == "ankang-2023", Assignment.unit == unit.id)
        .order_by(Assignment.id)
        .first()
    )


def test_the_office_records_a_finding_sends_it_and_closes_it_after_the_units_answer(as_, people):
    office = as_("inspector")
    plan = Plan.get(Plan.code == "ankang-2023")
    page = office.get("/office/inspections").click(href="/office/inspections/new")
    response = submit(
        page,
        "/office/inspections/new",
        {"title": "七月专项督查", "held_on": "2024-06-28", "plan": str(plan.id)},
    )
    inspection = Inspection.get(Inspection.title == "七月专项督查")
    assert response.status_int == 302 and response.headers["Location"].endswith(
        f"/office/inspections/{inspection.id}"
    )

    a = clerk_assignment()
    action = f"/office/findings/new?plan=ankang-2023&inspection={inspection.id}"
    page = office.get(action)
    assert page.forms[1]["inspection"].value == str(inspection.id)  # the page keeps the inspection
    response = submit(
        page,
        action,
        {
            "unit": str(a.unit_id),
            "measure": str(a.measure_id),
            "title": "帮扶台账未按月更新",
            "detail": "抽查 3 个村,台账停留在 4 月。",
            "severity": "serious",
            "rectify_by": "2024-07-31",
        },
    )
    finding = Finding.get(Finding.title == "帮扶台账未按月更新")
    assert response.status_int == 302 and finding.severity == "serious" and not finding.public
    assert "问题已登记" in response.follow().text

    action = f"/office/rectifications/new?unit={a.unit_id}"
    page = office.get(action)
    assert page.forms[2].get("finding", index=0).checked  # the unit's unlisted finding is ticked
    response = submit(page, action, {"doc_number": "安督整〔2024〕3号"})
    sent = RectificationList.get(RectificationList.doc_number == "安督整〔2024〕3号")
    assert response.status_int == 302 and Finding.get_by_id(finding.id).rectification_list_id == sent.id
    docx = office.get(f"/office/rectifications/{sent.id}.docx")
    assert docx.status_int == 200 and docx.body.startswith(b"PK")
    assert docx.content_type == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert "attachment" in docx.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(office.get(f"/office/rectifications/{sent.id}.xlsx").body)).active
    assert sheet["B5"].value == "帮扶台账未按月更新"

    clerk = as_("clerk")
    home = clerk.get("/findings/")
    assert "帮扶台账未按月更新" in home.text and "安督整〔2024〕3号" in home.text
    assert clerk.get(f"/findings/lists/{sent.id}.docx").status_int == 200
    page = clerk.get(f"/findings/{finding.id}")
    response = submit(
        page,
        f"/findings/{finding.id}/answer",
        {"note": "已逐村补齐台账。", "files": [webtest.Upload("整改说明.txt", "台账已补齐".encode())]},
    )
    assert response.status_int == 302
    assert Finding.get_by_id(finding.id).state == "answered"
    heading = clerk.get("/unit/").html.find(id="h-findings").text
    assert "待整改 0" in heading and "已反馈待核查 1" in heading  # the same words as the office's ledger
    assert [e.original_name for e in Evidence.select().where(Evidence.finding_event.is_null(False))] == [
        "整改说明.txt"
    ]

    page = office.get(f"/office/findings/{finding.id}")
    assert "已逐村补齐台账。" in page.text and "整改说明.txt" in page.text and "核查属实，销号" in page.text
    evidence = Evidence.get(Evidence.finding_event.is_null(False))
    download = office.get(f"/unit/evidence/{evidence.id}")
    assert download.status_int == 200 and download.body == "台账已补齐".encode()
    assert as_("other").get(f"/unit/evidence/{evidence.id}", status=404).status_int == 404
    response = submit(page, f"/office/findings/{finding.id}/close", {"note": "实地核查属实。"})
    assert response.status_int == 302 and Finding.get_by_id(finding.id).state == "closed"
    assert "已销号" in response.follow().text
    kinds = [
        e.kind
        for e in FindingEvent.select().where(FindingEvent.finding == finding.id).order_by(FindingEvent.id)
    ]
    assert kinds == ["open", "send", "answer", "close"]
    page = clerk.get(f"/findings/{finding.id}").text
    assert "已销号" in page and "报送整改情况" not in page


@pytest.fixture
def finding(people, monkeypatch):
    monkeypatch.setenv("TRACKER_NOW", "2024-07-01T10:00:00+08:00")
    a = clerk_assignment()
    row = supervision.open_finding(
        Scope.of(people["inspector"]),
        unit_id=a.unit_id,
        measure_id=a.measure_id,
        title="资金拨付滞后",
        rectify_by=date(2024, 7, 15),
    )
    supervision.create_rectification_list(
        Scope.of(people["inspector"]), unit_id=a.unit_id, finding_ids=[row.id]
    )
    return Finding.get_by_id(row.id)


def test_another_unit_cannot_open_answer_or_download_the_finding_and_is_logged(client_as, finding):
    other = client_as("other")
    before = AuditEvent.select().where(AuditEvent.action == "access.refused").count()
    assert other.get(f"/findings/{finding.id}").status_code == 404
    token = csrf_token(other, "/findings/")
    assert (
        other.post(f"/findings/{finding.id}/answer", data={"csrf_token": token, "note": "x"}).status_code
        == 404
    )
    assert other.get(f"/findings/lists/{finding.rectification_list_id}.docx").status_code == 404
    assert "资金拨付滞后" not in other.get("/findings/").get_data(as_text=True)
    assert AuditEvent.select().where(AuditEvent.action == "access.refused").count() == before + 3
    assert Finding.get_by_id(finding.id).state == "open"


def test_a_leader_reads_the_ledger_but_cannot_close_and_a_unit_cannot_reach_the_office_pages(
    client_as, finding
):
    leader = client_as("leader")
    page = leader.get(f"/office/findings/{finding.id}").get_data(as_text=True)
    assert "资金拨付滞后" in page and "/close" not in page and "核查处理" not in page
    token = csrf_token(leader, "/office/findings")
    assert (
        leader.post(
            f"/office/findings/{finding.id}/close", data={"csrf_token": token, "note": "x"}
        ).status_code
        == 403
    )
    clerk = client_as("clerk")
    assert clerk.get(f"/office/findings/{finding.id}").status_code == 403
    token = csrf_token(clerk, "/findings/")
    assert (
        clerk.post(
            f"/office/findings/{finding.id}/close", data={"csrf_token": token, "note": "x"}
        ).status_code
        == 403
    )
    assert Finding.get_by_id(finding.id).state == "open"


def test_closing_needs_an_answer_and_reopening_a_closed_finding_needs_a_reason(
    as_, client_as, finding, people
):
    # Before the unit answers the page offers no close form; a stale POST is refused with a message.
    office = client_as("inspector")
    token = csrf_token(office, "/office/findings")
    response = office.post(
        f"/office/findings/{finding.id}/close", data={"csrf_token": token, "note": "看过了"}
    )
    assert response.status_code == 302
    assert "尚未反馈" in office.get(response.headers["Location"]).get_data(as_text=True)
    supervision.answer_finding(Scope.of(people["clerk"]), finding.id, "已拨付。")
    office = as_("inspector")
    page = office.get(f"/office/findings/{finding.id}")
    closed = submit(page, f"/office/findings/{finding.id}/close", {"note": "核查属实。"}).follow()
    assert "已销号" in closed.text and "重新打开" in closed.text
    form = closed.forms[[k for k, f in closed.forms.items() if f.action.endswith("/reopen")][0]]
    assert form["note"].attrs.get("required") is not None  # the browser asks for the reason first
    refused = submit(closed, f"/office/findings/{finding.id}/reopen", {"note": ""}).follow()
    assert "请填写重新打开的理由" in refused.text and Finding.get_by_id(finding.id).state == "closed"
    submit(refused, f"/office/findings/{finding.id}/reopen", {"note": "回访发现仍未到账。"})
    assert Finding.get_by_id(finding.id).state == "open"
    page = office.get(f"/office/findings/{finding.id}").text
    assert re.search(r"立项.*下发整改清单.*单位反馈.*销号.*重新打开", page, re.S)


def test_the_ledger_filters_by_state_unit_and_overdue(as_, finding, people, monkeypatch):
    other_unit = Unit.get(Unit.name == "安康市汉滨区")
    supervision.open_finding(
        Scope.of(people["inspector"]),
        unit_id=other_unit.id,
        title="汉滨区宣传不到位",
        rectify_by=date(2024, 9, 30),
    )
    monkeypatch.setenv("TRACKER_NOW", "2024-07-20T10:00:00+08:00")
    office = as_("inspector")
    every = office.get("/office/findings").text
    assert "资金拨付滞后" in every and "汉滨区宣传不到位" in every
    overdue = office.get("/office/findings?overdue=1").text
    assert "资金拨付滞后" in overdue and "已逾期" in overdue and "汉滨区宣传不到位" not in overdue
    mine = office.get(f"/office/findings?unit={other_unit.id}").text
    assert "汉滨区宣传不到位" in mine and "资金拨付滞后" not in mine
    assert "资金拨付滞后" not in office.get("/office/findings?state=closed").text


def test_a_list_with_no_finding_ticked_is_refused_and_uses_no_number(as_, finding, people):
    supervision.open_finding(
        Scope.of(people["inspector"]),
        unit_id=finding.unit_id,
        title="宣传栏未更新",
        rectify_by=date(2024, 7, 31),
    )
    office = as_("inspector")
    before = RectificationList.select().count()
    page = office.get(f"/office/rectifications/new?unit={finding.unit_id}")
    refused = submit(page, f"/office/rectifications/new?unit={finding.unit_id}", {"finding": []})
    assert refused.status_int == 200 and "请至少选择一个问题" in refused.text
    assert RectificationList.select().count() == before
    issued = submit(refused, f"/office/rectifications/new?unit={finding.unit_id}").follow()
    numbers = [r.doc_number for r in RectificationList.select().order_by(RectificationList.id)]
    assert numbers[-1] in issued.text and numbers[-1] != numbers[-2]
    assert int(numbers[-1].split("〕")[1].rstrip("号")) == int(numbers[-2].split("〕")[1].rstrip("号")) + 1


def test_a_list_is_withdrawn_before_the_unit_answers_and_keeps_its_number_as_void(as_, finding, people):
    listed = RectificationList.get_by_id(finding.rectification_list_id)
    office = as_("inspector")
    page = office.get(f"/office/rectifications/{listed.id}")
    done = submit(page, f"/office/rectifications/{listed.id}/withdraw", {"note": "问题选错了单位"}).follow()
    assert f"整改清单 {listed.doc_number} 已作废" in done.text and "本清单已作废" in done.text
    assert "资金拨付滞后" in done.text  # the withdrawn list still shows what it held
    rows = office.get("/office/rectifications").html.find_all("tr")
    ledger = next(tr for tr in rows if listed.doc_number in tr.text)
    assert "作废" in ledger.text and "问题选错了单位" in ledger.text
    assert Finding.get_by_id(finding.id).rectification_list_id is None
    # The finding waits for a new list; the new list takes the next number, the void one stays used.
    page = office.get(f"/office/rectifications/new?unit={finding.unit_id}")
    submit(page, f"/office/rectifications/new?unit={finding.unit_id}")
    again = RectificationList.select().order_by(RectificationList.id.desc()).first()
    assert (
        again.doc_number != listed.doc_number
        and Finding.get_by_id(finding.id).rectification_list_id == again.id
    )
    # Once the unit has answered, the new list can no longer be withdrawn.
    supervision.answer_finding(Scope.of(people["clerk"]), finding.id, "已拨付。")
    page = office.get(f"/office/rectifications/{again.id}")
    assert "作废本清单" not in page.text
    with pytest.raises(supervision.SupervisionError, match="不能再作废"):
        supervision.withdraw_rectification_list(Scope.of(people["inspector"]), again.id, "再试")
