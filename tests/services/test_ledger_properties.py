"""The report ledger equals what the revisions say, after any sequence of writes.

Random sequences of saves, returns (退回), sign-offs (签发), extension decisions, completion
confirmations and moves of the clock, through the services as the app calls them; after each, the
ledger equals a from-scratch recompute from the revisions, and its change rows as of random cut-offs
equal the recompute as of that cut-off, and the facts a monthly board reads from the ledger as of
that cut-off equal those read from the revisions themselves. Then `tracker doctor --rebuild-ledger`
gives the same again.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.services.conftest import assignment_of
from tracker.cli import cli
from tracker.clock import TZ, now
from tracker.rules.periods import Period
from tracker.services import facts, ledger
from tracker.services import reports as report_service
from tracker.services.supervision.common import SupervisionError
from tracker.services.supervision.completions import confirm_completion
from tracker.services.supervision.extensions import decide_extension
from tracker.store.models import Plan, Report, ReportRevision

UNIT = "安康市乡村振兴局"
PERIODS = ("2024-03", "2024-04", "2024-05")

step = st.one_of(
    st.tuples(
        st.just("save"), st.integers(0, 1), st.sampled_from(PERIODS), st.integers(0, 100), st.booleans()
    ),
    st.tuples(st.just("return"), st.integers(0, 1), st.sampled_from(PERIODS)),
    st.tuples(st.just("signoff"), st.integers(0, 1), st.sampled_from(PERIODS)),
    st.tuples(st.just("extension"), st.integers(0, 1), st.booleans()),
    st.tuples(st.just("confirm"), st.integers(0, 1)),
    st.tuples(st.just("time"), st.sampled_from((0, 1, 59, 3600, 86400 * 3))),
)


def _clock(monkeypatch, moment: datetime) -> None:
    monkeypatch.setenv("TRACKER_NOW", moment.isoformat())


def _latest(assignment_id: int, period: str):
    return (
        ReportRevision.select()
        .join(Report)
        .where(Report.assignment == assignment_id, Report.period == period)
        .order_by(ReportRevision.number.desc())
        .first()
    )


def _apply(scopes, targets, action) -> None:
    kind = action[0]
    if kind == "save":
        _, which, period, percent, complete = action
        report_service.save_revision(
            scopes["clerk"],
            targets[which],
            period,
            report_service.ReportInput(
                percent=100 if complete else percent, complete=complete, narrative=f"进展 {percent}%"
            ),
        )
    elif kind in ("return", "signoff"):
        _, which, period = action
        latest = _latest(targets[which], period)
        if latest is None:
            return
        try:
            if kind == "return":
                report_service.return_revision(scopes["inspector"], latest.id, "请补充佐证材料")
            else:
                report_service.sign_off(scopes["boss"], latest.id)
        except report_service.ReportError:
            pass  # refused as the app refuses it (already returned, signed, ...): nothing changes
    elif kind == "extension":
        _, which, approve = action
        try:
            asked = report_service.request_extension(
                scopes["clerk"], targets[which], now().date() + timedelta(days=60), "汛期影响施工"
            )
            decide_extension(scopes["inspector"], asked.id, approve=approve, reason="经研究")
        except (report_service.ReportError, SupervisionError):
            pass
    elif kind == "confirm":
        with contextlib.suppress(SupervisionError):  # not reported complete: refused, nothing changes
            confirm_completion(scopes["inspector"], targets[action[1]], "核查属实")


def _agrees(start: datetime, cutoffs) -> None:
    assert ledger.current() == ledger.recompute(now())
    # A board reads the ledger where sign-off is off (under sign-off every signed revision counts):
    # what it reads as of any cut-off is what the revisions themselves say.
    plan = Plan.get(Plan.code == "ankang-2023")
    plan.signoff = False
    for fraction in cutoffs:
        cutoff = start + (now() - start) * fraction
        assert ledger.snapshot(cutoff) == ledger.recompute(cutoff), cutoff
        months = (Period(2024, 4), Period(2024, 5))  # and 2024-03 as the earlier report
        from_ledger = facts.gather(plan, cutoff, periods=months).assignments
        assert from_ledger == facts.gather(plan, cutoff, periods=months, from_revisions=True).assignments


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    actions=st.lists(step, min_size=1, max_size=14),
    cutoffs=st.lists(st.floats(0, 1), min_size=1, max_size=4),
)
def test_the_ledger_equals_a_recompute_from_the_revisions_after_any_writes(
    scopes, monkeypatch, actions, cutoffs
):
    Plan.update(signoff=True).where(Plan.code == "ankang-2023").execute()  # so sign-offs count
    targets = [assignment_of(UNIT, code).id for code in ("2.2.2", "1.1.1")]
    # One clock for all examples (they share the database): it only moves forward.
    clock = getattr(test_the_ledger_equals_a_recompute_from_the_revisions_after_any_writes, "clock", None)
    moment = clock or datetime(2024, 5, 20, 9, 0, tzinfo=TZ)
    start = datetime(2024, 5, 20, 9, 0, tzinfo=TZ)
    _clock(monkeypatch, moment)
    for action in actions:
        if action[0] == "time":
            moment += timedelta(seconds=action[1])
            _clock(monkeypatch, moment)
        else:
            _apply(scopes, targets, action)
    test_the_ledger_equals_a_recompute_from_the_revisions_after_any_writes.clock = moment + timedelta(
        seconds=1
    )
    _agrees(start, cutoffs)


def _saved_returned_and_saved_again(scopes, at):
    """A 2024-05 report saved at 30% on 20 May, returned on the 21st, saved again at 45% on the 22nd."""
    at("2024-05-20T10:00")
    a = assignment_of(UNIT, "2.2.2").id
    saved = report_service.save_revision(
        scopes["clerk"], a, "2024-05", report_service.ReportInput(percent=30)
    )
    at("2024-05-21T10:00")
    report_service.return_revision(scopes["inspector"], saved.revision.id, "数据不全")
    at("2024-05-22T10:00")
    report_service.save_revision(scopes["clerk"], a, "2024-05", report_service.ReportInput(percent=45))
    return a, saved


def test_doctor_rebuilds_the_ledger_to_what_the_revisions_say_and_audits_it(scopes, at):
    a, saved = _saved_returned_and_saved_again(scopes, at)
    kept = ledger.current()
    row = kept[(a, "2024-05")]
    assert (row.number, row.percent, row.returned_at) == (2, 45, None)
    assert row.first_at == datetime(2024, 5, 20, 10, 0, tzinfo=TZ)
    returned = ledger.snapshot(datetime(2024, 5, 21, 12, 0, tzinfo=TZ))[(a, "2024-05")]
    assert (returned.number, returned.returned_reason) == (1, "数据不全")

    result = CliRunner().invoke(cli, ["doctor", "--rebuild-ledger"])
    assert "报送台账已按报送版本重算" in result.output, result.output
    assert ledger.current() == kept == ledger.recompute(now())
    assert ledger.snapshot(datetime(2024, 5, 21, 12, 0, tzinfo=TZ))[(a, "2024-05")] == returned
    from tracker.store.models import AuditEvent

    assert AuditEvent.select().order_by(AuditEvent.seq.desc()).first().action == "ledger.rebuild"


def test_upgrading_to_version_110_names_each_reports_first_revision_without_new_change_rows(scopes, at):
    a, saved = _saved_returned_and_saved_again(scopes, at)
    report_service.save_revision(scopes["clerk"], a, "2024-04", report_service.ReportInput(percent=20))
    at("2024-05-23T10:00")
    done = report_service.save_revision(
        scopes["clerk"], a, "2024-04", report_service.ReportInput(percent=100, complete=True)
    )
    cutoffs = [datetime(2024, 5, day, 12, 0, tzinfo=TZ) for day in (20, 21, 22, 23)]
    # A database at version 105: the ledger and its change rows without their first revision.
    from playhouse.migrate import SchemaMigrator

    from tracker.store.db import db, is_postgres
    from tracker.store.migrations import MIGRATIONS
    from tracker.store.models import ReportLedger, ReportLedgerChange

    db.execute_sql(
        "DROP TRIGGER IF EXISTS report_ledger_history_update" + (" ON report_ledger" if is_postgres() else "")
    )
    ReportLedger.update(first_revision_id=None).execute()
    ReportLedgerChange.update(first_revision_id=None).execute()
    changes = ReportLedgerChange.select().count()

    step = next(m for m in MIGRATIONS if m.version == 110).step
    step(SchemaMigrator.from_database(db))

    assert ReportLedgerChange.select().count() == changes
    assert ledger.current() == ledger.recompute(now())
    assert ledger.current()[(a, "2024-05")].first_revision_id == saved.revision.id
    assert ledger.current()[(a, "2024-04")].first_complete_id == done.revision.id
    for cutoff in cutoffs:
        assert ledger.snapshot(cutoff) == ledger.recompute(cutoff), cutoff
