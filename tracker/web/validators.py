"""Form validators shared by the app's forms: input a rule or the database could not handle is refused
with a message, never answered with a 500."""

from __future__ import annotations

from datetime import date

from wtforms.validators import ValidationError

EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


def sane_date(form, field) -> None:
    """A date within 2000–2099: working-day and holiday arithmetic is defined there, plans live there."""
    if field.data is not None and not EARLIEST <= field.data <= LATEST:
        raise ValidationError(f"日期应在 {EARLIEST:%Y} 年至 {LATEST:%Y} 年之间")
