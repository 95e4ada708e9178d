"""The office writes commentary for one of a plan's review windows (Xunyi's 季调度 closing August)
through the served form, and it goes out with that bulletin."""

from __future__ import annotations

from pathlib import Path

from tests.web.conftest import submit
from tracker.store.models import AuditEvent, Bulletin


def test_the_office_comments_on_a_review_window_and_publishes_it_with_the_bulletin(web_as, app, monkeypatch):
    monkeypatch.setenv("TRACKER_NOW", "2024-09-03T10:00:00+08:00")
    office = web_as("inspector")
    listing = office.get("/office/bulletins?plan=xunyi-2024")
    row = listing.html.find(id="board-dispatch-2024-08")
    assert "2024年8月季调度" in row.text and "未撰写" in row.text
    # Reviews come first among the boards that close with their month: 季调度 before 8月月通报.
    ids = [tr.get("id") for tr in listing.html.find_all("tr") if tr.get("id")]
    assert ids.index("board-dispatch-2024-08") < ids.index("board-2024-08")
    assert "board-midyear-2024-06" in ids and "board-dispatch-2024-11" not in ids

    page = office.get("/office/bulletins/xunyi-2024/dispatch-2024-08")
    assert "2024年8月季调度" in page.text
    saved = submit(
        page,
        "/office/bulletins/xunyi-2024/dispatch-2024-08",
        {"commentary": "6至8月**集中实施**阶段推进有力，城关街道危房改造仍需提速。"},
        button="save",
    ).follow()
    assert "2024年8月季调度点评已保存，将随该期通报发布" in saved.text
    assert Bulletin.get(Bulletin.board == "dispatch-2024-08").commentary.startswith("6至8月")
    event = AuditEvent.select().where(AuditEvent.action == "bulletin.save").get()
    assert event.actor == "inspector"

    done = submit(saved, "/office/bulletins/xunyi-2024/dispatch-2024-08/publish").follow()
    assert "2024年8月季调度已发布到公开网站" in done.text
    index = Path(app.config["SITES_DIR"]) / "xunyi-2024" / "dispatch-2024-08" / "index.html"
    assert "<strong>集中实施</strong>" in index.read_text(encoding="utf-8")

    # A window the plan does not hold is no page at all.
    office.get("/office/bulletins/xunyi-2024/dispatch-2024-07", status=404)
    office.get("/office/bulletins/xunyi-2024/weekly-2024-08", status=404)
