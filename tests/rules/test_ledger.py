"""The report ledger's rule: what one report's row says as of a moment."""

from __future__ import annotations

from datetime import datetime

from tracker.rules.ledger import RevisionRecord, as_of
from tracker.rules.periods import TZ

SAVED = datetime(2024, 5, 20, 9, 0, tzinfo=TZ)
SAME_SECOND = datetime(2024, 5, 29, 17, 13, 42, tzinfo=TZ)


def revision(**kw) -> RevisionRecord:
    return RevisionRecord(1, 1, SAVED, 40, False, "{}", "{}", **kw)


def test_a_return_in_the_same_second_as_the_sign_off_is_the_rows_last_change():
    # The leader signs the version off and the office returns it within the same second: the
    # return is written after the sign-off (a returned version cannot be signed off), so it is last.
    row = as_of([revision(returns=((SAME_SECOND, "请补充佐证材料"),), signoffs=(SAME_SECOND,))], SAME_SECOND)
    assert (row.change, row.at, row.signed_off_at, row.returned_reason) == (
        "return",
        SAME_SECOND,
        SAME_SECOND,
        "请补充佐证材料",
    )


def test_nothing_recorded_by_the_cut_off_has_no_row():
    assert as_of([revision()], datetime(2024, 5, 19, tzinfo=TZ)) is None
