"""Plausibility warnings for a newly reported indicator value."""

from decimal import Decimal

import pytest

from tracker.rules.indicators import WarningCode, check_indicator_value
from tracker.rules.values import IndicatorSpec, IndicatorValue, ReportingRules

TOILETS = IndicatorSpec("改建卫生厕所", "座", 2600)
SPENDING = IndicatorSpec("支出率", "%", 100, cumulative=False)
DEFAULT = ReportingRules()


def value(number, unit=None, note=""):
    return IndicatorValue("改建卫生厕所", Decimal(number), unit, note)


@pytest.mark.parametrize(
    ("spec", "new", "previous", "codes"),
    [
        pytest.param(TOILETS, value(1200), 1000, [], id="a-steady-rise-is-fine"),
        pytest.param(
            TOILETS, value(900), 1000, [WarningCode.CUMULATIVE_FALLS], id="a-cumulative-value-falls"
        ),
        pytest.param(SPENDING, value(40), 50, [], id="a-non-cumulative-value-may-fall"),
        pytest.param(TOILETS, value(2300), 1000, [], id="a-jump-of-exactly-half-the-target-is-fine"),
        pytest.param(TOILETS, value(2301), 1000, [WarningCode.JUMP], id="a-jump-above-half-the-target"),
        pytest.param(
            TOILETS, value(1301), None, [WarningCode.JUMP], id="a-first-cumulative-value-jumps-from-zero"
        ),
        pytest.param(SPENDING, value(80), None, [], id="a-first-non-cumulative-value-has-no-baseline"),
        pytest.param(TOILETS, value(2600), 2500, [], id="reaching-the-target-exactly-is-fine"),
        pytest.param(
            TOILETS, value(2601), 2500, [WarningCode.PAST_TARGET], id="past-the-target-without-a-note"
        ),
        pytest.param(TOILETS, value(2601, note="超额完成"), 2500, [], id="past-the-target-with-a-note"),
        pytest.param(TOILETS, value(1200, "个"), 1000, [WarningCode.UNIT_MISMATCH], id="a-different-unit"),
        pytest.param(TOILETS, value(1200, " 座 "), 1000, [], id="the-same-unit-with-spaces"),
        pytest.param(
            SPENDING, IndicatorValue("支出率", Decimal(50), "％"), 40, [], id="full-width-percent-is-percent"
        ),
        pytest.param(
            TOILETS,
            value(0, "个"),
            2601,
            [WarningCode.CUMULATIVE_FALLS, WarningCode.JUMP, WarningCode.UNIT_MISMATCH],
            id="several-warnings-at-once",
        ),
        pytest.param(IndicatorSpec("培训人次"), value(5000), 10, [], id="no-target-no-jump-or-target-check"),
    ],
)
def test_an_implausible_value_gets_a_warning(spec, new, previous, codes):
    previous = None if previous is None else Decimal(previous)
    warnings = check_indicator_value(spec, new, previous, DEFAULT)
    assert [w.code for w in warnings] == codes


def test_the_jump_share_is_configurable():
    rules = ReportingRules(jump_share=Decimal("0.2"))
    assert check_indicator_value(TOILETS, value(1600), Decimal(1000), rules)[0].code is WarningCode.JUMP


def test_a_warning_message_names_the_indicator_and_the_numbers():
    (warning,) = check_indicator_value(TOILETS, value(900), Decimal(1000), DEFAULT)
    assert warning.indicator == "改建卫生厕所"
    assert warning.message == "「改建卫生厕所」为累计值，本次 900 低于上次 1000"


OVERDUE_LOANS = IndicatorSpec(
    "贷款逾期率", "%", Decimal("0.5"), kind="rate", direction="down", cumulative=False
)
HOUSES = IndicatorSpec("危房改造竣工", "户", 60, kind="count")
SHARE = IndicatorSpec("卫生厕所普及率", "%", 90, kind="percent", cumulative=False)


@pytest.mark.parametrize(
    ("spec", "number", "codes"),
    [
        pytest.param(OVERDUE_LOANS, "0.7", [], id="a-ceiling-exceeded-is-behind-not-implausible"),
        pytest.param(OVERDUE_LOANS, "0.3", [], id="under-a-ceiling-is-fine"),
        pytest.param(HOUSES, "48.6", [WarningCode.NOT_WHOLE], id="a-count-of-households-is-whole"),
        pytest.param(HOUSES, "48", [], id="a-whole-count-is-fine"),
        pytest.param(
            SHARE,
            "100.5",
            [WarningCode.OUT_OF_RANGE, WarningCode.PAST_TARGET],
            id="a-percent-stays-within-100",
        ),
        pytest.param(SHARE, "95", [WarningCode.PAST_TARGET], id="a-percent-past-its-target-needs-a-note"),
    ],
)
def test_plausibility_follows_the_kind_and_direction(spec, number, codes):
    new = IndicatorValue(spec.name, Decimal(number))
    previous = Decimal(40) if spec is HOUSES else None
    assert [w.code for w in check_indicator_value(spec, new, previous, DEFAULT)] == codes
