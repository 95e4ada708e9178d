"""When the database fails, a person sees a Chinese page saying nothing was saved, keeps the text they
typed (in a form they can send again), and gets 503 with Retry-After; /healthz tells a load balancer."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from tests.web.conftest import submit
from tracker.scheduler import take_lease
from tracker.store.models import Assignment, Measure, Plan, ReportRevision, Unit
from tracker.web import create_app

NARRATIVE = "本月召开推进会 2 次，完成 3 个村的饮水工程验收。"


@pytest.fixture(autouse=True)
def may_2024(monkeypatch, database_url):
    monkeypatch.setenv("TRACKER_NOW", "2024-05-20T10:00:00+08:00")


def mine() -> Assignment:
    return (
        Assignment.select()
        .join(Measure)
        .join(Plan)
        .switch(Assignment)
        .join(Unit, on=(Assignment.unit == Unit.id))
        .where(Plan.code == "ankang-2023", Measure.code == "2.2.2", Unit.name == "安康市乡村振兴局")
        .get()
    )


def test_a_save_into_a_locked_sqlite_keeps_the_typed_report_and_can_be_sent_again(web_as, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("a locked database file is SQLite's failure; PostgreSQL's is the server being down")
    web = web_as("clerk")
    url = f"/unit/assignments/{mine().id}/reports/2024-05"
    page = web.get(url)
    blocker = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=1)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        answer = submit(page, url, {"percent": "60", "narrative": NARRATIVE}, status=503)
    finally:
        blocker.rollback()
        blocker.close()
    assert answer.headers["Retry-After"] == "30"
    assert "数据库正忙" in answer.text and "本次操作没有保存" in answer.text
    assert NARRATIVE in answer.text  # the typed text, in a form that can be sent again
    assert ReportRevision.select().count() == 0
    again = submit(answer, url, {})
    assert again.status_int == 302
    revision = ReportRevision.get()
    assert (revision.percent, revision.narrative) == (60, NARRATIVE)


@pytest.fixture
def dead_database_app(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/gone?connect_timeout=2",
            "SECRET_KEY": "test",
            "UPLOAD_DIR": str(tmp_path / "uploads"),
        }
    )


def test_a_database_that_does_not_answer_gives_a_chinese_503_keeping_what_was_typed(dead_database_app):
    client = dead_database_app.test_client()
    page = client.get("/")
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    assert "暂时无法连接数据库" in page.get_data(as_text=True)
    # A save that was on its way (a hand-built POST: no page could be served without the database).
    answer = client.post(
        "/unit/assignments/1/reports/2024-05", data={"narrative": NARRATIVE, "percent": "60"}
    )
    text = answer.get_data(as_text=True)
    assert answer.status_code == 503 and NARRATIVE in text and "工作进展" in text and "没有保存" in text
    assert "Traceback" not in text
    health = client.get("/healthz")
    assert health.status_code == 503 and health.headers["Retry-After"] == "30"
    assert health.get_json()["status"] == "unavailable"


def test_healthz_reports_the_database_the_schema_and_the_scheduler_lease(client, database):
    answer = client.get("/healthz")
    report = answer.get_json()
    assert answer.status_code == 200 and report["status"] == "ok"
    assert report["schema"]["current"] and report["schema"]["version"] == report["schema"]["latest"]
    assert report["scheduler"] == {"holder": None, "lease_age_seconds": None}
    take_lease("web-1:42:abcd", timedelta(minutes=3))
    lease = client.get("/healthz").get_json()["scheduler"]
    assert lease["holder"] == "web-1:42:abcd" and 0 <= lease["lease_age_seconds"] < 60
    assert lease["expired"] is False
