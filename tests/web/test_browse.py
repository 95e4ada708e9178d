"""The read-only plan pages, their headers and the rule that every route declares who may use it."""

from __future__ import annotations

import re

import pytest

from tracker.web.access import allowed_roles


def test_the_home_page_lists_every_plan_with_its_counts(client, loaded):
    page = client.get("/").get_data(as_text=True)
    assert "旬邑县巩固拓展脱贫攻坚成果同乡村振兴有效衔接“十大提升行动”实施方案" in page
    assert "46 项措施" in page and "38 项措施" in page and "24 项措施" in page


def test_a_plan_page_shows_sections_measures_and_printed_units(client, loaded):
    page = client.get("/plans/zixing-2021/").get_data(as_text=True)
    assert "持续巩固拓展脱贫攻坚成果" in page
    assert "严格落实“四个不摘”要求" in page
    assert "各乡镇(街道)" in page


@pytest.mark.parametrize(
    "code", ["ankang-2023", "xunyi-2024", "zixing-2021", "chongqing-2023-counties", "chongqing-2020-pilots"]
)
def test_a_shipped_plan_says_where_it_comes_from_in_chinese(client, loaded, code):
    page = client.get(f"/plans/{code}/").get_data(as_text=True)
    note = page[page.index("来源说明") :].split("</p>")[0]
    assert "种子文件" in note and "重建" in note
    # Only identifiers and field names (reconstructed: true, cadence) may be in Latin letters.
    assert not re.search(r"[A-Za-z]{3,} [A-Za-z]{3,} [A-Za-z]{3,}", note), note


def test_a_measure_page_shows_each_unit_a_group_expands_to(client, loaded):
    page = client.get("/plans/ankang-2023/measures/1.1.1").get_data(as_text=True)
    assert "安康市汉滨区" in page and "安康市白河县" in page
    assert page.count("各县(市、区)") >= 10


def test_an_unknown_plan_or_measure_is_404(client, loaded):
    assert client.get("/plans/nope/").status_code == 404
    assert client.get("/plans/ankang-2023/measures/9.9.9").status_code == 404


def test_pages_carry_a_strict_content_security_policy(client, loaded):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_have_no_inline_script_or_external_resources(client, loaded):
    for path in ("/", "/plans/xunyi-2024/", "/plans/xunyi-2024/measures/1.1"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page and "http://" not in page and "https://" not in page


def test_every_route_declares_who_may_use_it(app):
    with app.test_request_context():
        undeclared = [
            r.endpoint
            for r in app.url_map.iter_rules()
            if r.endpoint != "static" and allowed_roles(r.endpoint) is None
        ]
    assert undeclared == []


def test_a_route_without_a_declaration_is_refused(app, client):
    app.add_url_rule("/undeclared", "undeclared", lambda: "secret")
    assert client.get("/undeclared").status_code == 404


@pytest.mark.parametrize("path", ["/", "/plans/ankang-2023/", "/healthz"])
def test_public_pages_answer_without_signing_in(client, loaded, path):
    assert client.get(path).status_code == 200
