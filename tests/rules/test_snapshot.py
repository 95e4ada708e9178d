"""The monthly board of a period, from the data recorded up to its cut-off."""

import json

import pytest

from tracker.rules.lights import SEVERITY, Rag, assignment_light, behind_milestone
from tracker.rules.periods import Period
from tracker.rules.progress import latest_indicator_value, latest_percent, read
from tracker.rules.snapshot import IndicatorReading, LightCounts, board, board_json, code_key
from tracker.rules.status import ReportStatus, report_status
from tracker.rules.values import IndicatorSpec, Milestone, ReportingRules, Role

from .builders import DRC, FIN, ORG, assignment, at, day, monthly_reports, report

MAY = Period(2024, 5)
DEFAULT = ReportingRules()


def plan_facts(*extra_revisions):
    """Measure 1.1 led by 市委组织部 (responsible 市财政局), measure 1.2 led by 市委组织部 and 市发改委."""
    return [
        assignment(
            id=1,
            unit=ORG,
            measure_code="1.1",
            revisions=[*monthly_reports("2024-01", "2024-05", 40), *extra_revisions],
        ),
        assignment(
            id=2,
            unit=FIN,
            measure_code="1.1",
            role=Role.RESPONSIBLE,
            revisions=monthly_reports("2024-01", "2024-04"),
        ),
        assignment(
            id=3,
            unit=ORG,
            measure_code="1.2",
            measure_title="编制镇区发展规划",
            revisions=monthly_reports("2024-01", "2024-05", 70),
        ),
        assignment(
            id=4,
            unit=DRC,
            measure_code="1.2",
            measure_title="编制镇区发展规划",
            revisions=[*monthly_reports("2024-01", "2024-04", 60), report("2024-05-28 10:00", "2024-05", 65)],
        ),
    ]


def test_a_board_shows_each_measure_through_its_leads_and_responsible_units():
    result = board(plan_facts(), MAY, DEFAULT)
    assert result.cutoff == at("2024-05-31 23:59")
    first, second = result.measures
    # The lead reported on time at 40%; its responsible unit missed May, and the light says who.
    assert (first.code, first.lead, first.light, first.percent, first.report) == (
        "1.1",
        ("市委组织部",),
        Rag.RED,
        40,
        ReportStatus.ON_TIME,
    )
    assert first.reasons == ("市财政局：5月报送缺报",)
    assert (second.code, second.lead, second.light, second.percent, second.report) == (
        "1.2",
        ("市委组织部", "市发改委"),
        Rag.AMBER,
        65,
        ReportStatus.LATE,
    )
    assert second.report_reasons == ("市委组织部：5月按时报送", "市发改委：5月报送迟报 2 个工作日")


def test_a_board_counts_each_units_assignments_reports_and_lights():
    units = {row.short: row for row in board(plan_facts(), MAY, DEFAULT).units}
    org, fin, drc = units["市委组织部"], units["市财政局"], units["市发改委"]
    assert (org.assignments, org.on_time, org.late, org.missing) == (2, 2, 0, 0)
    assert org.lights == LightCounts(green=2)
    assert (fin.assignments, fin.missing, fin.lights) == (1, 1, LightCounts(red=1))
    assert (drc.late, drc.lights) == (1, LightCounts(amber=1))


def test_the_percent_is_none_before_any_report():
    (row,) = board([assignment(start="2024-05-01")], MAY, DEFAULT).measures
    assert (row.percent, row.report, row.light) == (None, ReportStatus.MISSING, Rag.RED)


@pytest.mark.parametrize(
    ("recorded", "percent"),
    [
        pytest.param("2024-05-31 23:59:30", 90, id="revised-at-2359-on-the-cutoff-day-counts"),
        pytest.param("2024-06-01 00:00:00", 40, id="revised-after-the-cutoff-does-not"),
        pytest.param("2024-06-20 10:00:00", 40, id="revised-much-later-does-not"),
    ],
)
def test_a_report_revised_after_the_cutoff_leaves_the_board_as_it_was(recorded, percent):
    (first, _) = board(plan_facts(report(recorded, "2024-05", 90)), MAY, DEFAULT).measures
    assert first.percent == percent


def test_a_late_report_after_the_cutoff_shows_in_the_next_period():
    facts = [
        assignment(
            revisions=[*monthly_reports("2024-01", "2024-04"), report("2024-06-03 10:00", "2024-05", 80)]
        )
    ]
    (may,) = board(facts, MAY, DEFAULT).measures
    (june,) = board(facts, Period(2024, 6), DEFAULT).measures
    assert (may.percent, may.report, may.light) == (50, ReportStatus.MISSING, Rag.RED)
    assert (june.percent, june.report) == (80, ReportStatus.MISSING)


def test_measures_are_in_code_order_and_units_in_name_order():
    facts = [assignment(id=i, measure_code=code) for i, code in enumerate(["1.10", "2", "1.2", "10", "1.1"])]
    assert [row.code for row in board(facts, MAY, DEFAULT).measures] == ["1.1", "1.2", "1.10", "2", "10"]
    assert code_key("1.2") < code_key("1.10") < code_key("2.a")


def test_board_json_has_the_fields_cli_md_fixes():
    data = board_json(board(plan_facts(), MAY, DEFAULT), "ankang-2023")
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert (data["plan"], data["period"], data["cutoff"]) == ("ankang-2023", "2024-05", "2024-05-31")
    measure = data["measures"][0]
    assert {"code", "title", "lead", "light", "percent", "report"} <= measure.keys()
    assert (
        measure["code"],
        measure["title"],
        measure["lead"],
        measure["light"],
        measure["percent"],
        measure["report"],
    ) == (
        "1.1",
        "加强党政班子建设",
        ["市委组织部"],
        "red",
        40,
        "on_time",
    )
    unit = data["units"][0]
    assert {"name", "short", "assignments", "on_time", "late", "missing", "lights"} <= unit.keys()
    assert list(unit["lights"]) == ["red", "amber", "green", "done", "not_started"]


def test_a_board_keeps_each_assignments_row_in_the_order_of_the_facts():
    rows = board(plan_facts(), MAY, DEFAULT).assignments
    assert [(r.id, r.measure, r.short, r.role) for r in rows] == [
        (1, "1.1", "市委组织部", Role.LEAD),
        (2, "1.1", "市财政局", Role.RESPONSIBLE),
        (3, "1.2", "市委组织部", Role.LEAD),
        (4, "1.2", "市发改委", Role.LEAD),
    ]
    fin = rows[1]
    assert (fin.unit, fin.light, fin.percent, fin.report, fin.report_reason) == (
        "安康市财政局",
        Rag.RED,
        50,
        ReportStatus.MISSING,
        "5月报送缺报",
    )
    assert fin.reasons == ("5月报送缺报",)
    drc = rows[3]
    assert (drc.light, drc.percent, drc.report, drc.report_reason) == (
        Rag.AMBER,
        65,
        ReportStatus.LATE,
        "5月报送迟报 2 个工作日",
    )


def test_each_assignment_row_says_what_the_single_assignment_rules_say():
    cut = at("2024-05-31 23:59:59.999999")
    facts = [*plan_facts(report("2024-06-02 10:00", "2024-05", 90)), assignment(id=5, start="2024-07-01")]
    result = board(facts, MAY, DEFAULT)
    assert len(result.assignments) == len(facts)
    for row, item in zip(result.assignments, facts, strict=True):
        light = assignment_light(item, DEFAULT, cut)
        state = report_status(item, MAY, DEFAULT, cut)
        assert (row.light, row.reasons) == (light.rag, light.reasons)
        assert (row.report, row.report_reason) == (state.status, state.reason)
        assert row.percent == latest_percent(item, DEFAULT, cut)
        assert row.facts == item.as_of(cut)


def test_the_rows_agree_with_the_measures_and_the_unit_counts():
    result = board(plan_facts(), MAY, DEFAULT)
    rows = {row.id: row for row in result.assignments}
    first, second = result.measures
    assert (first.percent, first.report) == (rows[1].percent, rows[1].report)
    assert first.light == max(rows[1].light, rows[2].light, key=SEVERITY.__getitem__)
    assert second.percent == min(rows[3].percent, rows[4].percent)
    for unit in result.units:
        mine = [row for row in result.assignments if row.unit == unit.name]
        assert unit.assignments == len(mine)
        assert unit.missing == sum(row.report is ReportStatus.MISSING for row in mine)
        assert unit.lights.red == sum(row.light is Rag.RED for row in mine)


def test_an_assignment_row_carries_its_indicators_as_of_the_cutoff():
    toilets = IndicatorSpec("改建卫生厕所", "座", 2600, milestones=(Milestone(day("2024-04-30"), 1300),))
    roads = IndicatorSpec("硬化道路", "公里", 40)
    item = assignment(
        indicators=[toilets, roads],
        revisions=[
            report("2024-04-20 10:00", "2024-04", 40, values={"改建卫生厕所": 900}),
            report("2024-05-20 10:00", "2024-05", 50, values={"改建卫生厕所": 1200}),
            report("2024-06-02 10:00", "2024-05", 60, values={"改建卫生厕所": 1500}),  # after the cut-off
        ],
    )
    (row,) = board([item], MAY, DEFAULT).assignments
    behind = behind_milestone(read(item, DEFAULT, at("2024-05-31 23:59:59.999999")), toilets)
    assert behind is not None and "1200" in behind
    assert row.indicators == (
        IndicatorReading(
            "改建卫生厕所",
            latest_indicator_value(item, "改建卫生厕所", DEFAULT, at("2024-05-31 23:59")),
            behind,
        ),
        IndicatorReading("硬化道路", None, None),
    )
    assert row.indicators[0].value == 1200
    assert (row.light, row.reasons) == (Rag.AMBER, (behind,))


def test_board_json_leaves_the_assignment_rows_out():
    data = board_json(board(plan_facts(), MAY, DEFAULT), "ankang-2023")
    assert list(data) == ["plan", "period", "cutoff", "measures", "units"]
