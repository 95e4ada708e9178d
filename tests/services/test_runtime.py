"""The runtime settings of batch work: the collector's threshold goes up while any batch runs and back
to what it was when the last one ends, however threads interleave."""

from __future__ import annotations

import gc
import threading

from tracker.runtime import BATCH_THRESHOLD, batch, batch_gc


def test_a_batch_raises_the_threshold_and_the_last_one_out_puts_it_back():
    before = gc.get_threshold()
    inside, release = threading.Event(), threading.Event()

    def other_batch():
        with batch_gc():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=other_batch)
    with batch_gc():
        assert gc.get_threshold()[0] >= BATCH_THRESHOLD
        thread.start()
        inside.wait(10)
    assert gc.get_threshold()[0] >= BATCH_THRESHOLD  # the other thread's batch still runs
    release.set()
    thread.join(10)
    assert gc.get_threshold() == before


def test_a_batch_function_keeps_its_name_and_result():
    @batch
    def gather_something(x):
        """Doc."""
        return gc.get_threshold()[0], x

    threshold, x = gather_something(3)
    assert threshold >= BATCH_THRESHOLD and x == 3
    assert gather_something.__name__ == "gather_something" and gather_something.__doc__ == "Doc."
