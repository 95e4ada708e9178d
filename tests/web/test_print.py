"""Printing a ledger page from the browser (打印): no navigation or buttons, the table the full page
width, its header row repeated on each printed page, and the phone card layout switched off."""

from __future__ import annotations

import pytest

from tests.web.test_browser import browse, browser, sign_in_as  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_the_findings_ledger_prints_as_a_full_width_table_with_its_header(browse, world, viewport):  # noqa: F811
    tab = browse(viewport)
    sign_in_as(tab.page, "inspector")
    page = tab.page
    assert page.goto("/office/findings").ok
    page.emulate_media(media="print")
    shown = page.evaluate(
        """() => {
        const style = (el) => el ? getComputedStyle(el) : null;
        const table = document.querySelector('main table');
        return {
          nav: style(document.querySelector('header.top')).display,
          buttons: [...document.querySelectorAll('main button')].filter(b => b.offsetParent !== null).length,
          thead: style(table.querySelector('thead')).display,
          row: style(table.querySelector('tbody tr')).display,
          tableWidth: table.getBoundingClientRect().width,
          mainWidth: document.querySelector('main').getBoundingClientRect().width,
        };
    }"""
    )
    assert shown["nav"] == "none" and shown["buttons"] == 0
    assert shown["thead"] == "table-header-group"  # repeated at the top of each printed page
    assert shown["row"] == "table-row"
    assert shown["tableWidth"] >= shown["mainWidth"] - 1
