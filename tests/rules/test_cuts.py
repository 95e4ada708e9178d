"""A ranking cut by level and by tag keeps the overall order and renumbers from 1."""

from __future__ import annotations

from decimal import Decimal

from tracker.rules.cuts import cuts
from tracker.rules.periods import Year
from tracker.rules.scores import UnitScore
from tracker.rules.values import Unit


def score(name, points, kind, parent=None, tags=()):
    return UnitScore(Unit(name, name, kind, parent, tuple(tags)), Year(2024), Decimal(points), 0, ())


def test_the_city_ranks_counties_a_county_its_towns_and_pilots_among_pilots():
    ranked = [
        score("甲镇", 95, "town", "东岭县"),
        score("东岭县", 90, "county", "测试市", ["试点区县"]),
        score("丙镇", 88, "town", "西川县"),
        score("乙镇", 80, "town", "东岭县"),
        score("西川县", 70, "county", "测试市"),
        score("南山县", 60, "county", "测试市", ["试点区县"]),
        score("市住建局", 50, "department", "测试市"),
    ]
    found = {(c.by, c.value): [s.unit.name for s in c.scores] for c in cuts(ranked)}
    assert found[("kind", "county")] == ["东岭县", "西川县", "南山县"]
    assert found[("parent", "东岭县")] == ["甲镇", "乙镇"]  # 西川县 has one town: no ranking of one
    assert ("parent", "西川县") not in found
    assert found[("tag", "试点区县")] == ["东岭县", "南山县"]
    assert found[("parent", "测试市")] == ["东岭县", "西川县", "南山县", "市住建局"]
    assert ("kind", "department") not in found
    assert [c.label for c in cuts(ranked) if c.by == "tag"] == ["试点区县排名"]
