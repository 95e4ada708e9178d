"""Lights (红黄绿灯) of an assignment and of a measure as of a moment, with their reasons."""

from decimal import Decimal

import pytest

from tracker.rules.lights import Rag, assignment_light, measure_light
from tracker.rules.values import IndicatorSpec, Milestone, Recurring, ReportingRules, Role

from .builders import (
    FIN,
    ORG,
    assignment,
    at,
    confirmed,
    day,
    extension,
    finding,
    monthly_reports,
    reopened,
    report,
)

DEFAULT = ReportingRules()
RED, AMBER, GREEN, DONE, NOT_STARTED = Rag.RED, Rag.AMBER, Rag.GREEN, Rag.DONE, Rag.NOT_STARTED

ON_TIME_TO_MAY = monthly_reports("2024-01", "2024-05")
COMPLETE = report("2024-05-20 10:00", "2024-05", 100, complete=True)
TOILETS = IndicatorSpec("改建卫生厕所", "座", 2600, milestones=(Milestone(day("2024-05-31"), 1300),))


def with_toilets(value):
    return assignment(
        indicators=[TOILETS],
        revisions=[
            *monthly_reports("2024-01", "2024-04"),
            report("2024-05-20 10:00", "2024-05", values={"改建卫生厕所": value}),
        ],
    )


CASES = [
    # not started and done
    pytest.param(
        assignment(start="2024-07-01"),
        "2024-06-30 23:59",
        NOT_STARTED,
        "未开始（7月1日开始）",
        id="before-the-start-is-not-started",
    ),
    pytest.param(
        assignment(start="2024-07-01"), "2024-07-01 00:00", GREEN, "按计划推进", id="on-the-start-day-it-runs"
    ),
    pytest.param(
        assignment(revisions=[*ON_TIME_TO_MAY, COMPLETE], confirmations=confirmed("2024-05-22 10:00")),
        "2024-06-30 10:00",
        DONE,
        "办结已确认（5月22日）",
        id="complete-and-confirmed-is-done",
    ),
    pytest.param(
        assignment(revisions=[*monthly_reports("2024-01", "2024-04"), COMPLETE], deadline="2024-06-30"),
        "2024-07-01 00:00",
        RED,
        "已超过完成时限（2024年6月30日）",
        id="complete-but-unconfirmed-past-the-deadline-is-red",
    ),
    pytest.param(
        assignment(
            revisions=[*monthly_reports("2024-01", "2024-04"), COMPLETE],
            confirmations=confirmed("2024-05-22 10:00"),
            reopenings=reopened("2024-06-01 10:00"),
        ),
        "2024-06-30 10:00",
        RED,
        "6月报送缺报",
        id="reopened-it-owes-reports-again",
    ),
    # red
    pytest.param(
        assignment(deadline="2024-06-30", revisions=monthly_reports("2024-01", "2024-06")),
        "2024-06-30 23:59:59",
        AMBER,
        "距完成时限 0 天，进度 50%",
        id="on-the-deadline-day-at-235959-it-is-amber",
    ),
    pytest.param(
        assignment(deadline="2024-06-30", revisions=monthly_reports("2024-01", "2024-06")),
        "2024-07-01 00:00",
        RED,
        "已超过完成时限（2024年6月30日）",
        id="at-0000-after-the-deadline-it-is-red",
    ),
    pytest.param(
        assignment(
            deadline="2024-06-30",
            revisions=monthly_reports("2024-01", "2024-06", 90),
            extensions=[extension("2024-06-28 10:00", "2024-09-30")],
        ),
        "2024-07-01 00:00",
        GREEN,
        "按计划推进",
        id="an-approved-deadline-extension-keeps-it-out-of-red",
    ),
    pytest.param(
        assignment(
            deadline="2024-06-30",
            revisions=monthly_reports("2024-01", "2024-07"),
            extensions=[extension("2024-06-28 10:00", "2024-07-15")],
        ),
        "2024-07-16 00:00",
        RED,
        "已超过完成时限（2024年7月15日，已延期）",
        id="past-the-extended-deadline-it-is-red-and-says-extended",
    ),
    pytest.param(
        assignment(revisions=monthly_reports("2024-01", "2024-04")),
        "2024-05-26 00:00",
        RED,
        "5月报送缺报",
        id="the-last-due-report-missing-is-red",
    ),
    pytest.param(
        assignment(recurring=Recurring.MONTHLY, revisions=monthly_reports("2024-01", "2024-04")),
        "2024-05-31 23:59",
        RED,
        "5月报送缺报",
        id="a-monthly-duty-is-still-red-for-a-missing-report",
    ),
    pytest.param(
        assignment(recurring=Recurring.MONTHLY, deadline="2024-03-31", revisions=ON_TIME_TO_MAY),
        "2024-05-31 23:59",
        GREEN,
        "按计划推进",
        id="a-recurring-duty-is-never-red-by-deadline",
    ),
    pytest.param(
        assignment(deadline=None, revisions=ON_TIME_TO_MAY),
        "2024-05-31 23:59",
        GREEN,
        "按计划推进",
        id="a-long-term-duty-has-no-deadline",
    ),
    pytest.param(
        assignment(revisions=ON_TIME_TO_MAY, findings=[finding("2024-05-01 10:00", "2024-05-20")]),
        "2024-05-21 00:00",
        RED,
        "问题整改逾期：台账不全（时限5月20日）",
        id="an-open-finding-past-its-deadline-is-red",
    ),
    pytest.param(
        assignment(revisions=ON_TIME_TO_MAY, findings=[finding("2024-05-01 10:00", "2024-05-20")]),
        "2024-05-20 23:59:59",
        GREEN,
        "按计划推进",
        id="an-open-finding-on-its-deadline-day-is-not-yet-overdue",
    ),
    pytest.param(
        assignment(
            revisions=ON_TIME_TO_MAY,
            findings=[finding("2024-05-01 10:00", "2024-05-20", closed=("2024-05-19 10:00",))],
        ),
        "2024-05-31 00:00",
        GREEN,
        "按计划推进",
        id="a-closed-finding-is-not-red",
    ),
    pytest.param(
        assignment(
            revisions=ON_TIME_TO_MAY,
            findings=[
                finding(
                    "2024-05-01 10:00",
                    "2024-05-20",
                    closed=("2024-05-19 10:00",),
                    reopened=("2024-05-22 10:00",),
                )
            ],
        ),
        "2024-05-31 00:00",
        RED,
        "问题整改逾期：台账不全（时限5月20日）",
        id="a-reopened-finding-past-its-deadline-is-red",
    ),
    # amber
    pytest.param(
        assignment(deadline="2024-06-30", revisions=ON_TIME_TO_MAY),
        "2024-05-31 12:00",
        AMBER,
        "距完成时限 30 天，进度 50%",
        id="exactly-30-days-to-the-deadline-is-amber",
    ),
    pytest.param(
        assignment(deadline="2024-06-30", revisions=monthly_reports("2024-01", "2024-05", 90)),
        "2024-05-30 23:59:59",
        GREEN,
        "按计划推进",
        id="31-days-to-the-deadline-is-green",
    ),
    pytest.param(
        assignment(deadline="2024-06-30", revisions=monthly_reports("2024-01", "2024-05", percent=100)),
        "2024-06-10 12:00",
        GREEN,
        "按计划推进",
        id="within-30-days-at-100-percent-is-green",
    ),
    pytest.param(
        assignment(deadline="2024-03-20", start="2024-03-01"),
        "2024-03-10 12:00",
        AMBER,
        "距完成时限 10 天，尚未报送进度",
        id="within-30-days-without-any-report-is-amber",
    ),
    pytest.param(
        assignment(revisions=[*monthly_reports("2024-01", "2024-04"), report("2024-05-28 10:00", "2024-05")]),
        "2024-05-31 23:59",
        AMBER,
        "5月报送迟报 2 个工作日",
        id="the-last-report-late-is-amber",
    ),
    pytest.param(
        assignment(revisions=[report("2024-04-28 10:00", "2024-04"), *monthly_reports("2024-05", "2024-05")]),
        "2024-05-31 23:59",
        GREEN,
        "按计划推进",
        id="an-earlier-late-report-no-longer-counts",
    ),
    pytest.param(
        with_toilets(900),
        "2024-06-01 00:00",
        AMBER,
        "指标「改建卫生厕所」落后于节点（5月31日应达 1300座，实报 900座）",
        id="an-indicator-behind-its-passed-milestone-is-amber",
    ),
    pytest.param(
        with_toilets(1300),
        "2024-06-01 00:00",
        GREEN,
        "按计划推进",
        id="reaching-the-milestone-exactly-is-green",
    ),
    pytest.param(
        with_toilets(900), "2024-05-31 23:59:59", GREEN, "按计划推进", id="the-milestone-day-has-not-ended"
    ),
]


@pytest.mark.parametrize(("facts", "as_of", "rag", "reason"), CASES)
def test_an_assignment_light_follows_the_rules_in_order(facts, as_of, rag, reason):
    light = assignment_light(facts, DEFAULT, at(as_of))
    assert light.rag is rag
    assert reason in light.reasons


def test_red_lists_every_reason_that_applies():
    facts = assignment(
        deadline="2024-05-20",
        revisions=monthly_reports("2024-01", "2024-04"),
        findings=[finding("2024-05-01 10:00", "2024-05-20")],
    )
    light = assignment_light(facts, DEFAULT, at("2024-05-31 23:59"))
    assert light.reasons == (
        "已超过完成时限（2024年5月20日）",
        "5月报送缺报",
        "问题整改逾期：台账不全（时限5月20日）",
    )


def test_the_amber_window_is_configurable():
    facts = assignment(deadline="2024-06-30", revisions=monthly_reports("2024-01", "2024-05", 95))
    assert assignment_light(facts, ReportingRules(amber_days=15), at("2024-06-01 10:00")).rag is GREEN
    assert assignment_light(facts, ReportingRules(amber_days=15), at("2024-06-15 10:00")).rag is AMBER


def lead(unit, **fields):
    return assignment(unit=unit, role=Role.LEAD, **fields)


GREEN_LEAD = dict(revisions=ON_TIME_TO_MAY)
DONE_LEAD = dict(revisions=[*ON_TIME_TO_MAY, COMPLETE], confirmations=confirmed("2024-05-22 10:00"))
RED_LEAD = dict(revisions=monthly_reports("2024-01", "2024-04"))


@pytest.mark.parametrize(
    ("assignments", "rag", "reasons"),
    [
        pytest.param([lead(ORG, **GREEN_LEAD)], GREEN, ("按计划推进",), id="one-lead-gives-its-light"),
        pytest.param(
            [lead(ORG, **GREEN_LEAD), lead(FIN, **RED_LEAD)],
            RED,
            ("市财政局：5月报送缺报",),
            id="several-leads-give-the-worst-with-the-unit-named",
        ),
        pytest.param(
            [lead(ORG, **DONE_LEAD), lead(FIN, **GREEN_LEAD)],
            GREEN,
            ("市财政局：按计划推进",),
            id="done-only-when-all-are",
        ),
        pytest.param(
            [lead(ORG, **DONE_LEAD), lead(FIN, **DONE_LEAD)],
            DONE,
            ("市委组织部：办结已确认（5月22日）", "市财政局：办结已确认（5月22日）"),
            id="all-leads-done-is-done",
        ),
        pytest.param(
            [lead(ORG, **GREEN_LEAD), assignment(unit=FIN, role=Role.RESPONSIBLE, **RED_LEAD)],
            RED,
            ("市财政局：5月报送缺报",),
            id="a-responsible-unit-colours-the-measure-naming-it",
        ),
        pytest.param(
            [lead(ORG, **DONE_LEAD), assignment(unit=FIN, role=Role.RESPONSIBLE, **RED_LEAD)],
            DONE,
            ("办结已确认（5月22日）",),
            id="a-confirmed-lead-closes-the-measure-whatever-its-responsible-units",
        ),
        pytest.param(
            [lead(ORG, **GREEN_LEAD), assignment(unit=FIN, role=Role.SUPPORTING, **RED_LEAD)],
            GREEN,
            ("按计划推进",),
            id="a-supporting-unit-does-not-colour-the-measure",
        ),
        pytest.param(
            [assignment(unit=ORG, role=Role.RESPONSIBLE, **RED_LEAD)],
            RED,
            ("5月报送缺报",),
            id="a-measure-without-a-lead-is-led-by-all-its-units",
        ),
        pytest.param(
            [lead(ORG, **DONE_LEAD), lead(FIN, start="2024-07-01")],
            NOT_STARTED,
            ("市财政局：未开始（7月1日开始）",),
            id="done-and-not-started-leads-show-not-started",
        ),
    ],
)
def test_a_measure_light_is_the_worst_of_its_leads(assignments, rag, reasons):
    light = measure_light(assignments, DEFAULT, at("2024-05-31 23:59"))
    assert (light.rag, light.reasons) == (rag, reasons)


def test_a_measure_without_assignments_has_no_light():
    with pytest.raises(ValueError):
        measure_light([], DEFAULT, at("2024-05-31 23:59"))


OVERDUE_LOANS = IndicatorSpec(
    "贷款逾期率",
    "%",
    Decimal("0.5"),
    cumulative=False,
    direction="down",
    kind="rate",
    milestones=(Milestone(day("2024-05-31"), Decimal("0.5")),),
)


@pytest.mark.parametrize(
    ("number", "rag", "reason"),
    [
        ("0.5", GREEN, "按计划推进"),
        ("0.3", GREEN, "按计划推进"),
        ("0.7", AMBER, "指标「贷款逾期率」落后于节点（5月31日应不高于 0.5%，实报 0.7%）"),
    ],
)
def test_a_down_indicator_is_behind_only_above_its_ceiling(number, rag, reason):
    facts = assignment(
        indicators=[OVERDUE_LOANS],
        revisions=[
            *monthly_reports("2024-01", "2024-04"),
            report("2024-05-20 10:00", "2024-05", values={"贷款逾期率": Decimal(number)}),
        ],
    )
    light = assignment_light(facts, DEFAULT, at("2024-06-10 10:00"))
    assert (light.rag, light.reasons) == (rag, (reason,))


@pytest.mark.parametrize(
    ("percent", "rag", "reasons"),
    [
        (46, AMBER, ("进度 46%，低于计划 49.59%",)),
        (50, GREEN, ("按计划推进",)),
    ],
)
def test_progress_below_the_planned_percent_is_amber_stating_both(percent, rag, reasons):
    # 181 of the 365 days from 1 January to the deadline on 31 December: 49.59% planned.
    facts = assignment(deadline="2024-12-31", revisions=monthly_reports("2024-01", "2024-06", percent))
    light = assignment_light(facts, DEFAULT, at("2024-06-30 23:59"))
    assert (light.rag, light.reasons) == (rag, reasons)


def test_a_reconstructed_deadline_warns_but_never_turns_the_light_red_by_itself():
    printed = assignment(deadline="2024-06-30", revisions=monthly_reports("2024-01", "2024-07", 90))
    guessed = assignment(
        deadline="2024-06-30",
        revisions=monthly_reports("2024-01", "2024-07", 90),
        deadline_reconstructed=True,
    )
    moment = at("2024-07-31 23:59")
    assert assignment_light(printed, DEFAULT, moment).rag is RED
    light = assignment_light(guessed, DEFAULT, moment)
    assert light.rag is AMBER
    assert "已过整理所得的完成时限（2024年6月30日，非原文）" in light.reasons
