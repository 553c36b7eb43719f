"""A mailing in a real browser (headless Chromium against `campaign serve`): an editor
writes an update and watches its preview, narrows who it goes to and sees the count
change, sends a test copy to herself, schedules it and cancels it. Every page passes axe
and fits a phone."""

from __future__ import annotations

from pathlib import Path

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

PASSWORD = "a password for the mailings"
SLUG = "light-the-towpath"
PAGES = f"/staff/campaigns/{SLUG}/mailings"

pytestmark = needs_chromium


def test_an_editor_writes_tests_schedules_and_cancels_a_mailing(
    server: tuple[str, dict[str, str]],  # noqa: F811  (the fixture imported above)
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, env = server
    outbox = Path(env["CAMPAIGN_EMAIL_FILE_DIR"])
    staff = staff_and_token(env, "noor@example.org", PASSWORD)
    petition = {
        "slug": SLUG,
        "title": "Light the towpath",
        "summary": "The canal trust must light the towpath between the two bridges.",
        "body_markdown": "People walk home along it in the dark all winter.",
        "target": "The canal trust",
        "signature_goal": 100,
    }
    with httpx.Client(base_url=base, timeout=10) as http:
        publish(http, staff, petition)
        sign_and_confirm(
            http,
            outbox,
            SLUG,
            [
                signer("Ada", "ada@example.org", country="GB"),
                signer("Bea", "bea@example.org", country="GB"),
                signer("Cai", "cai@example.org", country="IE"),
                signer("Dov", "dov@example.org", country="GB", news=False),
            ],
        )
    emails_before = len(read_emails(outbox))

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1200})
            log_in(page, base, PAGES, "noor@example.org", PASSWORD)
            expect(page.locator("main")).to_contain_text("No mailings yet.")
            checked(page, "mailings-none")

            page.get_by_role("link", name="Write a mailing").click()
            expect(page.locator("h1")).to_have_text("New mailing")
            checked(page, "mailings-new")
            page.get_by_role("button", name="Save").click()
            expect(page.locator("#subject-error")).to_contain_text("Enter the subject line.")
            checked(page, "mailings-refused")

            page.fill("#subject", "The trust has listened")
            page.fill("#body_markdown", "The trust will **light the towpath** this winter.")
            page.get_by_label("People whose signature is confirmed").check()
            page.get_by_role("button", name="Save").click()
            expect(page.locator(".notice")).to_have_text("Saved.")
            # Three asked for news; the fourth said no.
            expect(page.locator("#audience-size strong")).to_have_text("3")
            expect(page.locator("#text-preview strong")).to_have_text("light the towpath")
            checked(page, "mailings-draft")

            # The preview follows the text as it is typed, before it is saved.
            page.fill("#body_markdown", "The trust will *light it* by December.")
            expect(page.locator("#text-preview em")).to_have_text("light it")

            page.fill("#country", "GB")
            page.get_by_role("button", name="Save").click()
            expect(page.locator("#audience-size")).to_contain_text("reach 2 people")
            page.fill("#country", "")
            page.get_by_role("button", name="Save").click()
            expect(page.locator("#audience-size")).to_contain_text("reach 3 people")

            page.get_by_role("button", name="Send a test copy to me").click()
            expect(page.locator(".notice")).to_have_text(
                "A test copy is on its way to noor@example.org."
            )
            checked(page, "mailings-tested")
            test_copy = _wait_for_emails(outbox, emails_before + 1)[emails_before]
            assert test_copy["To"].addresses[0].addr_spec == "noor@example.org"
            assert "light it" in text_body(test_copy)

            page.get_by_role("link", name="Send or schedule…").click()
            expect(page.locator("h1")).to_have_text("Send “The trust has listened”?")
            expect(page.locator("#outlook strong")).to_have_text("3")
            checked(page, "mailings-send")
            page.fill("#send_at", "2040-01-15T09:30")
            page.get_by_role("button", name="Send the mailing").click()
            expect(page.locator("#mailing-state")).to_have_text(
                "Scheduled: it goes by itself at 2040-01-15 09:30 UTC."
            )
            checked(page, "mailings-scheduled")

            page.get_by_role("button", name="Cancel the mailing").click()
            expect(page.locator("#mailing-state")).to_contain_text("Cancelled")
            expect(page.get_by_role("link", name="Send or schedule…")).to_have_count(0)
            checked(page, "mailings-cancelled")

            page.get_by_role("link", name="All mailings").click()
            row = page.locator("tr", has_text="The trust has listened")
            expect(row).to_contain_text("cancelled")
            assert_words_whole(page, "main th")
            checked(page, "mailings-list")
        finally:
            browser.close()
    # Nothing but the test copy went out.
    assert len(read_emails(outbox)) == emails_before + 1
