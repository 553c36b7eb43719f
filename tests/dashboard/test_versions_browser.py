"""Language versions in a real browser (headless Chromium against `campaign serve`): an
editor adds a French version of a petition in the workspace, then a supporter whose
browser asks for French sees that version, signs it, and the signature counts on the
French line of the campaign's numbers. The pages pass axe and fit 390 px."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.dashboard.browser_steps import checked, log_in, publish, staff_and_token
from tests.dashboard.test_browser import server  # noqa: F401  (the fixture)
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium
from tests.test_walkthrough import _wait_for_emails

PASSWORD = "a password for the languages of a campaign"
SLUG = "protect-the-wetlands"
FRENCH_TITLE = "Protégez les zones humides"

pytestmark = needs_chromium


def test_staff_add_a_french_version_and_a_french_browser_signs_it(
    server: tuple[str, dict[str, str]],  # noqa: F811  (the fixture imported above)
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, env = server
    staff = staff_and_token(env, "noor@example.org", PASSWORD)
    campaign = {
        "slug": SLUG,
        "title": "Protect the wetlands",
        "summary": "The wetlands must be protected from drainage.",
        "body_markdown": "The wetlands shelter **rare birds**.",
        "target": "The environment ministry",
        "language": "en",
    }
    with httpx.Client(base_url=base, timeout=10) as http:
        publish(http, staff, campaign)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 1400})
            log_in(page, base, f"/staff/campaigns/{SLUG}/versions", "noor@example.org", PASSWORD)
            checked(page, "versions-none")
            page.fill("#language", "fr")
            page.fill("#title", FRENCH_TITLE)
            page.fill("#summary", "Les zones humides doivent être protégées du drainage.")
            page.fill("#body_markdown", "Les zones humides abritent des **oiseaux rares**.")
            page.click("button:has-text('Add the version')")
            page.wait_for_url(f"{base}/staff/campaigns/{SLUG}/versions/fr?saved=1")
            expect(page.locator("#version-heading")).to_contain_text("Français")
            checked(page, "version-french")

            supporter = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 900})
            public = supporter.new_page()
            public.goto(f"{base}/c/{SLUG}")
            expect(public.locator("h1")).to_have_text(FRENCH_TITLE)
            assert public.locator("html").get_attribute("lang") == "fr"
            expect(public.locator("a[hreflang=en]")).to_have_text("English")
            checked(public, "petition-french")
            public.fill("#given_name", "Camille")
            public.fill("#family_name", "Martin")
            public.fill("#email", "camille@example.org")
            public.select_option("#country", "FR")
            public.check("#email_updates")
            public.click("button[type=submit]:has-text('Sign')")
            public.wait_for_url(f"{base}/c/{SLUG}/sent?lang=fr")
            assert public.locator("html").get_attribute("lang") == "fr"
            expect(public.locator("main")).to_contain_text(FRENCH_TITLE)
            supporter.close()

            _wait_for_emails(tmp_path / "outbox", 1)
            page.goto(f"{base}/staff/campaigns/{SLUG}")
            # Pending, awaiting confirmation by email: the second of the row's cells.
            expect(page.locator("#version-count-fr td").nth(1)).to_have_text("1")
            expect(page.locator("#version-count-en td").nth(1)).to_have_text("0")
            checked(page, "numbers-by-version")
        finally:
            browser.close()
