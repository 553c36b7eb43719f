"""The campaign editor in a real browser (headless Chromium against `campaign serve`): an
editor writes a petition and watches its text's preview follow their typing, looks at
the public page in the staff preview, and publishes it through the confirmation page.
Every page of the editor passes axe-core, fits a phone, and breaks no CSP rule."""

from __future__ import annotations

import httpx

from tests.dashboard.test_browser import (
    _campaign,
    server,  # noqa: F401  (the fixture)
)
from tests.fixtures.accessibility import assert_accessible, assert_fits_phone
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, needs_chromium

PASSWORD = "a password for the campaign editor"
SLUG = "save-the-river-meadows"

pytestmark = needs_chromium


def test_staff_write_preview_and_publish_a_petition(
    server: tuple[str, dict[str, str]],  # noqa: F811  (the fixture imported above)
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, env = server
    user = ("--email", "kim@example.org", "--name", "Kim", "--role", "editor")
    _campaign(env, "staff", "create-user", *user, password=PASSWORD)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 1400})
            # Script errors and CSP refusals, which the console reports. The staff pages
            # link no icon, so the browser's own guess at /favicon.ico is not counted.
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on(
                "console",
                lambda message: (
                    errors.append(message.text)
                    if message.type == "error"
                    and not message.location.get("url", "").endswith("/favicon.ico")
                    else None
                ),
            )

            def check(name: str) -> None:
                page.screenshot(path=str(SCREENSHOTS / f"editor-{name}.png"), full_page=True)
                assert_accessible(page)
                assert_fits_phone(page)

            page.goto(f"{base}/staff/login")
            page.fill("#email", "kim@example.org")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.click("text=New campaign")
            expect(page).to_have_url(f"{base}/staff/campaigns/new")
            # With the script, the preview follows the text: no button needed for it.
            expect(page.locator("[data-preview-button]")).to_be_hidden()

            page.fill("#title", "Save the river meadows")
            page.fill("#summary", "The council must drop the road through the meadows.")
            page.fill("#body_markdown", "The meadows are home to **rare orchids**.")
            preview = page.locator("#text-preview")
            expect(preview.locator("strong")).to_have_text("rare orchids")
            page.locator("#body_markdown").press("End")
            page.locator("#body_markdown").press_sequentially(
                "\n\n## Why now\n\n<script>alert(1)</script>"
            )
            expect(preview.locator("h2")).to_have_text("Why now")
            expect(preview.locator("script")).to_have_count(0)
            expect(preview).to_contain_text("<script>alert(1)</script>")  # as typed, inert
            page.fill("#target", "The county council")
            page.fill("#share_text", "I signed to save the river meadows. Will you?")
            page.fill("#signature_goal", "500")
            check("new")

            page.click("text=Create the draft")
            expect(page).to_have_url(f"{base}/staff/campaigns/{SLUG}")
            expect(page.locator("#state")).to_have_text("draft")

            page.click("nav.tabs >> text=Preview")
            expect(page).to_have_url(f"{base}/staff/campaigns/{SLUG}/preview")
            expect(page.locator(".preview-banner")).to_contain_text("Preview — not public.")
            expect(page.locator("h1")).to_have_text("Save the river meadows")
            expect(page.locator(".campaign-text h2")).to_have_text("Why now")
            expect(page.locator("#given_name")).to_be_disabled()
            expect(page.locator("form.action button[type=submit]")).to_be_disabled()
            check("preview")

            page.click("text=Back to the campaign")
            page.click("text=Publish…")
            expect(page).to_have_url(f"{base}/staff/campaigns/{SLUG}/publish")
            expect(page.locator("#outlook")).to_contain_text(f"{base}/c/{SLUG} becomes public")
            check("publish")
            page.click("text=Publish now")
            expect(page).to_have_url(f"{base}/staff/campaigns/{SLUG}")
            expect(page.locator("#state")).to_have_text("published")

            page.goto(f"{base}/staff/campaigns/{SLUG}/edit")
            expect(page.locator("#slug")).to_have_attribute("readonly", "")
            check("edit")
            page.goto(f"{base}/staff/campaigns/{SLUG}/donations")
            expect(page.locator("#donation-state")).to_contain_text(
                "off: no payment provider configured"
            )
            check("donations")
            page.goto(f"{base}/staff/campaigns/{SLUG}/close")
            expect(page.locator("#outlook")).to_contain_text("Signing stops")
            check("close")

            # A mailing to its signers, written with the same live preview.
            page.goto(f"{base}/staff/campaigns/{SLUG}")
            page.click("nav.tabs >> text=Mailings")
            page.click("text=Write a mailing")
            page.fill("#subject", "The council has listened")
            page.fill("#body_markdown", "The road is **paused**.")
            expect(page.locator("#text-preview strong")).to_have_text("paused")
            expect(page.locator("#text-preview-status")).to_contain_text("As the email will show")
            check("mailing-new")
            page.get_by_role("button", name="Save", exact=True).click()
            expect(page.locator("#audience-size")).to_contain_text("would reach 0 people")
            page.click("text=Send a test copy to me")
            expect(page.locator(".notice")).to_contain_text("kim@example.org")
            page.click("text=Send or schedule…")
            expect(page.locator("#outlook")).to_contain_text("keep going first")
            check("mailing-send")
            page.click("text=Send the mailing")
            expect(page.locator("#mailing-state")).not_to_contain_text("draft")
            check("mailing-sent")

            assert not errors, errors
        finally:
            browser.close()

    with httpx.Client(base_url=base, timeout=10) as http:
        public = http.get(f"/c/{SLUG}")
        assert public.status_code == 200
        assert "Save the river meadows" in public.text
        assert "Preview — not public" not in public.text
