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
    EnvSetting(
        "TRACKER_SITES_DIR",
        "sites",
        "the folder of the published static site (tracker publish, the scheduler, the app's /site/)",
    ),
    EnvSetting(
        "TRACKER_SMTP_HOST", "unset: no email", "the SMTP server that sends reminders (催办) by email"
    ),
    EnvSetting("TRACKER_SMTP_PORT", "25", "the SMTP server's port (587 with STARTTLS, 465 with ssl)"),
    EnvSetting("TRACKER_SMTP_USER", "unset: no login", "the SMTP login name"),
    EnvSetting("TRACKER_SMTP_PASSWORD", "unset", "the SMTP password"),
    EnvSetting(
        "TRACKER_SMTP_FROM", "tracker@localhost", "the reminders' sender, e.g. 督查室 <dcs@example.gov.cn>"
    ),
    EnvSetting("TRACKER_SMTP_STARTTLS", "0", "1: upgrade with STARTTLS; ssl: TLS from the start; 0: neither"),
    EnvSetting(
        "TRACKER_WEBHOOK_URL",
        "unset: no group bot",
        "a WeCom or DingTalk group bot's URL; reminders are posted as text messages",
    ),
    EnvSetting(
        "TRACKER_DELIVERY_TIMEOUT",
        "15",
        "seconds to wait for an SMTP step or a webhook answer before the outcome counts as unknown",
    ),
    EnvSetting(
        "TRACKER_BACKUP_DIR",
        "unset: no nightly backup",
        "the scheduler writes a backup here every night at 02:00 (tracker-YYYYMMDD-HHMMSS.zip)",
    ),
    EnvSetting("TRACKER_BACKUP_KEEP", "14", "how many nightly backups to keep in TRACKER_BACKUP_DIR"),
)
