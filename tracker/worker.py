"""Run one untrusted-input check in a child process with CPU, memory and wall-clock limits.

Checks of uploaded Office files inflate archives that a clerk sent us. Running them in a child process
(started from a fork server, so no thread or database connection of the app is copied) means a file
built to exhaust memory or CPU kills only that child, within `timeout` seconds, and the app answers on.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
from collections.abc import Callable
from typing import Any

_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["tracker.ooxml"])


class WorkerLimitExceeded(RuntimeError):
    """The check used more time or memory than it may; the input is refused."""


def _child(conn, func, args, cpu_seconds: int, memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    try:
        result = ("ok", func(*args))
    except MemoryError:
        result = ("limit", "memory")
    except Exception as exc:  # the parent re-raises it: the check's own refusal, with its message
        result = ("error", exc)
    try:
        conn.send(result)
    except Exception as exc:  # an exception that does not pickle
        conn.send(("error", RuntimeError(str(exc))))
    conn.close()


def run_limited(
    func: Callable[..., Any],
    *args: Any,
    timeout: float = 5.0,
    cpu_seconds: int = 4,
    memory_bytes: int = 512 * 1024 * 1024,
) -> Any:
    """`func(*args)` in a child process; its exception is raised here, `WorkerLimitExceeded` on a limit.

    With TRACKER_INLINE_CHECKS=1 the call runs in this process (for profiling and debugging only)."""
    if os.environ.get("TRACKER_INLINE_CHECKS") == "1":
        return func(*args)
    receiver, sender = _CONTEXT.Pipe(duplex=False)
    process = _CONTEXT.Process(target=_child, args=(sender, func, args, cpu_seconds, memory_bytes))
    process.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise WorkerLimitExceeded(f"检查超过 {timeout:g} 秒")
        try:
            status, value = receiver.recv()
        except EOFError:  # killed by its CPU or memory limit before it could answer
            raise WorkerLimitExceeded("检查超出资源限制") from None
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join()
        process.close()
    if status == "ok":
        return value
    if status == "limit":
        raise WorkerLimitExceeded("检查超出内存限制")
    raise value
