"""The inspection office's services on a real database: findings through their states, extensions
that move a deadline, completion, bulletins and ratings, and what a unit may not see or do."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from tracker.clock import TZ
from tracker.rules.periods import Period
from tracker.services import evidence, reports, supervision
from tracker.services.boards import lights_now, plan_by_code
from tracker.services.facts import quality_ratings
from tracker.services.scoping import OutOfScope, Scope
from tracker.services.users import add_user
from tracker.store.models import (
    Assignment,
    AuditEvent,
    Evidence,
    Finding,
    FindingEvent,
    Measure,
    Plan,
    Unit,
)

PEOPLE = {
    "clerk": ("reporter", "安康市乡村振兴局"),
    "other": ("reporter", "安康市汉滨区"),
    "inspector": ("inspector", None),
    "leader": ("leader", None),
}


@pytest.fixture
def scopes(loaded):
    return {
        name: Scope.of(add_user(name, role, unit, "correct horse battery", must_change=False)[0])
        for name, (role, unit) in PEOPLE.items()
    }


@pytest.fixture
def at(monkeypatch):
    """Set the process clock (TRACKER_NOW) to a Beijing moment and return it."""

    def _at(text: str) -> datetime:
        moment = datetime.fromisoformat(text).replace(tzinfo=TZ)
        monkeypatch.setenv("TRACKER_NOW", moment.isoformat())
        return moment

    return _at


def unit_id(name: str) -> int:
    return Unit.get(Unit.name == name).id


def assignment_of(plan: str, code: str, unit: str) -> Assignment:
    return (
        Assignment.select()
        .join(Measure)
        .join(Plan)
        .where(Plan.code == plan, Measure.code == code, Assignment.unit == unit_id(unit))
        .get()
    )


def open_one(
    scopes, title="台账记录不完整", unit="安康市乡村振兴局", code="2.2.2", rectify_by=date(2024, 7, 31)
):
    a = assignment_of("ankang-2023", code, unit)
    return supervision.open_finding(
        scopes["inspector"],
        unit_id=a.unit_id,
        measure_id=a.measure_id,
        title=title,
        detail="抽查 3 个村,问题台账未及时更新。",
        rectify_by=rectify_by,
        severity="serious",
    )


def history(finding_id: int) -> list[str]:
    return [
        e.kind
        for e in FindingEvent.select()
        .where(FindingEvent.finding == finding_id)
        .order_by(FindingEvent.at, FindingEvent.id)
    ]


def audited(finding_id: int) -> list[str]:
    return [
        e.action
        for e in AuditEvent.select()
        .where(AuditEvent.entity == "finding", AuditEvent.entity_id == str(finding_id))
        .order_by(AuditEvent.seq)
    ]


def test_a_finding_goes_open_answered_closed_with_every_step_in_its_history(scopes, at, tmp_path):
    at("2024-07-01T09:00:00")
    finding = open_one(scopes)
    assert finding.state == "open"
    at("2024-07-02T09:00:00")
    sent = supervision.create_rectification_list(
        scopes["inspector"], unit_id=finding.unit_id, finding_ids=[finding.id]
    )
    assert sent.doc_number == "督整〔2024〕1号"
    at("2024-07-10T16:00:00")
    photo = evidence.check_upload("整改报告.txt", "已补齐 3 个村的问题台账。".encode())
    supervision.answer_finding(scopes["clerk"], finding.id, "已逐村补齐台账。", [photo], upload_dir=tmp_path)
    assert Finding.get_by_id(finding.id).state == "answered"
    at("2024-07-12T10:00:00")
    supervision.close_finding(scopes["inspector"], finding.id, "实地核查属实,予以销号。")

    closed = Finding.get_by_id(finding.id)
    assert closed.state == "closed" and closed.closed_at is not None
    assert history(finding.id) == ["open", "send", "answer", "close"]
    assert audited(finding.id) == ["finding.open", "finding.send", "finding.answer", "finding.close"]
    detail = supervision.finding_detail(scopes["inspector"], finding.id)
    answer = detail.events[2]
    assert answer.label == "单位反馈" and [e.original_name for e in answer.evidence] == ["整改报告.txt"]
    assert (tmp_path / answer.evidence[0].stored_name).read_bytes() == "已补齐 3 个村的问题台账。".encode()


def test_a_reopened_finding_is_open_again_and_turns_the_light_red_after_its_deadline(scopes, at):
    at("2024-06-03T09:00:00")
    finding = open_one(scopes, title="资金拨付滞后", rectify_by=date(2024, 6, 20))
    at("2024-06-15T09:00:00")
    supervision.answer_finding(scopes["clerk"], finding.id, "资金已拨付。")
    at("2024-06-18T09:00:00")
    supervision.close_finding(scopes["inspector"], finding.id, "核查属实。")
    at("2024-06-28T09:00:00")
    supervision.reopen_finding(scopes["inspector"], finding.id, "回访发现仍有 2 个村未到账。")

    assert Finding.get_by_id(finding.id).state == "open"
    assert history(finding.id) == ["open", "answer", "close", "reopen"]
    assert audited(finding.id)[-1] == "finding.reopen"
    plan = plan_by_code("ankang-2023")
    a = assignment_of("ankang-2023", "2.2.2", "安康市乡村振兴局")
    closed_then = lights_now(plan, datetime(2024, 6, 25, 12, tzinfo=TZ)).assignments[a.id]
    reopened_now = lights_now(plan, datetime(2024, 6, 29, 12, tzinfo=TZ)).assignments[a.id]
    assert not any("资金拨付滞后" in r for r in closed_then.reasons)
    assert reopened_now.rag == "red" and any(
        "问题整改逾期:资金拨付滞后" in r.replace("：", ":") for r in reopened_now.reasons
    )


def test_only_the_office_closes_or_reopens_a_finding(scopes, at):
    at("2024-07-01T09:00:00")
    finding = open_one(scopes)
    supervision.answer_finding(scopes["clerk"], finding.id, "已整改。")
    for who in ("clerk", "leader", "other"):
        with pytest.raises(OutOfScope):
            supervision.close_finding(scopes[who], finding.id, "我自己销号")
        with pytest.raises(OutOfScope):
            supervision.reopen_finding(scopes[who], finding.id, "重新打开")
    assert Finding.get_by_id(finding.id).state == "answered"
    assert history(finding.id) == ["open", "answer"]


def test_an_unanswered_finding_cannot_be_closed_and_a_closed_one_takes_no_answer(scopes, at):
    at("2024-07-01T09:00:00")
    finding = open_one(scopes)
    with pytest.raises(supervision.SupervisionError, match="尚未反馈"):
        supervision.close_finding(scopes["inspector"], finding.id, "直接销号")
    supervision.answer_finding(scopes["clerk"], finding.id, "已整改。")
    supervision.close_finding(scopes["inspector"], finding.id, "核查属实。")
    with pytest.raises(supervision.SupervisionError, match="已销号"):
        supervision.answer_finding(scopes["clerk"], finding.id, "再补充一点")


def test_a_unit_cannot_see_or_answer_another_units_finding(scopes, at, tmp_path):
    at("2024-07-01T09:00:00")
    finding = open_one(scopes)
    mine = open_one(scopes, title="汉滨区问题", unit="安康市汉滨区", code="2.2.2")
    other = scopes["other"]
    with pytest.raises(OutOfScope):
        supervision.finding_detail(other, finding.id)
    with pytest.raises(OutOfScope):
        supervision.answer_finding(other, finding.id, "不是我的")
    assert [r.finding.id for r in supervision.finding_ledger(other)] == [mine.id]
    assert {r.finding.id for r in supervision.finding_ledger(scopes["leader"])} == {finding.id, mine.id}
    sent = supervision.create_rectification_list(
        scopes["inspector"], unit_id=finding.unit_id, finding_ids=[finding.id]
    )
    with pytest.raises(OutOfScope):
        supervision.rectification_list_detail(other, sent.id)
    assert supervision.rectification_lists(other) == []
    assert Evidence.select().count() == 0


def test_a_finding_on_a_measure_must_name_a_unit_assigned_to_it(scopes, at):
    at("2024-07-01T09:00:00")
    measure = Measure.select().join(Plan).where(Plan.code == "xunyi-2024").first()
    with pytest.raises(supervision.SupervisionError, match="不承担"):
        supervision.open_finding(
            scopes["inspector"],
            unit_id=unit_id("安康市汉滨区"),
            measure_id=measure.id,
            title="张冠李戴",
            rectify_by=date(2024, 8, 1),
        )


def test_a_rectification_list_takes_only_the_units_open_findings(scopes, at):
    at("2024-07-01T09:00:00")
    mine = open_one(scopes)
    theirs = open_one(scopes, title="汉滨区问题", unit="安康市汉滨区")
    with pytest.raises(supervision.SupervisionError, match="不是"):
        supervision.create_rectification_list(
            scopes["inspector"], unit_id=mine.unit_id, finding_ids=[mine.id, theirs.id]
        )
    with pytest.raises(OutOfScope):
        supervision.create_rectification_list(scopes["clerk"], unit_id=mine.unit_id, finding_ids=[mine.id])
    first = supervision.create_rectification_list(
        scopes["inspector"], unit_id=mine.unit_id, finding_ids=[mine.id]
    )
    second = supervision.create_rectification_list(
        scopes["inspector"], unit_id=theirs.unit_id, finding_ids=[theirs.id], title="汉滨区整改清单"
    )
    assert (first.doc_number, second.doc_number) == ("督整〔2024〕1号", "督整〔2024〕2号")
    assert supervision.rectification_list_detail(scopes["inspector"], second.id).issuer == "安康市督查室"


def report(scope, assignment_id, period, percent, complete=False, values=None):
    values = {code: Decimal(str(v)) for code, v in (values or {}).items()}
    return reports.save_revision(
        scope,
        assignment_id,
        period,
        reports.ReportInput(percent=percent, complete=complete, indicator_values=values),
    )


def printed_deadline(assignment):
    """Ankang's wording is reconstructed, and a reconstructed deadline is never red by itself: these
    tests are about a deadline the notice printed."""
    from tracker.store.models import Measure

    Measure.update(reconstructed=False).where(Measure.id == assignment.measure_id).execute()


def test_an_approved_extension_moves_the_deadline_and_the_light_follows(scopes, at):
    plan = plan_by_code("ankang-2023")
    a = assignment_of("ankang-2023", "1.2.1", "安康市汉滨区")  # 2024年6月底前
    printed_deadline(a)
    at("2024-06-20T10:00:00")
    # Ahead of the 84.17% planned on 10 July; its one town's plan is drawn up (its share of 1 is the
    # derived milestone of 30 June), only the province's approval is pending.
    report(scopes["other"], a.id, "2024-06", 90, values={"towns-plan-done": 1})
    at("2024-07-05T10:00:00")
    request = reports.request_extension(
        scopes["other"], a.id, date(2024, 9, 30), "规划需省级审批,6月底前无法完成。"
    )
    before = lights_now(plan, datetime(2024, 7, 6, 12, tzinfo=TZ)).assignments[a.id]
    assert before.rag == "red" and any("完成时限" in r for r in before.reasons)

    at("2024-07-08T09:00:00")
    decided = supervision.decide_extension(scopes["inspector"], request.id, approve=True)
    assert (decided.decision, decided.new_deadline) == ("approved", date(2024, 9, 30))
    after = lights_now(plan, datetime(2024, 7, 10, 12, tzinfo=TZ)).assignments[a.id]
    assert after.rag == "green"
    for month in ("07", "08"):
        at(f"2024-{month}-20T10:00:00")
        report(scopes["other"], a.id, f"2024-{month}", 90)
    near = lights_now(plan, datetime(2024, 9, 10, 12, tzinfo=TZ)).assignments[a.id]
    assert near.rag == "amber" and near.reasons == ("距完成时限 20 天，进度 90%", "进度 90%，低于计划 96.14%")
    view = supervision.overview(plan, datetime(2024, 7, 10, 12, tzinfo=TZ), unit_id=a.unit_id)
    assert next(r for r in view.rows if r.assignment_id == a.id).deadline == date(2024, 9, 30)
    with pytest.raises(supervision.SupervisionError, match="不能再改"):
        supervision.decide_extension(scopes["inspector"], request.id, approve=False, reason="改主意")


def test_a_refusal_needs_a_reason_and_leaves_the_deadline_alone(scopes, at):
    plan = plan_by_code("ankang-2023")
    a = assignment_of("ankang-2023", "1.2.1", "安康市汉滨区")
    printed_deadline(a)
    at("2024-06-20T10:00:00")
    report(scopes["other"], a.id, "2024-06", 80)
    at("2024-07-05T10:00:00")
    request = reports.request_extension(scopes["other"], a.id, date(2024, 9, 30), "需要更多时间。")
    at("2024-07-08T09:00:00")
    with pytest.raises(supervision.SupervisionError, match="理由"):
        supervision.decide_extension(scopes["inspector"], request.id, approve=False)
    with pytest.raises(OutOfScope):
        supervision.decide_extension(scopes["other"], request.id, approve=True)
    supervision.decide_extension(
        scopes["inspector"], request.id, approve=False, reason="理由不充分,请按期完成。"
    )
    assert lights_now(plan, datetime(2024, 7, 10, 12, tzinfo=TZ)).assignments[a.id].rag == "red"
    rows = supervision.extension_requests(scopes["inspector"], "decided")
    assert [(r.request.id, r.decision_label) for r in rows] == [(request.id, "未批准")]


def test_a_reported_completion_is_done_only_once_the_office_confirms_it(scopes, at):
    plan = plan_by_code("ankang-2023")
    a = assignment_of("ankang-2023", "2.2.2", "安康市乡村振兴局")
    at("2024-06-20T10:00:00")
    with pytest.raises(supervision.SupervisionError, match="尚未报送"):
        supervision.confirm_completion(scopes["inspector"], a.id)
    report(scopes["clerk"], a.id, "2024-06", 100, complete=True)
    waiting, done = supervision.completions(plan, datetime(2024, 6, 21, tzinfo=TZ))
    assert [c.row.assignment_id for c in waiting] == [a.id] and done == []
    assert lights_now(plan, datetime(2024, 6, 21, tzinfo=TZ)).assignments[a.id].rag != "done"

    at("2024-06-22T10:00:00")
    with pytest.raises(OutOfScope):
        supervision.confirm_completion(scopes["clerk"], a.id)
    supervision.confirm_completion(scopes["inspector"], a.id, "资料齐全,确认办结。")
    assert lights_now(plan, datetime(2024, 6, 23, tzinfo=TZ)).assignments[a.id].rag == "done"

    at("2024-07-02T10:00:00")
    with pytest.raises(supervision.SupervisionError, match="理由"):
        supervision.reopen_completion(scopes["inspector"], a.id, "")
    supervision.reopen_completion(scopes["inspector"], a.id, "抽查发现尚有 2 个镇未完成。")
    assert lights_now(plan, datetime(2024, 7, 3, tzinfo=TZ)).assignments[a.id].rag != "done"
    detail = supervision.assignment_detail(scopes["inspector"], a.id)
    assert [c.kind for c in detail.completions] == ["reopen", "confirm"]


def test_the_overview_filters_by_section_unit_light_and_report(scopes, at):
    plan = plan_by_code("ankang-2023")
    a = assignment_of("ankang-2023", "2.2.2", "安康市乡村振兴局")
    at("2024-06-20T10:00:00")
    report(scopes["clerk"], a.id, "2024-06", 40)
    as_of = datetime(2024, 7, 1, 9, tzinfo=TZ)
    everything = supervision.overview(plan, as_of)
    assert everything.period == Period(2024, 6) and everything.total == len(everything.rows) > 600
    mine = supervision.overview(plan, as_of, unit_id=a.unit_id, report="on_time")
    assert [r.assignment_id for r in mine.rows] == [a.id]
    section_two = supervision.overview(plan, as_of, section="2")
    assert section_two.rows and all(r.top_section_code == "2" for r in section_two.rows)
    red = supervision.overview(plan, as_of, light="red")
    assert red.rows and all(r.light == "red" for r in red.rows)
    missing = supervision.missing_and_late(plan, as_of)
    assert a.id not in {c.row.assignment_id for c in missing}
    assert missing and all(c.row.report == "missing" for c in missing)


def test_changes_since_last_month_list_the_lights_that_moved(scopes, at):
    plan = plan_by_code("ankang-2023")
    a = assignment_of("ankang-2023", "2.2.2", "安康市乡村振兴局")
    at("2024-05-20T10:00:00")
    report(scopes["clerk"], a.id, "2024-05", 50)  # ahead of the 40.72% planned on 1 June
    # Its villages roll up from the counties, none of which reported one by the derived milestone of
    # 31 May (252 over 975 days from 1 May 2023, 396 days in → 102), so on 1 June it is amber. June's
    # report never comes: on 1 July it is red.
    measures, assignments = supervision.light_changes(
        plan, datetime(2024, 6, 1, 9, tzinfo=TZ), datetime(2024, 7, 1, 9, tzinfo=TZ)
    )
    change = next(c for c in assignments if c.assignment_id == a.id)
    assert (change.before, change.after, change.worse) == ("amber", "red", True)
    assert supervision.month_before(datetime(2024, 3, 31, 9, tzinfo=TZ)) == datetime(
        2024, 2, 29, 9, tzinfo=TZ
    )


def test_the_office_writes_a_bulletin_and_rates_quality_per_quarter(scopes, at):
    plan = plan_by_code("ankang-2023")
    at("2024-07-05T10:00:00")
    first = supervision.save_bulletin(
        scopes["inspector"], plan.id, "2024Q2", "## 总体情况\n\n二季度推进有力。"
    )
    supervision.save_bulletin(scopes["inspector"], plan.id, "2024Q2", "二季度推进有力,个别单位迟报。")
    assert supervision.bulletin(plan, "2024Q2").commentary == "二季度推进有力,个别单位迟报。"
    saves = AuditEvent.select().where(
        AuditEvent.action == "bulletin.save", AuditEvent.entity_id == str(first.id)
    )
    assert [e.before for e in saves.order_by(AuditEvent.seq)][1] == {
        "commentary": "## 总体情况\n\n二季度推进有力。"
    }
    with pytest.raises(supervision.SupervisionError, match="期次"):
        supervision.save_bulletin(scopes["inspector"], plan.id, "二季度", "x")
    with pytest.raises(OutOfScope):
        supervision.save_bulletin(scopes["leader"], plan.id, "2024Q2", "领导改一下")

    clerk_unit = unit_id("安康市乡村振兴局")
    with pytest.raises(supervision.SupervisionError, match="0 到 10"):
        supervision.save_quality_ratings(
            scopes["inspector"], plan.id, "2024Q2", {clerk_unit: supervision.RatingInput(11)}
        )
    changed = supervision.save_quality_ratings(
        scopes["inspector"], plan.id, "2024Q2", {clerk_unit: supervision.RatingInput(8.5, "材料翔实")}
    )
    again = supervision.save_quality_ratings(
        scopes["inspector"], plan.id, "2024Q2", {clerk_unit: supervision.RatingInput(8.5, "材料翔实")}
    )
    assert (changed, again) == (1, 0)
    ratings = quality_ratings(plan, ["2024Q2"], datetime(2024, 7, 6, tzinfo=TZ))
    assert float(ratings["安康市乡村振兴局"]) == 8.5
    sheet = {line.unit_label: line.rating for line in supervision.quality_sheet(plan, "2024Q2")}
    assert sheet["市乡村振兴局"].points == 8.5 and sheet["汉滨区"] is None
