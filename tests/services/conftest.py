"""Fixtures for service tests: the people of tests/web/conftest.py, without the app."""

from __future__ import annotations

import pytest

from tracker.services.scoping import Scope
from tracker.services.users import add_user
from tracker.store.models import Assignment, Measure, Plan, Unit

PASSWORD = "correct horse battery"

# username → (role, unit): a clerk and a leader of one unit, a clerk of another, and the office roles.
PEOPLE = {
    "clerk": ("reporter", "安康市乡村振兴局"),
    "boss": ("unit_leader", "安康市乡村振兴局"),
    "other": ("reporter", "安康市汉滨区"),
    "inspector": ("inspector", None),
    "leader": ("leader", None),
    "admin": ("admin", None),
}


@pytest.fixture
def people(loaded):
    return {
        name: add_user(name, role, unit, PASSWORD, display_name=f"{name}-名", must_change=False)[0]
        for name, (role, unit) in PEOPLE.items()
    }


@pytest.fixture
def scopes(people):
    return {name: Scope.of(user) for name, user in people.items()}


@pytest.fixture
def at(monkeypatch):
    """Fix the clock: `at("2024-05-20T10:00")` (Beijing time)."""

    def _at(moment: str):
        monkeypatch.setenv("TRACKER_NOW", moment if "+" in moment else moment + "+08:00")

    return _at


def assignment_of(unit: str, measure: str, plan: str = "ankang-2023") -> Assignment:
    """The assignment of `unit` (full name) on `measure` (code) of `plan`."""
    return (
        Assignment.select()
        .join(Measure)
        .join(Plan)
        .switch(Assignment)
        .join(Unit, on=(Assignment.unit == Unit.id))
        .where(Plan.code == plan, Measure.code == measure, Unit.name == unit)
        .get()
    )
