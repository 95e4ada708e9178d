"""Chasing (催办): which rung of the three-colour ladder is due at a moment, and what the slip says."""

from datetime import timedelta

import pytest

from tracker.rules.chasing import (
    ChaseKind,
    ChasePolicy,
    FindingCase,
    Slip,
    Step,
    chase_message,
    due_chases,
    escalation_day,
    finding_chases,
    report_chases,
)
from tracker.rules.values import ReportingRules

from .builders import assignment, at, confirmed, day, extension, finding, monthly_reports, period, report

DEFAULT = ReportingRules()
PLAN = "旬邑县十大提升行动实施方案"
# Reports for January to April came on time, so only May's ladder is in play in May.
EARLIER = monthly_reports("2024-01", "2024-04")


def may(**fields):
    fields["revisions"] = [*EARLIER, *fields.get("revisions", ())]
    return assignment(**fields)


def steps(chases):
    return [(str(c.period), c.step) for c in chases]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param("2024-05-21 23:59:59", [], id="nothing-before-the-reminder-window"),
        pytest.param("2024-05-22 00:00", [("2024-05", Step.REMIND)], id="blue-reminder-3-days-before"),
        pytest.param("2024-05-24 23:59:59", [("2024-05", Step.REMIND)], id="still-a-reminder-the-day-before"),
        pytest.param("2024-05-25 00:00", [("2024-05", Step.DUE_DAY)], id="on-the-due-day-from-midnight"),
        pytest.param(
            "2024-05-25 23:59:59.999999", [("2024-05", Step.DUE_DAY)], id="on-the-due-day-until-2359-ends"
        ),
        pytest.param("2024-05-26 00:00", [("2024-05", Step.OVERDUE)], id="yellow-once-the-due-minute-ends"),
        pytest.param("2024-05-28 23:59", [("2024-05", Step.OVERDUE)], id="yellow-until-the-escalation-day"),
        pytest.param(
            "2024-05-29 00:00", [("2024-05", Step.ESCALATE)], id="red-on-the-third-working-day-after"
        ),
        pytest.param(
            "2024-06-22 09:00",
            [("2024-05", Step.ESCALATE), ("2024-06", Step.REMIND)],
            id="red-for-may-and-blue-for-june-side-by-side",
        ),
        pytest.param(
            "2024-06-24 23:59:59.999999",
            [("2024-05", Step.ESCALATE), ("2024-06", Step.REMIND)],
            id="may-is-followed-for-30-days-after-its-due-minute",
        ),
        pytest.param("2024-06-25 00:00", [("2024-06", Step.DUE_DAY)], id="then-june-takes-over"),
    ],
)
def test_a_missing_report_climbs_the_ladder_one_rung_at_a_time(now, expected):
    assert steps(report_chases(may(), DEFAULT, at(now))) == expected


@pytest.mark.parametrize(
    ("revisions", "now", "expected"),
    [
        pytest.param(
            [report("2024-05-20 10:00", "2024-05")], "2024-05-22 09:00", [], id="sent-early-nothing-to-remind"
        ),
        pytest.param(
            [report("2024-05-25 23:59:59", "2024-05")], "2024-05-26 09:00", [], id="sent-at-235959-is-on-time"
        ),
        pytest.param(
            [report("2024-05-27 10:00", "2024-05")],
            "2024-05-27 10:00",
            [("2024-05", Step.LATE)],
            id="sent-late-gets-a-late-notice",
        ),
        pytest.param(
            [report("2024-05-27 10:00", "2024-05")],
            "2024-05-27 09:59",
            [("2024-05", Step.OVERDUE)],
            id="a-minute-before-it-came-it-was-overdue",
        ),
        pytest.param(
            [report("2024-05-20 10:00", "2024-04")],
            "2024-05-22 09:00",
            [("2024-05", Step.REMIND)],
            id="a-report-for-another-period-does-not-count",
        ),
    ],
)
def test_a_report_that_came_stops_the_ladder(revisions, now, expected):
    assert steps(report_chases(may(revisions=revisions), DEFAULT, at(now))) == expected


def test_a_late_notice_counts_working_days_late():
    (chase,) = report_chases(
        may(revisions=[report("2024-05-29 09:00", "2024-05")]), DEFAULT, at("2024-05-29 10:00")
    )
    assert (chase.kind, chase.slip, chase.days_late) == (ChaseKind.REPORT_LATE, Slip.YELLOW, 3)


@pytest.mark.parametrize(
    ("facts", "now", "rules", "last_period", "expected"),
    [
        pytest.param(
            may(start="2024-05-26"), "2024-05-26 09:00", DEFAULT, None, [], id="starts-after-the-due-day"
        ),
        pytest.param(
            may(
                revisions=[report("2024-05-10 10:00", "2024-05", 100, complete=True)],
                confirmations=confirmed("2024-05-12 10:00"),
            ),
            "2024-06-25 09:00",
            DEFAULT,
            None,
            [],
            id="done-and-confirmed-is-never-chased",
        ),
        pytest.param(
            may(), "2024-05-26 09:00", DEFAULT, period("2024-04"), [], id="after-the-plans-last-month"
        ),
        pytest.param(
            may(extensions=[extension("2024-05-20 10:00", "2024-06-05", ("2024-05",))]),
            "2024-05-26 09:00",
            DEFAULT,
            None,
            [],
            id="an-extension-moves-the-ladder",
        ),
        pytest.param(
            may(extensions=[extension("2024-05-20 10:00", "2024-06-05", ("2024-05",))]),
            "2024-06-02 00:00",
            DEFAULT,
            None,
            [("2024-05", Step.REMIND)],
            id="reminded-3-days-before-the-extended-day",
        ),
        pytest.param(
            may(extensions=[extension("2024-05-20 10:00", "2024-06-05", ("2024-05",))]),
            "2024-06-06 00:00",
            DEFAULT,
            None,
            [("2024-05", Step.OVERDUE)],
            id="overdue-after-the-extended-day",
        ),
        pytest.param(
            assignment(revisions=monthly_reports("2024-01", "2024-09", on_day=1)),
            "2024-10-05 00:00",
            ReportingRules(due_day=1, holiday_shift=True),
            None,
            [("2024-10", Step.REMIND)],
            id="a-holiday-shift-moves-the-reminder-2024-10-01-to-10-08",
        ),
    ],
)
def test_what_is_not_chased_and_what_moves_the_ladder(facts, now, rules, last_period, expected):
    assert steps(report_chases(facts, rules, at(now), last_period=last_period)) == expected


def test_a_wider_policy_moves_every_rung():
    policy = ChasePolicy(remind_days=5, escalate_days=1, follow_days=10)
    assert steps(report_chases(may(), DEFAULT, at("2024-05-20 00:00"), policy)) == [("2024-05", Step.REMIND)]
    assert steps(report_chases(may(), DEFAULT, at("2024-05-27 00:00"), policy)) == [
        ("2024-05", Step.ESCALATE)
    ]
    assert report_chases(may(), DEFAULT, at("2024-06-05 00:00"), policy) == ()


def test_sweeping_a_month_hour_by_hour_sends_each_rung_once_and_in_order():
    seen = {}
    moment = at("2024-05-01 00:00")
    while moment < at("2024-07-01 00:00"):
        for chase in report_chases(may(), DEFAULT, moment):
            seen.setdefault(chase.key, (moment, chase))
        moment += timedelta(hours=1)
    may_rungs = [
        c.step for _, c in sorted(seen.values(), key=lambda item: item[0]) if str(c.period) == "2024-05"
    ]
    assert may_rungs == [Step.REMIND, Step.DUE_DAY, Step.OVERDUE, Step.ESCALATE]
    assert len({key for key in seen}) == len(seen)
    assert all(key.startswith("report:1:") for key in seen)


def test_the_escalation_day_counts_working_days_after_the_due_day():
    assert escalation_day(day("2024-05-25"), 3) == day("2024-05-29")  # Saturday → Wednesday
    assert escalation_day(day("2024-09-27"), 2) == day("2024-09-30")  # Sunday 09-29 is a 调休 working day
    assert escalation_day(day("2024-09-30"), 1) == day("2024-10-08")  # across 国庆
    assert escalation_day(day("2024-05-25"), 0) == day("2024-05-25")


def case(**fields):
    answered = tuple(map(at, fields.pop("answered", ())))
    return FindingCase(finding("2024-06-01 10:00", "2024-06-28", **fields), unit_id=7, answered_at=answered)


@pytest.mark.parametrize(
    ("item", "now", "expected"),
    [
        pytest.param(case(), "2024-06-24 23:59", [], id="nothing-before-the-reminder-window"),
        pytest.param(case(), "2024-06-25 00:00", [Step.REMIND], id="blue-3-days-before-the-deadline"),
        pytest.param(case(), "2024-06-28 23:59:59", [Step.REMIND], id="blue-until-the-deadline-day-ends"),
        pytest.param(case(), "2024-06-29 00:00", [Step.OVERDUE], id="yellow-once-overdue"),
        pytest.param(case(), "2024-07-02 23:59", [Step.OVERDUE], id="yellow-until-the-escalation-day"),
        pytest.param(case(), "2024-07-03 00:00", [Step.ESCALATE], id="red-on-the-third-working-day-after"),
        pytest.param(case(closed=("2024-06-27 10:00",)), "2024-06-29 00:00", [], id="closed-is-not-chased"),
        pytest.param(
            case(closed=("2024-06-27 10:00",), reopened=("2024-07-10 10:00",)),
            "2024-07-10 10:00",
            [Step.ESCALATE],
            id="reopened-is-chased-where-its-deadline-puts-it",
        ),
        pytest.param(
            case(answered=("2024-06-27 10:00",)), "2024-06-29 00:00", [], id="answered-waits-for-office"
        ),
        pytest.param(
            case(answered=("2024-06-27 10:00",), reopened=("2024-07-01 10:00",)),
            "2024-07-01 10:00",
            [Step.OVERDUE],
            id="an-answer-rejected-by-reopening-is-chased-again",
        ),
        pytest.param(case(), "2024-05-31 10:00", [], id="not-yet-recorded"),
    ],
)
def test_an_open_finding_is_chased_before_and_after_its_rectification_deadline(item, now, expected):
    assert [c.step for c in finding_chases(item, at(now))] == expected


def test_a_finding_key_names_its_deadline_so_a_new_deadline_starts_a_new_ladder():
    (first,) = finding_chases(case(), at("2024-06-29 09:00"))
    moved = FindingCase(finding("2024-06-01 10:00", "2024-07-31"), unit_id=7)
    (second,) = finding_chases(moved, at("2024-07-30 09:00"))
    assert first.key == "finding:1:2024-06-28:overdue"
    assert second.key == "finding:1:2024-07-31:remind"


def test_due_chases_orders_by_unit_then_key_and_keys_are_stable():
    facts = [may(id=2), may(id=1)]
    findings = [case()]
    chases = due_chases(facts, findings, DEFAULT, at("2024-06-26 09:00"))
    assert [c.key for c in chases] == [
        "finding:1:2024-06-28:remind",
        "report:1:2024-06:overdue",
        "report:2:2024-06:overdue",
    ]
    assert due_chases(facts, findings, DEFAULT, at("2024-06-26 09:00")) == chases


def one(facts, now):
    (chase,) = report_chases(facts, DEFAULT, at(now))
    return chase


@pytest.mark.parametrize(
    ("facts", "now", "text"),
    [
        pytest.param(
            may(),
            "2024-05-22 09:00",
            f"【提醒·蓝色】请于5月25日23:59前报送《{PLAN}》第1.1项措施“加强党政班子建设”5月进展。",
            id="blue-reminder",
        ),
        pytest.param(
            may(),
            "2024-05-25 09:00",
            f"【催办·蓝色】今天是报送截止日，请于5月25日23:59前报送《{PLAN}》第1.1项措施“加强党政班子建设”5月进展。",
            id="blue-on-the-due-day",
        ),
        pytest.param(
            may(),
            "2024-05-26 09:00",
            f"【催办·黄色】《{PLAN}》第1.1项措施“加强党政班子建设”5月进展应于5月25日23:59前报送，"
            "你单位至今未报送，已逾期。请立即报送，并说明逾期原因。",
            id="yellow-overdue",
        ),
        pytest.param(
            may(),
            "2024-05-30 09:00",
            f"【督办·红色】《{PLAN}》第1.1项措施“加强党政班子建设”5月进展应于5月25日23:59前报送，"
            "你单位逾期4个工作日仍未报送。请于今日内报送，并向督查室书面说明原因。本督办单抄送你单位主要负责同志。",
            id="red-copied-to-the-leader",
        ),
        pytest.param(
            may(revisions=[report("2024-05-27 16:30", "2024-05")]),
            "2024-05-28 09:00",
            f"【迟报·黄色】你单位于5月27日16:30报送《{PLAN}》第1.1项措施“加强党政班子建设”5月进展，"
            "晚于规定时限（5月25日23:59），迟报1个工作日。请今后严格按时报送。",
            id="yellow-late",
        ),
        pytest.param(
            may(extensions=[extension("2024-05-20 10:00", "2024-06-05", ("2024-05",))]),
            "2024-06-03 09:00",
            f"【提醒·蓝色】请于6月5日23:59前报送《{PLAN}》第1.1项措施“加强党政班子建设”5月进展（已批准延期至6月5日）。",
            id="an-extension-is-named",
        ),
    ],
)
def test_a_report_slip_reads_as_the_office_writes_it(facts, now, text):
    assert chase_message(one(facts, now), PLAN) == text


@pytest.mark.parametrize(
    ("now", "text"),
    [
        pytest.param(
            "2024-06-26 09:00",
            "【整改提醒·蓝色】问题“台账不全”整改时限为6月28日，请于6月28日23:59前完成整改并报送整改材料。",
            id="blue",
        ),
        pytest.param(
            "2024-06-29 09:00",
            "【整改催办·黄色】问题“台账不全”应于6月28日前完成整改，现已逾期。请立即整改，报送整改材料并说明逾期原因。",
            id="yellow",
        ),
        pytest.param(
            "2024-07-03 09:00",
            "【整改督办·红色】问题“台账不全”应于6月28日前完成整改，已逾期3个工作日仍未完成。"
            "请立即整改，并向督查室书面说明原因。本督办单抄送你单位主要负责同志。",
            id="red",
        ),
    ],
)
def test_a_finding_slip_reads_as_the_office_writes_it(now, text):
    (chase,) = finding_chases(case(), at(now))
    assert chase_message(chase) == text


def test_only_the_red_slip_is_copied_to_the_leader():
    rungs = {
        c.step: c
        for now in ("2024-05-22", "2024-05-25", "2024-05-26", "2024-05-29")
        for c in report_chases(may(), DEFAULT, at(now))
    }
    assert {step: c.copy_leader for step, c in rungs.items()} == {
        Step.REMIND: False,
        Step.DUE_DAY: False,
        Step.OVERDUE: False,
        Step.ESCALATE: True,
    }


def test_a_policy_refuses_negative_days():
    with pytest.raises(ValueError, match="remind_days"):
        ChasePolicy(remind_days=-1)
