"""The demo's levels: 城口县 splits its share of 农村户厕改造 between two towns, and 鸡鸣乡 splits its
part again between two villages (分解 down to villages), through the breakdown service."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from tracker.clock import now
from tracker.services import breakdown
from tracker.services.scoping import Scope
from tracker.store import audit
from tracker.store.db import write_transaction
from tracker.store.models import Assignment, Measure, Plan, Unit, User

PLAN, MEASURE, INDICATOR = "chongqing-2023-counties", "2.2.1", "农村户厕改造"
# Demo villages under 鸡鸣乡: the plans name no village there (so their names say they are the demo's).
VILLAGES = ("城口县鸡鸣乡演示村(一)", "城口县鸡鸣乡演示村(二)")


def seed_levels(echo: Callable[[str], None] = print) -> None:
    plan = Plan.get_or_none(Plan.code == PLAN)
    if plan is None:
        return
    town = Unit.get(Unit.name == "城口县鸡鸣乡")
    with write_transaction():
        for name in VILLAGES:
            row = Unit.create(name=name, kind="village", parent=town, reconstructed=True, created_at=now())
            audit.record("demo", "unit.create", "unit", row.id, None, {"name": name, "parent": town.name})
    admin = User.get(User.role == "admin")
    office = Scope.of(admin)

    def assignment_of(unit_name: str) -> Assignment:
        return (
            Assignment.active()
            .join(Measure)
            .switch(Assignment)
            .join(Unit, on=(Assignment.unit == Unit.id))
            .where(Measure.plan == plan.id, Measure.code == MEASURE, Unit.name == unit_name)
            .get()
        )

    def unit_id(name: str) -> int:
        return Unit.get(Unit.name == name).id

    county = assignment_of("城口县")
    towns = breakdown.split(
        office,
        county.id,
        [
            breakdown.Part(unit_id("城口县鸡鸣乡"), {INDICATOR: Decimal(60)}),
            breakdown.Part(unit_id("城口县沿河乡"), {INDICATOR: Decimal(40)}),
        ],
    )
    breakdown.split(
        office,
        towns[0].id,
        [
            breakdown.Part(unit_id(VILLAGES[0]), {INDICATOR: Decimal(35)}),
            breakdown.Part(unit_id(VILLAGES[1]), {INDICATOR: Decimal(25)}),
        ],
    )
    echo(f"已分解 {PLAN} {MEASURE}:城口县 → 鸡鸣乡 60、沿河乡 40;鸡鸣乡 → 两个村 35、25")
