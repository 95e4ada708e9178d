"""Settings of the Python runtime that measured well (issue 17), kept in one place.

- `freeze_heap()` after start-up, and before forking workers: the objects made at start-up (modules,
  templates, the app) are never scanned by the cyclic collector again, and forked workers share
  their pages instead of copying them when a collection would touch them.
- `batch_gc()` around batch work (a board's gathering, a publication): far fewer generation-0
  collections while hundreds of thousands of short-lived rows are made; a collection still runs.
"""

from __future__ import annotations

import functools
import gc
import threading
from contextlib import contextmanager

BATCH_THRESHOLD = 50_000  # generation-0 allocations between collections during batch work
_lock = threading.Lock()
_active = 0
_saved: tuple[int, int, int] | None = None


def freeze_heap() -> None:
    gc.collect()
    gc.freeze()


@contextmanager
def batch_gc():
    """Raise the generation-0 threshold while any batch runs (the threshold is per process: the
    first batch in raises it, the last one out puts the old one back, whatever the threads do)."""
    global _active, _saved
    with _lock:
        if _active == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(max(_saved[0], BATCH_THRESHOLD), *_saved[1:])
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0 and _saved is not None:
                gc.set_threshold(*_saved)


def batch(fn):
    """Run `fn` under `batch_gc()`."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with batch_gc():
            return fn(*args, **kwargs)

    return wrapper
