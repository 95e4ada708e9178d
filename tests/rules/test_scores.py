"""Unit scores for a quarter and a year, their lines, and the ranking."""

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.rules.periods import Quarter, Year
from tracker.rules.progress import expected_percent, read
from tracker.rules.scores import (
    Part,
    ScoreLine,
    UnitScore,
    apportion,
    assess,
    finding_lines,
    on_time_lines,
    progress_lines,
    quality_lines,
    rank,
    signed,
)
from tracker.rules.values import Finding, IndicatorSpec, Milestone, ReportingRules, ScoreWeights, Unit

from .builders import DRC, FIN, assignment, at, confirmed, day, extension, finding, monthly_reports, report

Q2 = Quarter(2024, 2)
DEFAULT = ReportingRules()
Q2_CUTOFF = at("2024-06-30 23:59:59")


def readings(*facts):
    """The assignments as they read at the end of Q2."""
    return [read(item, DEFAULT, Q2_CUTOFF) for item in facts]


def points(lines):
    return [str(line) for line in lines]


@pytest.mark.parametrize(
    ("revisions", "expected"),
    [
        pytest.param(
            monthly_reports("2024-01", "2024-06"),
            ["+30.0 按时报送（权重 30 分，应报 3 期）"],
            id="all-on-time-is-full",
        ),
        pytest.param(
            [
                *monthly_reports("2024-01", "2024-04"),
                report("2024-05-29 10:00", "2024-05"),
                *monthly_reports("2024-06", "2024-06"),
            ],
            ["+30.0 按时报送（权重 30 分，应报 3 期）", "−5.0 措施 1.1 5月报送迟报 3 个工作日"],
            id="a-late-report-loses-half-its-share",
        ),
        pytest.param(
            [*monthly_reports("2024-01", "2024-05")],
            ["+30.0 按时报送（权重 30 分，应报 3 期）", "−10.0 措施 1.1 6月报送缺报"],
            id="a-missing-report-loses-its-whole-share",
        ),
    ],
)
def test_on_time_reporting_shares_30_points_among_the_reports_due(revisions, expected):
    assert points(on_time_lines(readings(assignment(revisions=revisions)), Q2, DEFAULT)) == expected


def test_with_no_report_due_on_time_reporting_is_full():
    lines = on_time_lines(readings(assignment(start="2024-07-01")), Q2, DEFAULT)
    assert points(lines) == ["+30.0 按时报送（权重 30 分，本期无应报）"]


def test_a_share_that_does_not_divide_evenly_still_adds_up():
    facts = [assignment(id=i, revisions=monthly_reports("2024-01", "2024-06")) for i in range(6)]
    facts.append(assignment(id=7, revisions=monthly_reports("2024-01", "2024-05")))
    lines = on_time_lines(readings(*facts), Q2, DEFAULT)
    assert points(lines) == ["+30.0 按时报送（权重 30 分，应报 21 期）", "−1.43 措施 1.1 6月报送缺报"]


@pytest.mark.parametrize(
    ("on", "percent"),
    [
        pytest.param("2024-01-01", Fraction(0), id="nothing-expected-on-the-start-day"),
        pytest.param("2024-07-01", Fraction(100 * 182, 365), id="linear-in-between"),
        pytest.param("2024-12-31", Fraction(100), id="everything-by-the-deadline"),
        pytest.param("2025-03-01", Fraction(100), id="never-above-100"),
        pytest.param("2023-12-01", Fraction(0), id="never-below-0"),
    ],
)
def test_expected_progress_is_linear_from_start_to_deadline(on, percent):
    assert expected_percent(day("2024-01-01"), day("2024-12-31"), day(on)) == percent


def test_a_deadline_on_the_start_day_expects_everything():
    assert expected_percent(day("2024-05-01"), day("2024-05-01"), day("2024-05-01")) == 100


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        pytest.param(
            [assignment(deadline="2024-12-31", revisions=monthly_reports("2024-01", "2024-06", 50))],
            ["+40.0 按计划推进（权重 40 分，计 1 项）"],
            id="meeting-the-linear-plan-keeps-the-share",
        ),
        pytest.param(
            [assignment(deadline="2024-12-31", revisions=monthly_reports("2024-01", "2024-06", 45))],
            [
                "+40.0 按计划推进（权重 40 分，计 1 项）",
                "−3.7 措施 1.1 进度 45%，计划 49.59%，按比例得 90.75%",
            ],
            id="behind-the-linear-plan-earns-in-proportion",
        ),
        pytest.param(
            [
                assignment(
                    deadline="2024-06-30",
                    extensions=[extension("2024-06-20 10:00", "2024-12-31")],
                    revisions=monthly_reports("2024-01", "2024-06", 50),
                )
            ],
            ["+40.0 按计划推进（权重 40 分，计 1 项）"],
            id="an-approved-extension-stretches-the-plan",
        ),
        pytest.param(
            [
                assignment(id=1, deadline="2024-12-31", revisions=monthly_reports("2024-01", "2024-06", 50)),
                assignment(
                    id=2,
                    measure_code="1.2",
                    deadline=None,
                    revisions=monthly_reports("2024-01", "2024-06", 0),
                ),
            ],
            ["+40.0 按计划推进（权重 40 分，计 1 项）"],
            id="a-long-term-duty-without-milestones-is-not-counted",
        ),
        pytest.param(
            [
                assignment(
                    deadline=None,
                    indicators=[
                        IndicatorSpec(
                            "改建卫生厕所", "座", 2600, milestones=(Milestone(day("2024-05-31"), 1300),)
                        )
                    ],
                    revisions=monthly_reports("2024-01", "2024-06", 0),
                )
            ],
            [
                "+40.0 按计划推进（权重 40 分，计 1 项）",
                "−40.0 措施 1.1 指标「改建卫生厕所」落后于节点（5月31日应达 1300座，未报送），按比例得 0%",
            ],
            id="an-indicator-behind-its-milestone-loses-the-share",
        ),
        pytest.param(
            [
                assignment(
                    deadline="2024-12-31",
                    revisions=[
                        *monthly_reports("2024-01", "2024-05", 10),
                        report("2024-06-01 10:00", "2024-06", 10, complete=True),
                    ],
                    confirmations=confirmed("2024-06-05 10:00"),
                )
            ],
            ["+40.0 按计划推进（权重 40 分，计 1 项）"],
            id="a-done-assignment-keeps-the-share",
        ),
        pytest.param([], ["+40.0 按计划推进（权重 40 分，无可比进度）"], id="nothing-to-compare-is-full"),
    ],
)
def test_progress_against_plan_shares_40_points_among_comparable_assignments(facts, expected):
    assert points(progress_lines(readings(*facts), DEFAULT)) == expected


@pytest.mark.parametrize(
    ("findings", "expected"),
    [
        pytest.param(
            [finding("2024-04-01 10:00", "2024-05-20", closed=("2024-05-20 23:59:59",))],
            ["+20.0 问题按期整改（权重 20 分，应整改 1 个）"],
            id="closed-by-235959-on-the-deadline-day-is-on-time",
        ),
        pytest.param(
            [finding("2024-04-01 10:00", "2024-05-20", closed=("2024-05-21 00:00",))],
            [
                "+20.0 问题按期整改（权重 20 分，应整改 1 个）",
                "−20.0 问题「台账不全」未按期整改销号（时限5月20日）",
            ],
            id="closed-the-next-day-is-late",
        ),
        pytest.param(
            [
                finding(
                    "2024-04-01 10:00",
                    "2024-05-20",
                    closed=("2024-05-10 10:00",),
                    reopened=("2024-05-12 10:00",),
                )
            ],
            [
                "+20.0 问题按期整改（权重 20 分，应整改 1 个）",
                "−20.0 问题「台账不全」未按期整改销号（时限5月20日）",
            ],
            id="reopened-before-the-deadline-and-open-at-it-is-late",
        ),
        pytest.param(
            [
                finding(
                    "2024-04-01 10:00",
                    "2024-05-20",
                    closed=("2024-05-10 10:00",),
                    reopened=("2024-06-02 10:00",),
                )
            ],
            ["+20.0 问题按期整改（权重 20 分，应整改 1 个）"],
            id="a-reopening-after-the-deadline-keeps-the-on-time-close",
        ),
        pytest.param(
            [finding("2024-04-01 10:00", "2024-07-20")],
            ["+20.0 问题按期整改（权重 20 分，本期无到期问题）"],
            id="a-deadline-after-the-window-is-not-counted",
        ),
        pytest.param(
            [finding("2024-04-01 10:00", "2024-06-30")],
            ["+20.0 问题按期整改（权重 20 分，本期无到期问题）"],
            id="a-deadline-day-not-yet-ended-is-not-counted",
        ),
    ],
)
def test_findings_closed_on_time_share_20_points(findings, expected):
    assert points(finding_lines(findings, Q2, DEFAULT, Q2_CUTOFF)) == expected


@pytest.mark.parametrize(
    ("rating", "expected"),
    [
        pytest.param(Decimal(90), ["+9.0 质量评价 90 分（权重 10 分）"], id="a-rating-of-90-gives-9-points"),
        pytest.param(
            Decimal("87.5"), ["+8.75 质量评价 87.5 分（权重 10 分）"], id="fractions-are-kept-to-hundredths"
        ),
        pytest.param(
            None, ["+10.0 质量评价未录入，按满分计（权重 10 分）"], id="an-unrated-unit-gets-the-full-weight"
        ),
    ],
)
def test_the_quality_rating_is_a_percentage_of_its_10_points(rating, expected):
    assert points(quality_lines(rating, DEFAULT)) == expected


def test_a_rating_outside_0_to_100_is_refused():
    with pytest.raises(ValueError):
        quality_lines(Decimal(101), DEFAULT)


def test_a_score_adds_up_its_parts_and_deducts_each_red_measure():
    facts = [
        assignment(id=1, unit=DRC, measure_code="2.3", revisions=monthly_reports("2024-01", "2024-06")),
        assignment(id=2, unit=DRC, measure_code="2.4", revisions=monthly_reports("2024-01", "2024-05")),
    ]
    (score,) = assess(facts, Q2, DEFAULT, {DRC.name: Decimal(80)})
    assert points(score.lines) == [
        "+30.0 按时报送（权重 30 分，应报 6 期）",
        "−5.0 措施 2.4 6月报送缺报",
        "+40.0 按计划推进（权重 40 分，无可比进度）",
        "+20.0 问题按期整改（权重 20 分，本期无到期问题）",
        "+8.0 质量评价 80 分（权重 10 分）",
        "−2.0 措施 2.4 红灯（每项扣 2 分）：6月报送缺报",
    ]
    assert score.score == Decimal("91.00")
    assert score.red == 1


def test_weights_and_the_red_penalty_are_configurable():
    rules = ReportingRules(
        weights=ScoreWeights(on_time=50, progress=30, findings=10, quality=10, red_penalty=Decimal("3.5"))
    )
    facts = [assignment(revisions=monthly_reports("2024-01", "2024-05"))]
    (score,) = assess(facts, Q2, rules)
    assert [str(line) for line in score.lines if line.points < 0] == [
        "−16.67 措施 1.1 6月报送缺报",
        "−3.5 措施 1.1 红灯（每项扣 3.5 分）：6月报送缺报",
    ]
    assert score.score == Decimal("79.83")


def test_the_assessment_ignores_what_was_recorded_after_the_windows_cutoff():
    before = [assignment(revisions=monthly_reports("2024-01", "2024-05"))]
    after = [
        assignment(revisions=[*monthly_reports("2024-01", "2024-05"), report("2024-07-01 10:00", "2024-06")])
    ]
    assert assess(before, Q2, DEFAULT) == assess(after, Q2, DEFAULT)


def test_a_yearly_assessment_counts_every_month_of_the_year():
    (score,) = assess([assignment(revisions=monthly_reports("2024-01", "2024-12"))], Year(2024), DEFAULT)
    assert score.lines[0].text == "按时报送（权重 30 分，应报 12 期）"
    assert score.score == 100


def test_unit_level_findings_count_for_the_unit_they_name():
    unit_finding = Finding(9, FIN.name, "制度不健全", at("2024-04-01 10:00"), day("2024-05-31"))
    facts = [assignment(unit=DRC, revisions=monthly_reports("2024-01", "2024-06"))]
    scores = {s.unit.name: s for s in assess(facts, Q2, DEFAULT, findings=[unit_finding])}
    assert scores[FIN.name].score == 80
    assert scores[DRC.name].score == 100


def test_a_finding_on_an_assignment_and_in_the_unit_list_counts_once():
    shared = finding("2024-04-01 10:00", "2024-05-20", unit=DRC.name)
    facts = [assignment(unit=DRC, revisions=monthly_reports("2024-01", "2024-06"), findings=[shared])]
    (score,) = assess(facts, Q2, DEFAULT, findings=[shared])
    assert [line.text for line in score.lines if line.part is Part.FINDINGS][
        0
    ] == "问题按期整改（权重 20 分，应整改 1 个）"


@pytest.mark.parametrize(
    ("amounts", "rounded"),
    [
        pytest.param([Fraction(10, 3)] * 3, ["3.34", "3.33", "3.33"], id="thirds-of-ten"),
        pytest.param(
            [Fraction(5, 7)] * 7,
            ["0.72", "0.72", "0.72", "0.71", "0.71", "0.71", "0.71"],
            id="sevenths-of-five",
        ),
        pytest.param(
            [Fraction(1, 200), Fraction(1, 200)], ["0.01", "0.00"], id="two-half-cents-make-one-cent"
        ),
        pytest.param([], [], id="nothing"),
    ],
)
def test_apportioning_rounds_to_cents_that_add_up_to_the_rounded_total(amounts, rounded):
    assert apportion(amounts) == [Decimal(r) for r in rounded]


def largest_remainder(amounts):
    """The largest-remainder method as a clerk would do it with exact fractions."""
    total = math.floor(sum(amounts, Fraction(0)) * 100 + Fraction(1, 2))
    floors = [math.floor(amount * 100) for amount in amounts]
    order = sorted(range(len(amounts)), key=lambda i: (-(amounts[i] * 100 - floors[i]), i))
    for index in order[: total - sum(floors)]:
        floors[index] += 1
    return [Decimal(f) / 100 for f in floors]


@given(st.lists(st.fractions(min_value=0, max_value=50, max_denominator=400), max_size=40))
def test_apportioned_cents_are_the_largest_remainder_method_and_add_up(amounts):
    cents = apportion(amounts)
    assert cents == largest_remainder(amounts)
    assert sum(cents, Decimal(0)) * 100 == math.floor(sum(amounts, Fraction(0)) * 100 + Fraction(1, 2))


@pytest.mark.parametrize(
    ("value", "text"),
    [(Decimal("30"), "+30.0"), (Decimal("-2"), "−2.0"), (Decimal("-1.43"), "−1.43"), (Decimal("0"), "+0.0")],
)
def test_points_print_with_a_sign_and_at_least_one_decimal(value, text):
    assert signed(value) == text


def score(name, total, red=0):
    return UnitScore(Unit(name), Q2, Decimal(total), red, (ScoreLine(Part.QUALITY, Decimal(total), "x"),))


def test_the_ranking_puts_higher_scores_first_then_fewer_reds_then_the_name():
    ranked = rank(
        [
            score("市财政局", 90, 1),
            score("市发改委", 90, 1),
            score("市委组织部", 95, 3),
            score("市民政局", 90, 0),
        ]
    )
    # 市发改委 before 市财政局: names compare by code point (发 U+53D1 < 财 U+8D22).
    assert [s.unit.name for s in ranked] == ["市委组织部", "市民政局", "市发改委", "市财政局"]
