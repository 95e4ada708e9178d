"""The published static site (`tracker publish`), served read-only from SITES_DIR for everyone.

The files are public by construction (see `tracker.site.public`); this view only maps a URL to a
file inside the folder, never outside it, and never lists a folder.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, abort, current_app, request, send_from_directory

from tracker.web.access import PUBLIC, allow

bp = Blueprint("published", __name__, url_prefix="/site")

NOTHING_YET = (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1"><title>公开看板</title></head>'
    "<body><main><h1>公开看板</h1><p>尚未发布任何看板。督查室发布后，月调度、季通报和年度考核会出现在这里。</p>"
    '<p><a href="/">返回</a></p></main></body></html>'
)


def _folder() -> Path:
    return Path(current_app.config["SITES_DIR"]).resolve()


@bp.get("/")
@allow(PUBLIC)
def index():
    return page("index.html")


@bp.get("/<path:path>")
@allow(PUBLIC)
def page(path: str):
    folder = _folder()
    if path.endswith("/"):
        path += "index.html"
    if path == "index.html" and not (folder / path).is_file():
        return NOTHING_YET
    if not (folder / path).resolve().is_relative_to(folder) or not (folder / path).is_file():
        abort(404)
    # send_from_directory refuses anything outside the folder too; the files never change in place.
    response = send_from_directory(folder, path, max_age=300)
    return _gzipped(response, folder / path)


COMPRESSIBLE = (".html", ".css", ".json", ".csv", ".atom", ".xml", ".txt", ".svg")


@lru_cache(maxsize=256)
def _compressed(path: str, mtime_ns: int, size: int) -> bytes:
    with open(path, "rb") as fh:
        return gzip.compress(fh.read(), compresslevel=6, mtime=0)


def _gzipped(response, file: Path):
    """Text files gzipped for a client that accepts it (a board page is mostly repeated markup)."""
    response.vary.add("Accept-Encoding")
    if (
        response.status_code != 200
        or file.suffix not in COMPRESSIBLE
        or "gzip" not in request.accept_encodings
        or file.stat().st_size < 1024
    ):
        return response
    stat = file.stat()
    body = _compressed(str(file), stat.st_mtime_ns, stat.st_size)
    response.close()  # the file send_from_directory opened
    response.direct_passthrough = False
    response.set_data(body)
    response.headers["Content-Encoding"] = "gzip"
    response.headers["Content-Length"] = str(len(body))
    return response
