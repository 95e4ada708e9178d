"""The environment tracker reads, declared once: name, default, meaning. README and `--help` show it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EnvSetting:
    name: str
    default: str
    help: str


SETTINGS = (
    EnvSetting(
        "TRACKER_DATABASE_URL",
        "sqlite:///instance/tracker.db",
        "the database: sqlite:///PATH or postgresql://user:pw@host:port/db",
    ),
    EnvSetting(
        "TRACKER_NOW",
        "the real clock",
        "fixes 'now' for the whole process, ISO 8601 with offset (2024-05-20T10:00:00+08:00)",
    ),
    EnvSetting(
        "TRACKER_SECRET_KEY",
        "a random key kept in instance/",
        "the app's secret; `tracker serve` refuses a non-loopback host without one",
    ),
)
