"""What an assignment's record says as of a moment: latest progress, done, deadlines in force."""

import pytest

from tracker.rules.progress import deadline_in_force, done_since, latest_indicator_value, latest_percent
from tracker.rules.values import ReportingRules

from .builders import assignment, at, confirmed, day, extension, reopened, report

DEFAULT = ReportingRules()


@pytest.mark.parametrize(
    ("revisions", "as_of", "percent"),
    [
        pytest.param([], "2024-05-31 23:59", None, id="no-report-no-percent"),
        pytest.param(
            [report("2024-04-20 10:00", "2024-04", 30), report("2024-05-20 10:00", "2024-05", 45)],
            "2024-05-31 23:59",
            45,
            id="the-latest-report-wins",
        ),
        pytest.param(
            [report("2024-04-20 10:00", "2024-04", 30), report("2024-05-20 10:00", "2024-05", 45)],
            "2024-05-19 23:59",
            30,
            id="a-report-recorded-later-is-not-seen-yet",
        ),
        pytest.param(
            [
                report("2024-04-20 10:00", "2024-04", 30),
                report("2024-05-20 10:00", "2024-05", 90, returned_at="2024-05-22 10:00"),
            ],
            "2024-05-31 23:59",
            30,
            id="a-returned-report-no-longer-counts",
        ),
        pytest.param(
            [
                report("2024-04-20 10:00", "2024-04", 30),
                report("2024-05-20 10:00", "2024-05", 90, returned_at="2024-06-02 10:00"),
            ],
            "2024-05-31 23:59",
            90,
            id="a-return-after-the-moment-is-not-seen-yet",
        ),
    ],
)
def test_the_latest_percent_is_the_last_submitted_report_not_returned(revisions, as_of, percent):
    assert latest_percent(assignment(revisions=revisions), DEFAULT, at(as_of)) == percent


def test_the_latest_indicator_value_skips_reports_without_it():
    facts = assignment(
        revisions=[
            report("2024-04-20 10:00", "2024-04", values={"改建卫生厕所": 800}),
            report("2024-05-20 10:00", "2024-05"),
        ]
    )
    assert latest_indicator_value(facts, "改建卫生厕所", DEFAULT, at("2024-05-31 23:59")) == 800
    assert latest_indicator_value(facts, "支出率", DEFAULT, at("2024-05-31 23:59")) is None


COMPLETE = report("2024-05-20 10:00", "2024-05", 100, complete=True)


@pytest.mark.parametrize(
    ("facts", "as_of", "since"),
    [
        pytest.param(
            assignment(revisions=[COMPLETE]), "2024-06-30 10:00", None, id="complete-but-not-confirmed"
        ),
        pytest.param(
            assignment(confirmations=confirmed("2024-05-22 10:00")),
            "2024-06-30 10:00",
            None,
            id="confirmed-without-a-complete-report",
        ),
        pytest.param(
            assignment(revisions=[COMPLETE], confirmations=confirmed("2024-05-22 10:00")),
            "2024-06-30 10:00",
            "2024-05-22 10:00",
            id="complete-and-confirmed-is-done",
        ),
        pytest.param(
            assignment(revisions=[COMPLETE], confirmations=confirmed("2024-05-22 10:00")),
            "2024-05-22 09:59",
            None,
            id="not-done-before-the-confirmation",
        ),
        pytest.param(
            assignment(
                revisions=[COMPLETE],
                confirmations=confirmed("2024-05-22 10:00"),
                reopenings=reopened("2024-06-01 10:00"),
            ),
            "2024-06-30 10:00",
            None,
            id="a-reopening-undoes-it",
        ),
        pytest.param(
            assignment(
                revisions=[COMPLETE],
                confirmations=confirmed("2024-05-22 10:00", "2024-06-10 10:00"),
                reopenings=reopened("2024-06-01 10:00"),
            ),
            "2024-06-30 10:00",
            "2024-06-10 10:00",
            id="confirmed-again-after-a-reopening",
        ),
        pytest.param(
            assignment(
                revisions=[
                    report("2024-05-20 10:00", "2024-05", 100, complete=True, returned_at="2024-05-21 10:00")
                ],
                confirmations=confirmed("2024-05-22 10:00"),
            ),
            "2024-06-30 10:00",
            None,
            id="a-complete-report-returned-before-confirmation-does-not-count",
        ),
        pytest.param(
            assignment(
                revisions=[
                    report("2024-05-20 10:00", "2024-05", 100, complete=True, returned_at="2024-05-23 10:00")
                ],
                confirmations=confirmed("2024-05-22 10:00"),
            ),
            "2024-06-30 10:00",
            "2024-05-22 10:00",
            id="a-return-after-confirmation-does-not-undo-it",
        ),
        pytest.param(
            assignment(
                revisions=[COMPLETE, report("2024-06-20 10:00", "2024-06", 80)],
                confirmations=confirmed("2024-05-22 10:00"),
            ),
            "2024-06-30 10:00",
            "2024-05-22 10:00",
            id="a-later-report-does-not-undo-it",
        ),
    ],
)
def test_done_needs_a_complete_report_and_a_confirmation_and_no_reopening_since(facts, as_of, since):
    expected = None if since is None else at(since)
    assert done_since(facts, DEFAULT, at(as_of)) == expected


def test_an_approved_deadline_extension_is_in_force_from_its_decision():
    facts = assignment(
        deadline="2024-06-30",
        extensions=[
            extension("2024-06-20 10:00", "2024-08-31"),
            extension("2024-06-25 10:00", "2024-12-31", approved=False),
            extension("2024-06-21 10:00", "2024-07-10", periods=("2024-06",)),
        ],
    )
    assert deadline_in_force(facts, at("2024-06-19 10:00")) == day("2024-06-30")
    assert deadline_in_force(facts, at("2024-06-30 10:00")) == day("2024-08-31")
