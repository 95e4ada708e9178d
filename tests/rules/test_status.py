"""The report status of an assignment for a period: on time, late, missing, not due."""

import pytest

from tracker.rules.status import ReportStatus, last_due_report, report_status
from tracker.rules.values import ReportingRules

from .builders import assignment, at, confirmed, day, extension, period, report

MAY = "2024-05"
DEFAULT = ReportingRules()
SIGNOFF = ReportingRules(signoff=True)
CUTOFF = "2024-05-31 23:59:59"

ON_TIME, LATE, MISSING, NOT_DUE = (
    ReportStatus.ON_TIME,
    ReportStatus.LATE,
    ReportStatus.MISSING,
    ReportStatus.NOT_DUE,
)


@pytest.mark.parametrize(
    ("revisions", "as_of", "status", "days_late"),
    [
        pytest.param([report("2024-05-25 23:59:00", MAY)], CUTOFF, ON_TIME, 0, id="sent-at-2359-is-on-time"),
        pytest.param(
            [report("2024-05-25 23:59:59.999", MAY)], CUTOFF, ON_TIME, 0, id="sent-at-235959-is-on-time"
        ),
        pytest.param(
            [report("2024-05-26 00:00:00", MAY)], CUTOFF, LATE, 1, id="sent-at-0000-next-day-is-late"
        ),
        pytest.param([report("2024-05-10 09:00", MAY)], CUTOFF, ON_TIME, 0, id="sent-early-is-on-time"),
        pytest.param(
            [report("2024-05-29 09:00", MAY)], CUTOFF, LATE, 3, id="sent-wednesday-is-3-working-days-late"
        ),
        pytest.param([], "2024-05-25 12:00", NOT_DUE, 0, id="nothing-before-the-due-moment-is-not-due-yet"),
        pytest.param(
            [], "2024-05-26 00:00", MISSING, 0, id="nothing-after-the-due-moment-is-already-missing"
        ),
        pytest.param([], CUTOFF, MISSING, 0, id="nothing-by-the-cutoff-is-missing"),
        pytest.param(
            [report("2024-05-20 10:00", MAY), report("2024-05-28 10:00", MAY, 60)],
            CUTOFF,
            ON_TIME,
            0,
            id="the-first-submission-counts-not-a-later-revision",
        ),
        pytest.param(
            [report("2024-05-20 10:00", MAY, returned_at="2024-05-21 10:00", returned_reason="数据不全")],
            CUTOFF,
            ON_TIME,
            0,
            id="a-report-returned-for-revision-was-still-sent-on-time",
        ),
        pytest.param(
            [report("2024-04-20 10:00", "2024-04")],
            CUTOFF,
            MISSING,
            0,
            id="another-periods-report-does-not-count",
        ),
        pytest.param(
            [report("2024-06-02 10:00", MAY)],
            CUTOFF,
            MISSING,
            0,
            id="a-report-after-the-cutoff-is-missing-at-the-cutoff",
        ),
        pytest.param(
            [report("2024-06-02 10:00", MAY)],
            "2024-06-03 00:00",
            LATE,
            6,
            id="the-same-report-is-late-afterwards-sunday-counts-as-monday",
        ),
        pytest.param(
            [report("2024-05-25T15:59:59+00:00", MAY)], CUTOFF, ON_TIME, 0, id="utc-2359-shanghai-is-on-time"
        ),
        pytest.param(
            [report("2024-05-25T16:00:00+00:00", MAY)], CUTOFF, LATE, 1, id="utc-0000-shanghai-is-late"
        ),
    ],
)
def test_the_first_submission_against_the_due_moment_decides_the_status(revisions, as_of, status, days_late):
    state = report_status(assignment(revisions=revisions), period(MAY), DEFAULT, at(as_of))
    assert (state.status, state.days_late) == (status, days_late)


@pytest.mark.parametrize(
    ("revision", "rules", "status"),
    [
        pytest.param(
            report("2024-05-20 10:00", MAY, signed_off_at="2024-05-27 10:00"),
            SIGNOFF,
            LATE,
            id="signed-late-is-late",
        ),
        pytest.param(
            report("2024-05-20 10:00", MAY, signed_off_at="2024-05-27 10:00"),
            DEFAULT,
            ON_TIME,
            id="without-signoff-the-recording-moment-counts",
        ),
        pytest.param(
            report("2024-05-20 10:00", MAY), SIGNOFF, MISSING, id="unsigned-under-signoff-is-missing"
        ),
        pytest.param(
            report("2024-05-20 10:00", MAY, signed_off_at="2024-06-01 10:00"),
            SIGNOFF,
            MISSING,
            id="signed-after-the-cutoff-is-missing-at-the-cutoff",
        ),
        pytest.param(
            report("2024-05-20 10:00", MAY, signed_off_at="2024-05-25 23:59:30"),
            SIGNOFF,
            ON_TIME,
            id="signed-at-2359-is-on-time",
        ),
    ],
)
def test_under_signoff_the_signing_moment_counts(revision, rules, status):
    state = report_status(assignment(revisions=[revision]), period(MAY), rules, at(CUTOFF))
    assert state.status is status


@pytest.mark.parametrize(
    ("start", "status"),
    [
        pytest.param("2024-05-25", MISSING, id="starting-on-the-due-day-owes-the-report"),
        pytest.param("2024-05-26", NOT_DUE, id="starting-after-the-due-day-owes-nothing-that-month"),
    ],
)
def test_a_measure_not_yet_started_is_not_due(start, status):
    assert report_status(assignment(start=start), period(MAY), DEFAULT, at(CUTOFF)).status is status


def test_a_measure_done_before_the_due_moment_owes_no_report():
    facts = assignment(
        revisions=[report("2024-04-20 10:00", "2024-04", 100, complete=True)],
        confirmations=confirmed("2024-05-10 09:00"),
    )
    state = report_status(facts, period(MAY), DEFAULT, at(CUTOFF))
    assert state.status is NOT_DUE
    assert "已办结" in state.reason


@pytest.mark.parametrize(
    ("rules", "sent", "status"),
    [
        pytest.param(
            ReportingRules(due_day=1), "2024-10-08 09:00", LATE, id="without-shift-a-holiday-due-day-holds"
        ),
        pytest.param(
            ReportingRules(due_day=1, holiday_shift=True),
            "2024-10-08 09:00",
            ON_TIME,
            id="with-shift-next-working-day",
        ),
        pytest.param(
            ReportingRules(due_day=1, holiday_shift=True),
            "2024-10-09 00:00",
            LATE,
            id="with-shift-late-after-that",
        ),
    ],
)
def test_a_due_day_on_national_day(rules, sent, status):
    facts = assignment(revisions=[report(sent, "2024-10")])
    assert report_status(facts, period("2024-10"), rules, at("2024-10-31 23:59")).status is status


class TestAnExtensionApprovedAfterTheDueDay:
    """Asked on May 24, approved on May 27 to June 5, for the May report."""

    approval = extension("2024-05-27 10:00", "2024-06-05", periods=("2024-05",))

    def facts(self, *revisions, decision=approval):
        return assignment(revisions=revisions, extensions=[decision])

    def test_before_the_approval_the_report_is_missing(self):
        state = report_status(self.facts(), period(MAY), DEFAULT, at("2024-05-26 12:00"))
        assert state.status is MISSING
        assert state.extended_to is None

    def test_after_the_approval_a_report_by_the_new_day_is_on_time_and_says_so(self):
        state = report_status(self.facts(report("2024-05-28 10:00", MAY)), period(MAY), DEFAULT, at(CUTOFF))
        assert state.status is ON_TIME
        assert state.extended_to == day("2024-06-05")
        assert state.due == at("2024-06-05 23:59")
        assert state.reason == "5月按时报送（已批准延期至6月5日）"

    def test_with_no_report_yet_it_is_not_due_at_the_cutoff(self):
        state = report_status(self.facts(), period(MAY), DEFAULT, at(CUTOFF))
        assert state.status is NOT_DUE
        assert "延期至6月5日" in state.reason

    def test_after_the_new_day_it_is_missing(self):
        assert report_status(self.facts(), period(MAY), DEFAULT, at("2024-06-06 00:00")).status is MISSING

    def test_a_refusal_leaves_the_report_late(self):
        refusal = extension("2024-05-27 10:00", "2024-06-05", periods=("2024-05",), approved=False)
        facts = self.facts(report("2024-05-28 10:00", MAY), decision=refusal)
        assert report_status(facts, period(MAY), DEFAULT, at(CUTOFF)).status is LATE

    def test_an_approval_after_the_cutoff_does_not_change_the_cutoffs_view(self):
        late_approval = extension("2024-06-03 10:00", "2024-06-05", periods=("2024-05",))
        facts = self.facts(report("2024-05-28 10:00", MAY), decision=late_approval)
        assert report_status(facts, period(MAY), DEFAULT, at(CUTOFF)).status is LATE
        assert report_status(facts, period(MAY), DEFAULT, at("2024-06-04 00:00")).status is ON_TIME

    def test_it_does_not_move_other_periods(self):
        facts = self.facts(report("2024-06-27 10:00", "2024-06"))
        assert report_status(facts, period("2024-06"), DEFAULT, at("2024-06-30 23:59")).status is LATE


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        pytest.param(
            report_status(
                assignment(revisions=[report("2024-05-29 09:00", MAY)]), period(MAY), DEFAULT, at(CUTOFF)
            ),
            "5月报送迟报 3 个工作日",
            id="late",
        ),
        pytest.param(
            report_status(assignment(), period(MAY), DEFAULT, at(CUTOFF)), "5月报送缺报", id="missing"
        ),
        pytest.param(
            report_status(
                assignment(revisions=[report("2024-05-20 09:00", MAY)]), period(MAY), DEFAULT, at(CUTOFF)
            ),
            "5月按时报送",
            id="on-time",
        ),
    ],
)
def test_each_status_carries_a_sentence_for_the_clerk(status, reason):
    assert status.reason == reason


@pytest.mark.parametrize(
    ("revisions", "as_of", "expected"),
    [
        pytest.param([], "2024-01-10 10:00", None, id="nothing-due-yet-in-the-first-month"),
        pytest.param(
            [], "2024-01-26 10:00", ("2024-01", MISSING), id="january-missing-once-its-due-day-passed"
        ),
        pytest.param(
            [report("2024-05-28 10:00", MAY)],
            "2024-06-10 10:00",
            ("2024-05", LATE),
            id="june-not-due-yet-so-may-counts",
        ),
        pytest.param(
            [report("2024-06-01 10:00", "2024-06")],
            "2024-06-10 10:00",
            ("2024-05", MISSING),
            id="an-early-june-report-does-not-make-june-the-last-due",
        ),
        pytest.param(
            [report("2024-06-20 10:00", "2024-06")],
            "2024-06-26 10:00",
            ("2024-06", ON_TIME),
            id="june-is-the-last-due-after-its-due-day",
        ),
    ],
)
def test_the_last_due_report_is_the_latest_period_whose_due_moment_passed(revisions, as_of, expected):
    state = last_due_report(assignment(revisions=revisions), DEFAULT, at(as_of))
    assert (state and (str(state.period), state.status)) == expected


def test_with_a_shifted_due_day_the_last_due_report_waits_for_the_shift():
    rules = ReportingRules(due_day=31, holiday_shift=True)
    facts = assignment(revisions=[report("2024-12-20 10:00", "2024-12")])
    state = last_due_report(facts, rules, at("2025-02-03 10:00"))
    assert str(state.period) == "2024-12"
