"""What a load balancer or an operator asks `/healthz`: is the database reachable, is its schema
current, and how long ago did the scheduler renew its lease."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import peewee

from tracker.store.db import db
from tracker.store.migrations import MIGRATIONS, applied_versions, current_version, latest_version
from tracker.store.models import Setting

LEASE_KEY = "scheduler.lease"  # tracker.scheduler's lease row


def check() -> tuple[bool, dict]:
    """(healthy, report). Healthy means the database answers and has every migration; the scheduler's
    lease is reported, not judged (it may run on another machine, or not at all)."""
    report: dict = {"status": "ok", "database": "ok"}
    try:
        db.execute_sql("SELECT 1")
        version = current_version()
        missing = sorted({m.version for m in MIGRATIONS} - applied_versions()) if version is not None else []
        report["schema"] = {
            "version": version,
            "latest": latest_version(),
            "current": version is not None and not missing,
        }
        report["scheduler"] = _lease()
    except peewee.PeeweeException as exc:
        report.update(
            status="unavailable", database=f"error: {str(exc).splitlines()[0] if str(exc) else exc}"
        )
        return False, report
    if not report["schema"]["current"]:
        report["status"] = "schema outdated: run tracker init"
        return False, report
    return True, report


def _lease() -> dict:
    row = Setting.get_or_none(Setting.key == LEASE_KEY)
    if row is None:
        return {"holder": None, "lease_age_seconds": None}
    from tracker.scheduler import LEASE_TTL  # the lease's lifetime: renewed at expiry minus this

    try:
        data = json.loads(row.value)
        expires = datetime.fromisoformat(data["expires"])
    except (ValueError, KeyError, TypeError):
        return {"holder": None, "lease_age_seconds": None}
    age = (datetime.now(UTC) - (expires - LEASE_TTL)).total_seconds()
    return {
        "holder": data.get("owner"),
        "lease_age_seconds": round(age, 1),
        "expired": expires < datetime.now(UTC),
    }
