"""The published site under /site/ is sent gzipped to a browser that accepts it, byte for byte the file."""

from __future__ import annotations

import gzip
from pathlib import Path


def test_a_board_page_is_gzipped_for_a_browser_and_plain_for_others(app, client):
    folder = Path(app.config["SITES_DIR"]) / "demo-2024" / "2024-05"
    folder.mkdir(parents=True)
    page = ("<!doctype html><title>月调度</title>" + "<tr><td>措施</td><td>绿灯</td></tr>" * 400).encode()
    (folder / "index.html").write_bytes(page)
    zipped = client.get("/site/demo-2024/2024-05/", headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped.status_code == 200 and zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.data) == page and len(zipped.data) < len(page) / 10
    with client.get("/site/demo-2024/2024-05/") as plain:
        assert "Content-Encoding" not in plain.headers and plain.data == page
