"""Text written by people, in one place: `clean_text` on the way in, `render_markdown` on the way out.

`clean_text` runs at the boundary (every form field and query value the app receives, report input,
plan files): NUL and other control characters that no clerk means to type, and that break XML-based
files (xlsx, docx, feeds) or PostgreSQL, are removed, and the line breaks Word and other systems use
become a plain newline. Markdown is rendered with the `markdown` package and then cleaned with `nh3`
against a short allow-list: script, styles, event handlers, images and `javascript:` links never
survive, whatever the text contains. Every page and file that shows user Markdown goes through
`render_markdown`.
"""

from __future__ import annotations

import re

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


# Line breaks as Word (vertical tab = manual line break), old Macs, form feeds and Unicode write them.
_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
# C0 controls but tab and newline, DEL, C1 controls, lone surrogates and the XML non-characters.
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean_text(text: str | None) -> str | None:
    """`text` with line breaks made `\\n` and every other control character removed (tab kept)."""
    if not text:
        return text
    return _CONTROLS.sub("", _BREAKS.sub("\n", text))


def render_markdown(text: str | None) -> str:
    """Sanitized HTML for `text`. The top heading is h3 (the page owns h1 and h2) and levels never
    skip; links keep only http, https and mailto targets and open with rel="noopener noreferrer"."""
    if not text:
        return ""
    html = markdown.markdown(
        text[:MAX_CHARS],
        extensions=["tables", "sane_lists", TocExtension(anchorlink=False)],
        output_format="html",
    )
    return nh3.clean(
        _headings_from_h3(html),
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
        attribute_filter=_absolute_links_only,
    )


_HEADING = re.compile(r"<(/?)h([1-6])\b")


def _headings_from_h3(html: str) -> str:
    # The author's top heading becomes h3 and the rest keep their steps, so "### 总体情况" under the
    # page's h2 is an h3, not an h5: no level is skipped.
    levels = [int(m.group(2)) for m in _HEADING.finditer(html)]
    if not levels:
        return html
    shift = 3 - min(levels)
    return _HEADING.sub(lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + shift, 6)}", html)


def _absolute_links_only(tag: str, attribute: str, value: str) -> str | None:
    # nh3 lets relative URLs through (including "//host/"); a clerk's link is always a full address.
    if tag == "a" and attribute == "href" and not value.strip().lower().startswith(_URL_PREFIXES):
        return None
    return value
