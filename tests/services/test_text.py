"""User Markdown renders to a short allow-list of HTML: script, handlers and javascript: links are inert."""

from __future__ import annotations

import pytest

from tracker.services.text import render_markdown


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<p onmouseover='alert(1)'>悬停</p>",
        "[点此](javascript:alert(1))",
        '<a href="JaVaScRiPt:alert(1)">点此</a>',
        "[点此](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "<svg onload=alert(1)></svg>",
        "<iframe src='https://evil.example/'></iframe>",
        "<style>body{display:none}</style>",
        '<a href="//evil.example/">协议相对</a>',
    ],
)
def test_script_handlers_and_dangerous_links_render_inert(text):
    html = render_markdown(text).lower()
    for bad in (
        "<script",
        "onerror",
        "onmouseover",
        "onload",
        "javascript:",
        "data:",
        "<iframe",
        "<style",
        "<svg",
        "evil",
    ):
        assert bad not in html


def test_ordinary_markdown_keeps_its_shape():
    html = render_markdown(
        "# 本月进展\n\n- **完成**排查 *12* 个村\n- 见 [通知](https://www.ankang.gov.cn/)\n\n| 村 | 户 |\n|---|---|\n| 甲 | 3 |"
    )
    assert "<h3" in html and "<li><strong>完成</strong>排查 <em>12</em> 个村</li>" in html
    assert '<a href="https://www.ankang.gov.cn/" rel="noopener noreferrer">通知</a>' in html
    assert "<table>" in html and "<td>甲</td>" in html


def test_plain_text_is_escaped_not_interpreted():
    assert "&lt;b&gt;" in render_markdown("`<b>`") and render_markdown("") == ""
