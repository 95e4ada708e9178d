"""Screenshots of the working-day pages (issue 11) from a running demo: `scripts/screenshots` starts
one and calls this with its base URL and the output folder.

Each page is shot at phone (390×844) and desktop (1280×800) width, the first screen and a half of
it (enough to show the change, small enough to commit), at 1x, and stored as a 256-colour PNG when
Pillow is installed (about a quarter of the size of a full-colour one).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
PASSWORDS = {
    "ak-xczx": "ak-xczx-demo-2024",
    "duchashi": "duchashi-demo-2024",
    "lingdao": "lingdao-demo-2024",
    "admin": "admin-demo-2024",
}

# name: (who signs in, path or a callable finding it, CSS selector to scroll to first)
PAGES = {
    "unit-home-reminders": ("ak-xczx", "/unit/", "#h-reminders"),
    "report-saved": ("ak-xczx", "first-report", "article.revision"),
    "office-missing-bulk-chase": ("duchashi", "/office/missing", "form.bulk-chase"),
    "office-findings-search": ("duchashi", "/office/findings", None),
    "office-matrix-plan-names": ("duchashi", "/office/matrix", None),
    "leader-charts": ("lingdao", "/leader/plans/ankang-2023", "#h-units"),
    "admin-users-search": ("admin", "/admin/users?q=安康", None),
    "admin-audit-chinese": ("admin", "/admin/audit", "table.events"),
    "public-monthly-board": (None, "/site/ankang-2023/2024-10/index.html", "table.measures"),
}


def sign_in(page, base: str, who: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", who)
    page.fill("#password", PASSWORDS[who])
    with page.expect_navigation():
        page.click("form.form button[type=submit]")


def save(png: bytes, path: Path) -> None:
    try:
        from PIL import Image
    except ImportError:
        path.write_bytes(png)
        return
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=256, dither=Image.Dither.NONE)
    image.save(path, optimize=True)


def main(base: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for viewport, size in VIEWPORTS.items():
            signed: dict = {}
            for name, (who, path, anchor) in PAGES.items():
                if who not in signed:
                    context = browser.new_context(
                        viewport=size,
                        locale="zh-CN",
                        timezone_id="Asia/Shanghai",
                        is_mobile=viewport == "phone",
                    )
                    signed[who] = context.new_page()
                    if who:
                        sign_in(signed[who], base, who)
                page = signed[who]
                if path == "first-report":
                    page.goto(f"{base}/unit/")
                    link = page.eval_on_selector("table.assignments a", "a => a.getAttribute('href')")
                    path = link.replace("2024-11", "2024-10")  # October's report is on file
                page.goto(f"{base}{path}")
                clip_top = 0
                if anchor and page.query_selector(anchor):
                    clip_top = max(
                        0, page.eval_on_selector(anchor, "e => e.getBoundingClientRect().top + scrollY") - 80
                    )
                height = min(
                    int(size["height"] * 1.5),
                    page.evaluate("document.documentElement.scrollHeight") - clip_top,
                )
                png = page.screenshot(
                    full_page=True, clip={"x": 0, "y": clip_top, "width": size["width"], "height": height}
                )
                save(png, out / f"{name}-{viewport}.png")
                print(f"{name}-{viewport}.png")
            for page in signed.values():
                page.context.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
