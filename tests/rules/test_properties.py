"""Properties that must hold for any data: snapshots are stable, scores add up, the ranking is a total
order, and done stays done until a recorded reopening."""

from dataclasses import replace
from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tracker.rules.lights import Rag, assignment_light, measure_light
from tracker.rules.periods import Quarter, Year, cutoff_moment, end_of_minute
from tracker.rules.progress import essential_revisions
from tracker.rules.scores import Part, ScoreLine, UnitScore, assess, rank, ranking_key
from tracker.rules.snapshot import board
from tracker.rules.status import report_status
from tracker.rules.values import Role, Unit

from .strategies import (
    UNITS,
    assignment_facts,
    moments,
    periods,
    plans,
    recorded_after,
    reporting_rules,
    settling,
    two_moments,
)


def examples(count: int) -> settings:
    """Enough examples to meet the boundaries, few enough to keep tests/rules well under 20 s."""
    return settings(max_examples=count, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@examples(80)
@given(data=st.data(), facts=plans(), period=periods, rules=reporting_rules)
def test_data_recorded_after_the_cutoff_never_changes_that_board(data, facts, period, rules):
    cutoff_end = end_of_minute(cutoff_moment(period, rules))
    grown = [data.draw(recorded_after(item, cutoff_end)) for item in facts]
    assert board(grown, period, rules) == board(facts, period, rules)


@examples(200)
@given(facts=assignment_facts(), as_of=moments, period=periods, rules=reporting_rules)
def test_every_rule_sees_only_what_was_recorded_by_its_moment(facts, as_of, period, rules):
    known = facts.as_of(as_of)
    assert assignment_light(facts, rules, as_of) == assignment_light(known, rules, as_of)
    assert report_status(facts, period, rules, as_of) == report_status(known, period, rules, as_of)


@examples(60)
@given(facts=plans(), period=periods, rules=reporting_rules)
def test_the_essential_revisions_give_the_same_board_and_scores(facts, period, rules):
    as_of = end_of_minute(cutoff_moment(period, rules))
    slim = [replace(item, revisions=essential_revisions(item, rules, as_of)) for item in facts]
    assert board(slim, period, rules) == board(facts, period, rules)
    assert assess(slim, period.quarter, rules, as_of=as_of) == assess(
        facts, period.quarter, rules, as_of=as_of
    )


def explains(first: UnitScore, second: UnitScore) -> bool:
    """The tie-break rule as a clerk reads it: higher score, else fewer red, else the name first."""
    if first.score != second.score:
        return first.score > second.score
    if first.red != second.red:
        return first.red < second.red
    return first.unit.name < second.unit.name


@examples(60)
@given(
    facts=plans(max_size=6),
    window=st.sampled_from([Quarter(2024, 2), Quarter(2024, 4), Year(2024)]),
    rules=reporting_rules,
    ratings=st.dictionaries(
        st.sampled_from([unit.name for unit in UNITS]),
        st.decimals(0, 100, places=1, allow_nan=False, allow_infinity=False),
    ),
)
def test_score_lines_sum_exactly_to_the_score(facts, window, rules, ratings):
    scores = assess(facts, window, rules, ratings)
    for first, second in zip(scores, scores[1:], strict=False):
        assert explains(first, second)
    for score in scores:
        assert sum(line.points for line in score.lines) == score.score
        assert all(line.points == line.points.quantize(Decimal("0.01")) for line in score.lines)
        assert score.red == sum(1 for line in score.lines if line.part is Part.RED)
        for part, weight in [
            (Part.ON_TIME, rules.weights.on_time),
            (Part.PROGRESS, rules.weights.progress),
            (Part.FINDINGS, rules.weights.findings),
        ]:
            assert 0 <= sum(line.points for line in score.lines if line.part is part) <= weight


unit_scores = st.lists(
    st.tuples(
        st.text(alphabet="市县局委办甲乙丙", min_size=1, max_size=4),
        st.sampled_from([Decimal("90"), Decimal("90.00"), Decimal("87.5"), Decimal("-3")]),
        st.integers(0, 2),
    ),
    max_size=8,
    unique_by=lambda row: row[0],
).map(
    lambda rows: [
        UnitScore(Unit(name), Year(2024), total, red, (ScoreLine(Part.QUALITY, total, "x"),))
        for name, total, red in rows
    ]
)


@examples(300)
@given(scores=unit_scores, data=st.data())
def test_the_ranking_is_a_total_order_the_tie_break_explains(scores, data):
    ranked = rank(scores)
    assert sorted(ranked, key=ranking_key) == list(ranked)
    assert len(ranked) == len(scores) and set(map(id, ranked)) == set(map(id, scores))
    for first, second in zip(ranked, ranked[1:], strict=False):
        assert explains(first, second) and not explains(second, first)
    assert rank(data.draw(st.permutations(scores))) == ranked


def reopened_between(facts_list, start, end):
    return any(start < r.recorded_at <= end for facts in facts_list for r in facts.reopenings)


@examples(150)
@given(data=st.data(), rules=reporting_rules)
def test_an_assignment_stays_done_until_a_recorded_reopening(data, rules):
    facts = data.draw(assignment_facts().flatmap(settling))
    first, second = data.draw(two_moments((facts,)))
    if assignment_light(facts, rules, first).rag is Rag.DONE:
        event("done at the first moment")
        if not reopened_between([facts], first, second):
            assert assignment_light(facts, rules, second).rag is Rag.DONE


@examples(100)
@given(
    data=st.data(),
    units=st.lists(st.sampled_from(UNITS), min_size=1, max_size=3, unique=True),
    rules=reporting_rules,
)
def test_a_measure_stays_done_until_a_recorded_reopening(data, units, rules):
    leads = tuple(
        data.draw(assignment_facts(id=i, unit=unit, code="1.1", role=Role.LEAD).flatmap(settling))
        for i, unit in enumerate(units)
    )
    first, second = data.draw(two_moments(leads))
    if measure_light(leads, rules, first).rag is Rag.DONE:
        event("done at the first moment")
        if not reopened_between(leads, first, second):
            assert measure_light(leads, rules, second).rag is Rag.DONE
