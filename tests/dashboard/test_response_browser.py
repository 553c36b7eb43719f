"""A petition's Response tab in a real browser (headless Chromium against `campaign
serve`): an editor sets thresholds, records what the target said as a draft with its
preview, publishes it after the page that says what will happen, and finds it on the
petition's public page. Every page passes axe and fits a phone."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.dashboard.browser_steps import (
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

PASSWORD = "a password for the response"
SLUG = "reopen-the-ferry"
PAGE = f"/staff/campaigns/{SLUG}/response"

pytestmark = needs_chromium


def test_an_editor_records_and_publishes_the_targets_response(
    server: tuple[str, dict[str, str]],  # noqa: F811  (the fixture imported above)
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, env = server
    outbox = Path(env["CAMPAIGN_EMAIL_FILE_DIR"])
    staff = staff_and_token(env, "ola@example.org", PASSWORD)
    petition = {
        "slug": SLUG,
        "title": "Reopen the ferry",
        "summary": "The harbour board must reopen the foot ferry across the river.",
        "body_markdown": "Without it the walk to the hospital takes an hour.",
        "target": "The harbour board",
        "signature_goal": 100,
    }
    with httpx.Client(base_url=base, timeout=10) as http:
        publish(http, staff, petition)
        sign_and_confirm(
            http,
            outbox,
            SLUG,
            [signer("Ada", "ada@example.org"), signer("Bea", "bea@example.org", news=False)],
        )
    emails_before = len(read_emails(outbox))

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1200})
            log_in(page, base, PAGE, "ola@example.org", PASSWORD)
            expect(page.locator("#confirmed-now")).to_have_text("2")
            expect(page.locator("#response-state")).to_have_text("No response recorded yet.")
            checked(page, "response-empty")

            page.fill("#thresholds", "ten")
            page.get_by_role("button", name="Save the thresholds").click()
            expect(page.locator("#thresholds-error")).to_contain_text("Enter whole numbers")
            checked(page, "response-thresholds-refused")
            page.fill("#thresholds", "1,000 50")
            page.get_by_role("button", name="Save the thresholds").click()
            expect(page.locator(".notice")).to_have_text("The thresholds are saved.")
            thresholds = page.locator("#thresholds li")
            expect(thresholds).to_have_count(2)
            expect(thresholds.nth(0)).to_have_text("50: not reached yet")
            expect(thresholds.nth(1)).to_have_text("1,000: not reached yet")

            page.get_by_role("button", name="Save the draft").click()
            expect(page.locator("#body_markdown-error")).to_contain_text(
                "Write what the target said."
            )
            checked(page, "response-refused")
            page.fill("#body_markdown", "The ferry will run again from **1 March**.")
            expect(page.locator("#text-preview strong")).to_have_text("1 March")
            page.fill("#responded_on", "2026-11-30")
            page.fill("#link", "https://harbour.example/ferry")
            page.get_by_role("button", name="Save the draft").click()
            expect(page.locator(".notice")).to_have_text("The draft is saved.")
            expect(page.locator("#response-state")).to_contain_text("A draft")
            checked(page, "response-draft")

            page.get_by_role("link", name="Publish…").click()
            expect(page.locator("h1")).to_have_text("Publish the response to “Reopen the ferry”?")
            # Both signers are told, whether or not they asked for other news.
            expect(page.locator("#outlook strong")).to_have_text("2")
            checked(page, "response-publish")
            page.get_by_role("button", name="Publish the response").click()
            expect(page.locator(".notice")).to_contain_text("Published:")
            expect(page.locator("#response-state")).to_contain_text("Published")
            expect(page.get_by_role("button", name="Save the draft")).to_have_count(0)
            checked(page, "response-published")

            page.get_by_role("link", name="petition's page").click()
            expect(page).to_have_url(f"{base}/c/{SLUG}")
            shown = page.locator("#response")
            expect(shown.locator("h2")).to_have_text("The harbour board responded")
            expect(shown).to_contain_text("30 November 2026")
            expect(shown.locator("strong")).to_have_text("1 March")
            expect(shown.get_by_role("link", name="Read the response in full")).to_have_attribute(
                "href", "https://harbour.example/ferry"
            )
            checked(page, "response-public")
        finally:
            browser.close()

    told = _wait_for_emails(outbox, emails_before + 2)[emails_before:]
    assert sorted(e["To"].addresses[0].addr_spec for e in told) == [
        "ada@example.org",
        "bea@example.org",
    ]
    assert "1 March" in text_body(told[0])
