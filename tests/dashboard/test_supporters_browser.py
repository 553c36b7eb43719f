"""A petition's supporters in a real browser (headless Chromium against `campaign
serve`): an editor finds a signature in the list, marks it invalid with a reason, and
the public count drops; both pages pass axe and fit a phone."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.dashboard.test_browser import (
    _campaign,
    server,  # noqa: F401  (the fixture)
)
from tests.fixtures.accessibility import assert_accessible, assert_fits_phone
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, needs_chromium
from tests.fixtures.emails import confirmation_path
from tests.test_walkthrough import _wait_for_emails

PASSWORD = "a password for the supporters page"
SLUG = "save-the-estuary"
SIGNERS = [
    ("Ada", "Lovelace", "ada@example.org", "GB"),
    ("Bea", "Okafor", "bea@example.org", "NG"),
    ("Chen", "Wei", "chen@example.org", "FR"),
]

pytestmark = needs_chromium


def test_an_editor_marks_a_signature_invalid(
    server: tuple[str, dict[str, str]],  # noqa: F811  (the fixture imported above)
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, env = server
    outbox = Path(env["CAMPAIGN_EMAIL_FILE_DIR"])
    _campaign(
        env,
        *("staff", "create-user", "--email", "rui@example.org", "--name", "Rui"),
        *("--role", "editor"),
        password=PASSWORD,
    )
    token = _campaign(env, "staff", "create-token", "--name", "setup", "--role", "editor")
    staff = {"Authorization": f"Bearer {token}"}
    petition = {
        "slug": SLUG,
        "title": "Save the estuary",
        "summary": "The port authority must drop the dredging plan.",
        "body_markdown": "The estuary feeds a million birds each winter.",
        "target": "The port authority",
        "signature_goal": 100,
    }
    with httpx.Client(base_url=base, timeout=10) as http:
        assert http.post("/api/v1/staff/campaigns", json=petition, headers=staff).status_code == 201
        assert http.post(f"/api/v1/staff/campaigns/{SLUG}/publish", headers=staff).is_success
        for given, family, email, country in SIGNERS:
            signed = http.post(
                f"/api/v1/campaigns/{SLUG}/signatures",
                json={
                    "given_name": given,
                    "family_name": family,
                    "email": email,
                    "country": country,
                    "comment": f"{given} says: do not dredge the mudflats the birds feed on.",
                    "consent": {"email_updates": False},
                    "tracking": {"source": "newsletter", "medium": "email"},
                },
            )
            assert signed.status_code == 202, signed.text
        for email in _wait_for_emails(outbox, len(SIGNERS)):
            assert http.get(confirmation_path(email)).status_code == 200

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1200})
            page.goto(f"{base}/staff/login?next=/staff/campaigns/{SLUG}/supporters")
            page.fill("#email", "rui@example.org")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            expect(page).to_have_url(f"{base}/staff/campaigns/{SLUG}/supporters")
            expect(page.locator("#confirmed-count")).to_have_text("3")
            expect(page.locator("#supporters tbody tr")).to_have_count(3)
            page.screenshot(path=str(SCREENSHOTS / "supporters-list.png"), full_page=True)
            assert_accessible(page)
            assert_fits_phone(page)
            page.set_viewport_size({"width": 390, "height": 844})
            page.screenshot(path=str(SCREENSHOTS / "supporters-list-phone.png"), full_page=True)
            page.set_viewport_size({"width": 1100, "height": 1200})

            page.fill("#email", "bea@")
            page.click("form[role=search] button[type=submit]")
            rows = page.locator("#supporters tbody tr")
            expect(rows).to_have_count(1)
            expect(rows.first).to_contain_text("Bea Okafor")
            rows.first.locator("a", has_text="Review").click()

            expect(page.locator("h1")).to_have_text("Signature of Bea Okafor")
            page.check("#status-invalidated")
            page.fill("#reason", "Signed for a whole school class")
            page.click('button:text-is("Mark the signature")')
            expect(page.locator("#signature-status")).to_have_text("invalidated")
            expect(page.locator("#standing-mark")).to_contain_text("Marked invalidated by Rui on")
            page.screenshot(path=str(SCREENSHOTS / "supporters-signature.png"), full_page=True)
            assert_accessible(page)
            assert_fits_phone(page)

            # The count is the public one, cached for a second.
            page.wait_for_timeout(1100)
            page.click('a:text-is("All its signatures")')
            expect(page.locator("#confirmed-count")).to_have_text("2")
            expect(page.locator("#invalidated-count")).to_have_text("1")
            with httpx.Client(base_url=base, timeout=10) as http:
                counts = http.get(f"/api/v1/campaigns/{SLUG}").json()["counts"]
            assert counts["confirmed"] == 2
        finally:
            browser.close()
