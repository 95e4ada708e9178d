"""The app serves the published site read-only at /site/, to everyone, and nothing outside it."""

from __future__ import annotations

from tracker.services.publishing import publish
from tracker.web import create_app


def make_client(database_url, sites):
    app = create_app(
        {"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "t", "SITES_DIR": str(sites)}
    )
    return app.test_client()


def get(client, url):
    """The answer with its body read and its file closed (send_file streams from an open file)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def test_the_app_serves_the_published_board_to_anyone(sample, database_url, tmp_path):
    publish("sample-2024", ["2024-05"], tmp_path / "sites")
    (tmp_path / "secret.txt").write_text("not for the site")
    client = make_client(database_url, tmp_path / "sites")
    assert "示例县" in get(client, "/site/").get_data(as_text=True)
    board = get(client, "/site/sample-2024/2024-05/")
    assert board.status_code == 200 and "2024年5月月调度" in board.get_data(as_text=True)
    assert get(client, "/site/sample-2024/2024-05/board.json").json["period"] == "2024-05"
    assert get(client, "/site/../secret.txt").status_code == 404
    assert get(client, "/site/%2e%2e/secret.txt").status_code == 404
    assert 'href="/site/"' in get(client, "/").get_data(as_text=True)


def test_before_anything_is_published_the_site_says_so(database, database_url, tmp_path):
    client = make_client(database_url, tmp_path / "empty")
    page = get(client, "/site/")
    assert page.status_code == 200 and "尚未发布" in page.get_data(as_text=True)
