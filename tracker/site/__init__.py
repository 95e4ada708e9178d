"""The static site generator: gather (store → records) → public (the one public/internal rule) →
render (pages, open data, feed) → write (atomic, changed files only). `services.publishing` drives it."""

from __future__ import annotations


def publish_due(now=None, out=None):
    """Publish every board whose cut-off has passed and that is not published yet (for the scheduler);
    see `tracker.services.publishing.publish_due`."""
    from tracker.services.publishing import publish_due as run

    return run(now, out)
