"""The monthly board of a period, from the data recorded up to its cut-off."""

import json

import pytest

from tracker.rules.lights import Rag
from tracker.rules.periods import Period
from tracker.rules.snapshot import LightCounts, board, board_json, code_key
from tracker.rules.status import ReportStatus
from tracker.rules.values import ReportingRules, Role

from .builders import DRC, FIN, ORG, assignment, at, monthly_reports, report

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


def test_a_board_shows_each_measure_through_its_leads():
    result = board(plan_facts(), MAY, DEFAULT)
    assert result.cutoff == at("2024-05-31 23:59")
    first, second = result.measures
    assert (first.code, first.lead, first.light, first.percent, first.report) == (
        "1.1",
        ("市委组织部",),
        Rag.GREEN,
        40,
        ReportStatus.ON_TIME,
    )
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
        "green",
        40,
        "on_time",
    )
    unit = data["units"][0]
    assert {"name", "short", "assignments", "on_time", "late", "missing", "lights"} <= unit.keys()
    assert list(unit["lights"]) == ["red", "amber", "green", "done", "not_started"]
