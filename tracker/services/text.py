"""Markdown written by people (report narratives, the office's commentary) → safe HTML, in one place.

Rendered with the `markdown` package and then cleaned with `nh3` against a short allow-list: script,
styles, event handlers, images and `javascript:` links never survive, whatever the text contains.
Every page and file that shows user Markdown goes through `render_markdown`.
"""

from __future__ import annotations

import markdown
import nh3
from markdown.extensions.toc import TocExtension

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "ul",
        "ol",
        "li",
        "strong",
        "em",
        "code",
        "pre",
        "blockquote",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "a",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
_URL_PREFIXES = ("http://", "https://", "mailto:")
MAX_CHARS = 100_000  # a report's text is a few pages; anything longer is cut before rendering


def render_markdown(text: str | None) -> str:
    """Sanitized HTML for `text`. Headings start at h3 (the page owns h1 and h2); links keep only
    http, https and mailto targets and open with rel="noopener noreferrer"."""
    if not text:
        return ""
    html = markdown.markdown(
        text[:MAX_CHARS],
        extensions=["tables", "sane_lists", TocExtension(baselevel=3, anchorlink=False)],
        output_format="html",
    )
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
        attribute_filter=_absolute_links_only,
    )


def _absolute_links_only(tag: str, attribute: str, value: str) -> str | None:
    # nh3 lets relative URLs through (including "//host/"); a clerk's link is always a full address.
    if tag == "a" and attribute == "href" and not value.strip().lower().startswith(_URL_PREFIXES):
        return None
    return value
