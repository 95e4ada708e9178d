"""Publishing's limit: render the same pages from the same prebuilt documents and write them with plain
writes: no gathering, no deciding what is public, no comparing, no atomic switch."""

from __future__ import annotations

from pathlib import Path

from tracker.site import render


def bare_loop(documents: list[dict], out: Path) -> int:
    record = render.PlanRecord(documents[0]["plan_info"])
    files = {}
    for doc in documents:
        files.update(render.board_files(doc))
        (record.months if "period" in doc else record.windows)[render.board_key(doc)] = doc
    files.update(render.plan_files(record))
    files.update(render.root_files([(record.plan, record.boards()[-1], record.latest_month)]))
    for rel, data in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return len(files)
