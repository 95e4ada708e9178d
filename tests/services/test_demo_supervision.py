"""The demo's supervision seed: findings in every state with their history, lists, extensions of
every kind, bulletins and ratings, all through the services and all on the audit chain."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from tracker.clock import TZ
from tracker.demo.supervision import seed_supervision
from tracker.services.users import add_user
from tracker.store import audit
from tracker.store.models import (
    Assignment,
    Bulletin,
    Evidence,
    ExtensionRequest,
    Finding,
    FindingEvent,
    Inspection,
    Plan,
    QualityRating,
    RectificationList,
    Unit,
)

NOW = datetime(2024, 11, 20, 10, 0, tzinfo=TZ)


def test_the_seed_gives_every_finding_state_every_extension_decision_bulletins_and_ratings(loaded, tmp_path):
    add_user("duchashi", "inspector", None, "correct horse battery", must_change=False)
    units = Unit.select().where(Unit.id.in_(Assignment.active().select(Assignment.unit))).order_by(Unit.id)
    for unit in units:
        add_user(f"u{unit.id:04d}", "reporter", unit.name, "correct horse battery", must_change=False)

    seed = seed_supervision(NOW, upload_dir=tmp_path)

    plans = Plan.select().count()  # the seed works per shipped plan: 7 findings, 2 inspections …
    states = Counter(f.state for f in Finding.select())
    assert set(states) == {"open", "answered", "closed"} and sum(states.values()) == 7 * plans
    reopened = {e.finding_id for e in FindingEvent.select().where(FindingEvent.kind == "reopen")}
    assert len(reopened) == plans and all(Finding.get_by_id(i).state == "open" for i in reopened)
    overdue = Finding.select().where(Finding.state != "closed", Finding.rectify_by < NOW.date()).count()
    assert overdue >= 6
    assert Inspection.select().count() == 2 * plans
    assert RectificationList.select().count() == seed.lists == 6 * plans
    assert (
        Evidence.select().where(Evidence.finding_event.is_null(False)).count() == 5 * plans
    )  # one per answer
    decisions = Counter(e.decision for e in ExtensionRequest.select())
    assert set(decisions) == {"approved", "refused", None}
    assert sum(seed.extensions.values()) == ExtensionRequest.select().count() >= 7
    assert Bulletin.select().count() == 2 * plans and "## 总体情况" in Bulletin.select().first().commentary
    assert QualityRating.select().count() == seed.ratings > 0
    assert all(e.at <= NOW for e in FindingEvent.select())
    assert audit.verify().ok
    assert len(seed.lines()) == 3


def test_the_seed_is_the_same_every_time(loaded, tmp_path):
    add_user("duchashi", "inspector", None, "correct horse battery", must_change=False)
    for unit in (
        Unit.select().where(Unit.id.in_(Assignment.active().select(Assignment.unit))).order_by(Unit.id)
    ):
        add_user(f"u{unit.id:04d}", "reporter", unit.name, "correct horse battery", must_change=False)
    seed_supervision(NOW)
    titles = [(f.unit_id, f.title, f.state, f.rectify_by) for f in Finding.select().order_by(Finding.id)]
    assert titles[0][1] and len(set(titles)) == len(titles)
    assert Evidence.select().count() == 0  # no upload folder, no files
