"""Data rights in a real browser (headless Chromium against `campaign serve`): an admin
exports one signer's data and erases it on the Data rights page, and another signer asks
for their own link on /my-data, downloads their data and erases it through the link.
Every page passes axe and fits a phone."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx

from tests.dashboard.browser_steps import (
    assert_words_whole,
    checked,
    log_in,
    publish,
    sign_and_confirm,
    signer,
    staff_and_token,
)
from tests.dashboard.test_browser import server  # noqa: F401  (the fixture)
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium
from tests.fixtures.emails import read_emails, text_body
from tests.test_walkthrough import _wait_for_emails

PASSWORD = "a password for the data rights"
SLUG = "keep-the-pool-open"
LINK = re.compile(r"https?://[^/\s]+(/my-data/[A-Za-z0-9_\-.]+)")

pytestmark = needs_chromium


def test_an_admin_and_a_signer_export_and_erase_data(
    server: tuple[str, dict[str, str]],  # noqa: F811  (the fixture imported above)
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, env = server
    outbox = Path(env["CAMPAIGN_EMAIL_FILE_DIR"])
    staff = staff_and_token(env, "max@example.org", PASSWORD, role="admin")
    petition = {
        "slug": SLUG,
        "title": "Keep the pool open",
        "summary": "The council must keep the town's only pool open.",
        "body_markdown": "Every school in town learns to swim there.",
        "target": "The town council",
        "signature_goal": 100,
    }
    with httpx.Client(base_url=base, timeout=10) as http:
        publish(http, staff, petition)
        sign_and_confirm(
            http,
            outbox,
            SLUG,
            [
                signer("Ada", "ada@example.org", postcode="SW1A 1AA"),
                signer("Bea", "bea@example.org", postcode="N1 9GU"),
            ],
        )

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1200})
            log_in(page, base, "/staff/privacy", "max@example.org", PASSWORD)
            expect(page.locator("h1")).to_have_text("Data rights")
            checked(page, "privacy")

            page.get_by_role("button", name="Download the data").click()
            expect(page.locator("#email-error")).to_be_visible()
            checked(page, "privacy-export-refused")
            page.fill("#email", "ADA@example.org")
            with page.expect_download() as download:
                page.get_by_role("button", name="Download the data").click()
            ada = _json_of(download.value)
            assert "ada@example.org" in json.dumps(ada)
            assert "bea@example.org" not in json.dumps(ada)

            page.goto(f"{base}/staff/privacy")
            page.fill("#erase_email", "ada@example.org")
            page.fill("#confirm_email", "ada@example.com")
            page.get_by_role("button", name="Erase the data").click()
            expect(page.locator("#confirm_email-error")).to_be_visible()
            checked(page, "privacy-erase-refused")
            page.fill("#erase_email", "ada@example.org")
            page.fill("#confirm_email", "ada@example.org")
            page.get_by_role("button", name="Erase the data").click()
            expect(page.locator(".notice")).to_contain_text("The data of that address is erased.")
            log = page.get_by_role("region", name="Exports and erasures")
            expect(log.locator("tbody tr")).to_have_count(2)
            expect(log).to_contain_text("erasure")
            expect(log).not_to_contain_text("ada@example.org")
            assert_words_whole(page, "main th")
            checked(page, "privacy-erased")

            person = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
            person.goto(f"{base}/my-data")
            expect(person.locator("h1")).to_have_text("See or erase your data")
            checked(person, "my-data")
            person.get_by_role("button", name="Email me a link").click()
            expect(person.locator("#email-error")).to_be_visible()
            checked(person, "my-data-refused")
            before = len(read_emails(outbox))
            person.fill("#email", "bea@example.org")
            person.get_by_role("button", name="Email me a link").click()
            expect(person.locator("h1")).to_have_text("Check your inbox")
            checked(person, "my-data-sent")

            [email] = _wait_for_emails(outbox, before + 1)[before:]
            assert email["To"].addresses[0].addr_spec == "bea@example.org"
            link = LINK.search(text_body(email))
            assert link, text_body(email)
            person.goto(f"{base}{link.group(1)}")
            expect(person.locator("h1")).to_have_text("Your data")
            checked(person, "my-data-link")
            with person.expect_download() as download:
                person.get_by_role("button", name="Download my data").click()
            bea = _json_of(download.value)
            assert "bea@example.org" in json.dumps(bea) and "N1 9GU" in json.dumps(bea)

            person.get_by_role("link", name="Erase my data").click()
            expect(person.locator("h1")).to_have_text("Erase your data")
            checked(person, "my-data-erase")
            person.get_by_role("button", name="Erase my data").click()
            expect(person.locator("#confirm-error")).to_contain_text("Tick the box")
            checked(person, "my-data-erase-refused")
            person.get_by_label("Yes, erase my data").check()
            person.get_by_role("button", name="Erase my data").click()
            expect(person.locator("h1")).to_have_text("Your data is erased")
            checked(person, "my-data-erased")
            person.goto(f"{base}{link.group(1)}")
            expect(person.locator("h1")).not_to_have_text("Your data")
        finally:
            browser.close()

    with httpx.Client(base_url=base, timeout=10) as http:
        rows = http.get(f"/api/v1/staff/campaigns/{SLUG}/signatures.csv", headers=staff).text
    assert "ada@example.org" not in rows and "bea@example.org" not in rows
    assert _rows(rows) == 2  # both still count


def _rows(csv_text: str) -> int:
    return len([line for line in csv_text.strip().splitlines()[1:] if line])


def _json_of(download: Any) -> Any:
    return json.loads(Path(download.path()).read_text(encoding="utf-8"))
