"""Server-side paging and name search for the long lists (users, findings): a page of rows, and the
query-string arguments its page links keep."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flask import request

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    rows: Sequence
    number: int  # 1-based
    pages: int
    total: int
    args: dict  # the list's other query arguments (search, filters), kept by each page link

    @property
    def first(self) -> int:
        return (self.number - 1) * PAGE_SIZE + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.number * PAGE_SIZE, self.total)

    def without(self, key: str) -> dict:
        return {k: v for k, v in self.args.items() if k != key}

    def near(self) -> list[int | None]:
        """Page numbers to link: the first, the last and two either side of this one; None for a gap."""
        keep = sorted({1, self.pages, *range(max(1, self.number - 2), min(self.pages, self.number + 2) + 1)})
        out: list[int | None] = []
        for n in keep:
            if out and n - (out[-1] or 0) > 1:
                out.append(None)
            out.append(n)
        return out


def query() -> str:
    """The search words (?q=), trimmed; empty when none."""
    return " ".join(request.args.get("q", "").split())[:100]


def matches(q: str, *texts: str | None) -> bool:
    """Every word of `q` appears in one of `texts` (case-insensitive)."""
    hay = " ".join(t for t in texts if t).casefold()
    return all(word.casefold() in hay for word in q.split())


def paginate(rows: Sequence, search: Callable[[object], tuple] | None = None) -> Page:
    """This request's page (?page=N) of `rows`, after keeping those that match ?q= (by `search`'s texts)."""
    q = query()
    if q and search is not None:
        rows = [r for r in rows if matches(q, *search(r))]
    try:
        number = int(request.args.get("page", "1"))
    except ValueError:
        number = 1
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    number = min(max(1, number), pages)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return Page(rows[(number - 1) * PAGE_SIZE : number * PAGE_SIZE], number, pages, len(rows), args)
