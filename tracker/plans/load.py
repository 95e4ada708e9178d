"""`tracker load`: plan files into the store, idempotently.

Every file is checked and every unit name resolved before anything is written; then all files are
written in one transaction, so a failure changes nothing. A reload updates measures by their code,
keeps every report, and archives (never deletes) what the new file drops.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from tracker.clock import now
from tracker.plans.schema import (
    MeasureSpec,
    PlanFile,
    PlanFileError,
    Problem,
    SectionSpec,
    UnitSpec,
    load_plan_file,
    normalize_name,
)
from tracker.store import audit
from tracker.store.db import write_transaction
from tracker.store.models import (
    Assignment,
    Indicator,
    Measure,
    Milestone,
    Plan,
    Section,
    Unit,
    UnitMember,
)


class LoadError(ValueError):
    """Nothing was loaded; `.problems` says why, each placed in its file."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class LoadSummary:
    """What one plan file changed (or, in a dry run, would change)."""

    plan: str
    origin: str
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    archived: Counter = field(default_factory=Counter)
    restored: Counter = field(default_factory=Counter)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any((self.created, self.updated, self.archived, self.restored))

    def lines(self) -> list[str]:
        out = []
        for label, counter in (
            ("新增", self.created),
            ("更新", self.updated),
            ("归档", self.archived),
            ("恢复", self.restored),
        ):
            if counter:
                out.append(label + " " + ", ".join(f"{k} {v}" for k, v in sorted(counter.items())))
        return out or ["无变化"]


class _DryRun(Exception):
    pass


@dataclass(frozen=True)
class _Target:
    """What a printed name resolves to: a unit spec from the file, or a unit already stored."""

    name: str  # the unit's full name: the key in the store
    spec: UnitSpec | None = None


class _Resolver:
    """Resolves printed names: the file's own `units:` first, then stored units by name, short name, alias."""

    def __init__(self, stored: list[Unit]):
        self.by_name = {u.name: u for u in stored}
        names = {u.id: u.name for u in stored}
        self.parent_of = {u.name: names.get(u.parent_id) for u in stored}
        self.by_other: dict[str, set[str]] = {}
        for u in stored:
            for n in u.names()[1:]:
                self.by_other.setdefault(normalize_name(n), set()).add(u.name)

    def resolve(self, plan: PlanFile, name: str) -> tuple[_Target | None, str | None]:
        local = {n: spec for spec in plan.units for n in spec.names()}
        if name in local:
            return _Target(local[name].name, local[name]), None
        if name in self.by_name:
            return _Target(name), None
        candidates = sorted(self.by_other.get(name, ()))
        if len(candidates) == 1:
            return _Target(candidates[0]), None
        if candidates:
            return None, f"单位名称 {name!r} 有多个可能:{'、'.join(candidates)};请在文件的 units 中写明全称"
        return None, f"单位名称 {name!r} 无法识别;请在文件的 units 中加入它(name/short/aliases)"


def wants_adoption(plans: list[PlanFile], today: date) -> list[PlanFile]:
    """The plans a load must ask an adoption day for: their start is already past, and neither the
    file (plan.reporting.start) nor an earlier load gave them one. `tracker load` asks at a terminal
    (or takes --adopt); the admin's load page asks with a date field."""
    wanted = []
    for plan in plans:
        stored = Plan.get_or_none(Plan.code == plan.code)
        if not (plan.reporting.start or (stored and stored.adopted) or plan.start >= today):
            wanted.append(plan)
    return wanted


def adoption_problem(plan: PlanFile, day: date) -> str | None:
    """Why `day` cannot be `plan`'s adoption day (it must fall within the plan's span), or None."""
    if plan.start <= day <= plan.end:
        return None
    return f"采用日 {day} 不在方案 {plan.code} 的实施期内({plan.start} 至 {plan.end})"


def read_files(paths: list[str | Path], allow_unknown: bool = False) -> list[PlanFile]:
    """Parse every file, collecting problems across all of them before failing."""
    plans, problems = [], []
    for path in paths:
        try:
            plans.append(load_plan_file(path, allow_unknown))
        except PlanFileError as exc:
            problems.extend(exc.problems)
    codes = Counter(p.code for p in plans)
    for p in plans:
        if codes[p.code] > 1:
            problems.append(Problem(p.origin, None, "plan.code", f"{p.code!r} 在本次加载的多个文件中出现"))
    if problems:
        raise LoadError(problems)
    return plans


def _check_units(plans: list[PlanFile], resolver: _Resolver) -> None:
    problems = []
    for plan in plans:
        for spec in plan.units:
            for member in spec.members:
                _, why = resolver.resolve(plan, member)
                if why:
                    problems.append(Problem(plan.origin, None, f"units {spec.name} members", why))
            if spec.parent:
                _, why = resolver.resolve(plan, spec.parent)
                if why:
                    problems.append(Problem(plan.origin, None, f"units {spec.name} parent", why))
        for m in plan.measures():
            for role, name in m.assignments():
                _, why = resolver.resolve(plan, name)
                if why:
                    problems.append(Problem(plan.origin, m.line, f"measure {m.code} {role}", why))
            for ind in m.indicators:
                for name, _ in ind.shares:
                    _, why = resolver.resolve(plan, name)
                    if why:
                        problems.append(
                            Problem(plan.origin, m.line, f"measure {m.code} {ind.name} shares", why)
                        )
    if problems:
        raise LoadError(problems)
    _check_levels(plans, resolver)


def _check_levels(plans: list[PlanFile], resolver: _Resolver) -> None:
    """Refuse a `parent` chain that comes back to where it started (a unit above itself)."""
    parent_of = dict(resolver.parent_of)
    for plan in plans:
        for spec in plan.units:
            target = resolver.resolve(plan, spec.parent)[0] if spec.parent else None
            parent_of[spec.name] = target.name if target else None
    problems = []
    for plan in plans:
        for spec in plan.units:
            chain, name = [spec.name], parent_of.get(spec.name)
            while name is not None and name not in chain:
                chain.append(name)
                name = parent_of.get(name)
            if name is not None:
                loop = " → ".join([*chain[chain.index(name) :], name])
                problems.append(Problem(plan.origin, None, f"units {spec.name} parent", f"上下级循环:{loop}"))
    if problems:
        raise LoadError(problems)


def load_plans(
    paths: list[str | Path],
    *,
    dry_run: bool = False,
    actor: str = "cli",
    allow_unknown: bool = False,
    adopted: dict | None = None,
) -> list[LoadSummary]:
    """Load plan files; with `dry_run`, report what would change and leave the database as it was.

    `adopted` maps plan codes to an adoption day set by the admin at load time (a plan loaded in the
    middle of its span); it wins over the file's `reporting.start`.
    """
    plans = read_files(paths, allow_unknown)
    summaries: list[LoadSummary] = []
    try:
        with write_transaction():
            resolver = _Resolver(list(Unit.select()))
            _check_units(plans, resolver)
            for plan in plans:
                summaries.append(_Loader(plan, resolver, actor, (adopted or {}).get(plan.code)).run())
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return summaries


class _Loader:
    def __init__(self, plan: PlanFile, resolver: _Resolver, actor: str, adopted=None):
        self.plan = plan
        self.adopted = adopted
        self.resolver = resolver
        self.actor = actor
        self.summary = LoadSummary(plan.code, plan.origin, warnings=list(plan.warnings))
        self.moment = now()
        self.reordered: Counter = Counter()
        self.changes: list[audit.Change] = []

    # -- helpers -------------------------------------------------------------------------------

    def _audit(self, action: str, entity: str, entity_id, before=None, after=None) -> None:
        # Collected, then appended in one go at the end of the file's load, in the same transaction.
        self.changes.append(audit.Change(action, entity, entity_id, before, after))

    def _upsert(self, model, existing, key: dict, values: dict, kind: str):
        """Create `model` with key+values, or update the changed fields of `existing`; audited."""
        if existing is None:
            if "created_at" in model._meta.fields and "created_at" not in values:
                values = {**values, "created_at": self.moment}
            row = model.create(**key, **values)
            self.summary.created[kind] += 1
            self._audit(f"{kind}.create", kind, row.id, None, {**key, **values})
            return row
        changed = {k: v for k, v in values.items() if _stored(existing.__data__.get(k)) != _stored(v)}
        if set(changed) == {"position"}:
            # Another item inserted or dropped before this one: a new place in the order, not a new
            # content. Recorded once per load as a reorder event, not as one update per row.
            existing.position = changed["position"]
            existing.save(only=["position"])
            self.reordered[kind] += 1
            changed = {}
        restored = getattr(existing, "archived_at", None) is not None
        if restored:
            changed["archived_at"] = None
        if changed:
            before = {k: _stored(existing.__data__.get(k)) for k in changed}
            for k, v in changed.items():
                setattr(existing, k, v)
            existing.save(only=list(changed))
            if restored:
                self.summary.restored[kind] += 1
            self.summary.updated[kind] += 0 if restored and len(changed) == 1 else 1
            self._audit(
                f"{kind}.{'restore' if restored else 'update'}",
                kind,
                existing.id,
                before,
                {k: _stored(v) for k, v in changed.items()},
            )
        return existing

    def _archive(self, row, kind: str) -> None:
        if row.archived_at is None:
            row.archived_at = self.moment
            row.save(only=["archived_at"])
            self.summary.archived[kind] += 1
            self._audit(f"{kind}.archive", kind, row.id, {"archived_at": None}, {"archived_at": self.moment})

    # -- the load ------------------------------------------------------------------------------

    def run(self) -> LoadSummary:
        units = self._units()
        plan_row = self._plan()
        sections = self._sections(plan_row)
        self._measures(plan_row, sections, units)
        if self.reordered:
            self._audit("plan.reorder", "plan", plan_row.id, None, dict(self.reordered))
        audit.record_many(self.actor, self.changes)
        return self.summary

    def _units(self) -> dict[str, Unit]:
        """Create or update the file's units; returns every stored unit by full name."""
        stored = {u.name: u for u in Unit.select()}
        parent_name = {
            spec.name: self.resolver.resolve(self.plan, spec.parent)[0].name
            for spec in self.plan.units
            if spec.parent
        }
        for spec in _parents_first(self.plan.units, parent_name):
            row = stored.get(spec.name)
            aliases = sorted(set(spec.aliases) | set(row.aliases if row else []))
            values = {
                "short": spec.short or (row.short if row else None),
                "aliases": aliases,
                "kind": spec.kind,
                "reconstructed": spec.reconstructed,
                # Another plan's tags on the same unit are kept: a pilot county stays one.
                "tags": sorted(set(spec.tags) | set(row.tags if row else [])),
            }
            if spec.name in parent_name:
                # Parents come first, so the parent is stored already. A file that names no parent
                # leaves the stored one: another plan may have placed the unit.
                values["parent"] = stored[parent_name[spec.name]].id
            if row is None:
                values["created_at"] = self.moment
            stored[spec.name] = self._upsert(
                Unit, row, {"name": spec.name} if row is None else {}, values, "unit"
            )
        for spec in self.plan.units:
            group = stored[spec.name]
            have = {link.member_id for link in UnitMember.select().where(UnitMember.group == group)}
            for pos, member_name in enumerate(spec.members):
                target, _ = self.resolver.resolve(self.plan, member_name)
                member = stored[target.name]
                if member.id not in have:
                    UnitMember.create(group=group, member=member, position=pos)
                    have.add(member.id)
                    self.summary.created["unit_member"] += 1
                    self._audit(
                        "unit_member.create",
                        "unit_member",
                        f"{group.id}:{member.id}",
                        None,
                        {"group": group.name, "member": member.name},
                    )
        return stored

    def _plan(self) -> Plan:
        p = self.plan
        values = {
            "title": p.title,
            "issuer": p.issuer,
            "doc_number": p.doc_number,
            "issued": p.issued,
            "start": p.start,
            "end": p.end,
            "cadence": p.reporting.cadence,
            "due_day": p.reporting.due_day,
            "cutoff_day": p.reporting.cutoff_day,
            "signoff": p.reporting.signoff,
            "holiday_shift": p.reporting.holiday_shift,
            "amber_days": p.reporting.amber_days,
            "source_note": p.source_note,
            "phases": [
                {"name": x.name, "start": x.start.isoformat(), "end": x.end.isoformat()} for x in p.phases
            ],
            "targets": [
                {"name": t.name, "kind": t.kind, "parent": t.parent, "tags": list(t.tags)} for t in p.targets
            ],
            "file_sha256": _sha256(p.origin),
            "adopted": self.adopted or p.reporting.start,
            "reviews": [{"code": v.code, "name": v.name, "months": list(v.months)} for v in p.reviews],
        }
        if p.scoring is not None:
            # Without `scoring` in the file, the weights the office set on its settings page stay.
            values["scoring"] = p.scoring.as_dict()
        existing = Plan.get_or_none(Plan.code == p.code)
        if values["adopted"] is None and existing is not None:
            values["adopted"] = existing.adopted  # an adoption set at an earlier load stays
        if existing is None or any(
            _stored(existing.__data__.get(k)) != _stored(v) for k, v in values.items()
        ):
            values["loaded_at"] = self.moment
        return self._upsert(Plan, existing, {"code": p.code} if existing is None else {}, values, "plan")

    def _sections(self, plan_row: Plan) -> dict[str, Section]:
        stored = {s.code: s for s in Section.select().where(Section.plan == plan_row)}
        seen: dict[str, Section] = {}
        position = 0

        def walk(spec: SectionSpec, parent: Section | None) -> None:
            nonlocal position
            position += 1
            values = {
                "parent": parent.id if parent else None,
                "title": spec.title,
                "text": spec.text,
                "position": position,
                "reconstructed": spec.reconstructed,
            }
            existing = stored.get(spec.code)
            key = {"plan": plan_row.id, "code": spec.code} if existing is None else {}
            row = self._upsert(Section, existing, key, values, "section")
            seen[spec.code] = row
            for child in spec.sections:
                walk(child, row)

        for top in self.plan.sections:
            walk(top, None)
        for code, row in stored.items():
            if code not in seen:
                self._archive(row, "section")
        return seen

    def _measures(self, plan_row: Plan, sections: dict[str, Section], units: dict[str, Unit]) -> None:
        stored = {m.code: m for m in Measure.select().where(Measure.plan == plan_row)}
        seen = set()
        position = 0
        for top in self.plan.sections:
            for s in top.walk_sections():
                for spec in s.measures:
                    position += 1
                    seen.add(spec.code)
                    row = self._measure(plan_row, sections[s.code], spec, position, stored.get(spec.code))
                    self._assignments(row, spec, units)
                    self._indicators(row, spec)
        for code, row in stored.items():
            if code not in seen:
                self._archive(row, "measure")

    def _measure(self, plan_row, section, spec: MeasureSpec, position: int, existing) -> Measure:
        values = {
            "section": section.id,
            "title": spec.title,
            "text": spec.text,
            "printed_units": {
                role: list(getattr(spec, role)) for role in ("lead", "responsible", "supporting")
            },
            "deadline": spec.deadline,
            "deadline_text": spec.deadline_text,
            "recurring": spec.recurring,
            "start": spec.start,
            "public": spec.public,
            "reconstructed": spec.reconstructed,
            "position": position,
        }
        # Only a measure with its own cadence (or one that had it) records one, so the audit of plans
        # that never use it reads as before.
        if spec.cadence or (existing is not None and existing.cadence):
            values["cadence"] = spec.cadence
        key = {"plan": plan_row.id, "code": spec.code} if existing is None else {}
        return self._upsert(Measure, existing, key, values, "measure")

    def _assignments(self, measure: Measure, spec: MeasureSpec, units: dict[str, Unit]) -> None:
        """One assignment per unit; a group with members gives one per member, keeping the printed name."""
        desired: dict[int, dict] = {}
        for role, printed in spec.assignments():
            target, _ = self.resolver.resolve(self.plan, printed)
            unit = units[target.name]
            members = self._members(unit, target)
            for member in members or [unit]:
                # A unit named twice keeps its first, strongest role (lead before responsible).
                desired.setdefault(
                    member.id,
                    {
                        "role": role,
                        "via_group": unit.id if members else None,
                        "printed_name": printed,
                        "position": len(desired),
                    },
                )
        stored = {a.unit_id: a for a in Assignment.select().where(Assignment.measure == measure)}
        for unit_id, values in desired.items():
            existing = stored.get(unit_id)
            key = {"measure": measure.id, "unit": unit_id} if existing is None else {}
            self._upsert(Assignment, existing, key, values, "assignment")
        for unit_id, row in stored.items():
            if unit_id not in desired:
                self._archive(row, "assignment")

    def _members(self, unit: Unit, target: _Target) -> list[Unit]:
        if target.spec is not None and target.spec.members:
            names = [self.resolver.resolve(self.plan, n)[0].name for n in target.spec.members]
            by_name = {u.name: u for u in Unit.select().where(Unit.name.in_(names))}
            return [by_name[n] for n in names]
        if target.spec is not None:
            return []
        links = UnitMember.select().where(UnitMember.group == unit).order_by(UnitMember.position)
        return [link.member for link in links]

    def _indicators(self, measure: Measure, spec: MeasureSpec) -> None:
        stored = {i.code: i for i in Indicator.select().where(Indicator.measure == measure)}
        seen = set()
        for position, ind in enumerate(spec.indicators):
            seen.add(ind.code)
            values = {
                "name": ind.name,
                "unit": ind.unit,
                "target": ind.target,
                "baseline": ind.baseline,
                "cumulative": ind.cumulative,
                "kind": ind.kind,
                "direction": ind.direction,
                "position": position,
                "rollup": ind.rollup,
                "shares": {self.resolver.resolve(self.plan, n)[0].name: v for n, v in ind.shares},
            }
            existing = stored.get(ind.code)
            key = {"measure": measure.id, "code": ind.code} if existing is None else {}
            row = self._upsert(Indicator, existing, key, values, "indicator")
            have = {m.date: m for m in Milestone.select().where(Milestone.indicator == row)}
            dates = set()
            for ms in ind.milestones:
                dates.add(ms.date)
                old = have.get(ms.date)
                key = {"indicator": row.id, "date": ms.date} if old is None else {}
                self._upsert(Milestone, old, key, {"value": ms.value}, "milestone")
            for when, old in have.items():
                if when not in dates:
                    self._archive(old, "milestone")
        for code, row in stored.items():
            if code not in seen:
                self._archive(row, "indicator")


def _parents_first(specs, parent_name: dict[str, str]) -> list:
    """The file's units ordered so each comes after its parent (the loader refused loops already)."""
    by_name = {spec.name: spec for spec in specs}
    out, placed = [], set()

    def place(spec, depth=0):
        if spec.name in placed or depth > len(specs):
            return
        above = by_name.get(parent_name.get(spec.name, ""))
        if above is not None:
            place(above, depth + 1)
        placed.add(spec.name)
        out.append(spec)

    for spec in specs:
        place(spec)
    return out


def _stored(value):
    """A value as the store compares it: model instances by id, floats and ints alike."""
    if hasattr(value, "id") and hasattr(value, "_meta"):
        return value.id
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _sha256(origin: str) -> str | None:
    try:
        return hashlib.sha256(Path(origin).read_bytes()).hexdigest()
    except OSError:
        return None
