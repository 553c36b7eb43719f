"""The letter setup page in a real browser (headless Chromium against `campaign serve`):
with a small directory imported, staff search it as they type, add two officials, edit
the letter and read it as one of them will receive it. The page passes axe and fits a
390 px screen, and its script obeys the Content-Security-Policy."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import httpx

from tests.dashboard.test_browser import (
    _campaign,
    server,  # noqa: F401  (the fixture)
)
from tests.fixtures.accessibility import assert_accessible, assert_fits_phone
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, needs_chromium

PASSWORD = "a password for the letter setup"
SLUG = "save-the-vale"
RIVERSIDE = "ocd-division/country:gb/constituency:riverside"
HILLSIDE = "ocd-division/country:gb/constituency:hillside"
COLUMNS = ("id", "name", "title", "role", "organisation", "email", "country", "division_id")
DIRECTORY = [
    ("test:alex-morgan", "Alex Morgan", "Member of Parliament for Riverside", "legislator",
     "House of Commons", "alex.morgan@parliament.example", "GB", RIVERSIDE),
    ("test:sam-patel", "Sam Patel", "Member of Parliament for Hillside", "legislator",
     "House of Commons", "sam.patel@parliament.example", "GB", HILLSIDE),
    ("test:jo-rivers", "Jo Rivers", "Foreign Secretary", "foreign_minister",
     "Foreign Office", "foreign.secretary@gov.example", "GB", ""),
]  # fmt: skip
BODY = """Dear {{official_name}},

I live in {{activist_locality}} and I ask you, as {{official_title}}, to stop the Vale dam.

Yours sincerely,
{{activist_name}}"""

pytestmark = needs_chromium


def test_staff_pick_officials_and_preview_the_letter(
    server: tuple[str, dict[str, str]],  # noqa: F811  (the fixture imported above)
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, env = server
    user = ("--email", "kim@example.org", "--name", "Kim", "--role", "editor")
    _campaign(env, "staff", "create-user", *user, password=PASSWORD)
    directory = tmp_path / "officials.csv"
    with directory.open("w", encoding="utf-8", newline="") as file:
        csv.writer(file).writerows([COLUMNS, *DIRECTORY])
    imported = _campaign(env, "targets", "import", str(directory))
    assert "3 created" in imported, imported
    token = _campaign(env, "staff", "create-token", "--name", "setup", "--role", "editor")
    campaign = {
        "slug": SLUG,
        "kind": "letter",
        "title": "Stop the Vale dam",
        "summary": "The Vale dam would flood the valley's farms.",
        "body_markdown": "Write to the officials who can stop it.",
        "target": "Ministers",
    }
    with httpx.Client(base_url=base, timeout=10) as http:
        created = http.post(
            "/api/v1/staff/campaigns", json=campaign, headers={"Authorization": f"Bearer {token}"}
        )
        assert created.status_code == 201, created.text
    setup_page = f"{base}/staff/campaigns/{SLUG}/letter"

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1400})
            console_errors: list[str] = []
            page.on(
                "console",
                lambda message: (
                    console_errors.append(message.text) if message.type == "error" else None
                ),
            )
            _log_in(page, setup_page)
            expect(page.locator("#readiness-answer")).to_contain_text("Not yet.")

            # Matches appear as staff type, without sending the search.
            _add_by_search(page, expect, "morg", "Alex Morgan")
            expect(page).to_have_url(re.compile(r"saved=officials.*#fixed-list$"))
            expect(page.locator(".notice")).to_have_text("Saved: the list of officials.")
            _add_by_search(page, expect, "foreign sec", "Jo Rivers")
            listed = page.locator("#listed-officials tbody tr")
            expect(listed).to_have_count(2)
            expect(listed.nth(0)).to_contain_text("Alex Morgan")
            expect(listed.nth(1)).to_contain_text("Jo Rivers")
            expect(page.locator("#reach-count")).to_have_text("2")

            page.fill("#subject_template", "{{official_name}}: please stop the Vale dam")
            page.fill("#body_template", BODY)
            page.get_by_role("button", name="Save the letter").click()
            expect(page).to_have_url(f"{setup_page}?saved=template#template")
            expect(page.locator("#readiness-answer")).to_contain_text("Yes.")

            page.select_option("#preview", label="Jo Rivers, Foreign Secretary")
            page.get_by_role("button", name="Show").click()
            expect(page.locator("#preview-to")).to_have_text("Jo Rivers, Foreign Secretary")
            expect(page.locator("#preview-subject")).to_have_text(
                "Jo Rivers: please stop the Vale dam"
            )
            body = page.locator("#preview-body")
            expect(body).to_contain_text("Dear Jo Rivers,")
            expect(body).to_contain_text("I live in Sampleton and I ask you, as Foreign Secretary,")
            expect(body).to_contain_text("Jordan Sample")
            assert "{{" not in body.inner_text()

            page.fill("#q", "commons")
            expect(page.locator("#found-officials tbody tr")).to_have_count(2)
            page.screenshot(path=str(SCREENSHOTS / "dashboard-letter-setup.png"), full_page=True)
            assert_accessible(page)
            assert_fits_phone(page)
            assert not [m for m in console_errors if "Content Security Policy" in m], console_errors
        finally:
            browser.close()


def _add_by_search(page: Any, expect: Any, words: str, name: str) -> None:
    before = page.url
    page.fill("#q", "")
    page.locator("#q").press_sequentially(words, delay=30)
    row = page.locator("#found-officials tbody tr", has_text=name)
    expect(row).to_have_count(1)
    # The page was not reloaded: the results came from the search as typed.
    assert page.url == before
    row.get_by_role("button", name=f"Add {name}").click()
    page.wait_for_url(re.compile(r"saved=officials"))


def _log_in(page: Any, target: str) -> None:
    page.goto(target)
    page.fill("#email", "kim@example.org")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(target)
