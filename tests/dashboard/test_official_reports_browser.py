"""Reports to officials in a real browser (headless Chromium against `campaign serve`):
with a small directory and postcode table imported and signers in two divisions, an
editor sees who would be told what, reads one official's email, confirms on the page
that says what sending does, and reads the run. Every page passes axe and fits a
phone."""

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

PASSWORD = "a password for the reports"
SLUG = "clean-the-kettle-brook"
PAGES = f"/staff/campaigns/{SLUG}/official-reports"
EASTMOOR = "ocd-division/country:gb/district:eastmoor"
KETTLE = "ocd-division/country:gb/district:kettle"
OFFICIALS_CSV = (
    "id,name,title,role,organisation,email,country,division_id\n"
    f"r-1,Orla Penhallow,Member for Eastmoor,legislator,Assembly,orla@house.example,GB,{EASTMOOR}\n"
    f"r-2,Rue Tallis,Member for Kettle,legislator,Assembly,rue@assembly.example,GB,{KETTLE}\n"
)  # fmt: skip
POSTCODES_CSV = f"postcode,division_id\nSW1A 1AA,{EASTMOOR}\nN1 9GU,{KETTLE}\n"

pytestmark = needs_chromium


def test_an_editor_previews_and_sends_reports_to_officials(
    server: tuple[str, dict[str, str]],  # noqa: F811  (the fixture imported above)
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, env = server
    outbox = Path(env["CAMPAIGN_EMAIL_FILE_DIR"])
    staff = staff_and_token(env, "ria@example.org", PASSWORD)
    petition = {
        "slug": SLUG,
        "title": "Clean the Kettle brook",
        "summary": "The water company must stop the spills into the Kettle brook.",
        "body_markdown": "Sewage went into the brook on forty days last year.",
        "target": "The water company",
        "signature_goal": 100,
        "postcode_mode": "optional",
        "ask_signers_to_be_named": True,
    }
    named = {"email_updates": False, "name_may_be_given": True}
    with httpx.Client(base_url=base, timeout=10) as http:
        for name, text in (("officials", OFFICIALS_CSV), ("postcodes", POSTCODES_CSV)):
            imported = http.post(
                f"/api/v1/staff/{name}/import",
                files={"file": (f"{name}.csv", text.encode())},
                data={"country": "GB"},
                headers=staff,
            )
            assert imported.status_code == 200, imported.text
        publish(http, staff, petition)
        sign_and_confirm(
            http,
            outbox,
            SLUG,
            [
                signer("Ada", "ada@example.org", postcode="sw1a 1aa", consent=named),
                signer("Bea", "bea@example.org", postcode="N1 9GU", consent=named),
                signer("Cai", "cai@example.org", postcode="n19gu"),
                signer("Dov", "dov@example.org", postcode="E1 6AN"),
            ],
        )
    emails_before = len(read_emails(outbox))

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1200})
            log_in(page, base, PAGES, "ria@example.org", PASSWORD)
            expect(page.locator("#summary")).to_contain_text(
                "Of the petition's 4 confirmed signers, 3 gave a postcode in the division"
            )
            rue = page.locator("#outlook tbody tr", has_text="Rue Tallis")
            expect(rue.locator("td").nth(3)).to_have_text("2")
            expect(rue.locator("td").nth(4)).to_have_text("1")
            expect(page.locator("#history")).to_have_count(0)
            assert_words_whole(page, "#outlook th")
            checked(page, "reports-outlook")

            rue.get_by_role("link", name="Rue Tallis").click()
            expect(page.locator("#email-heading")).to_have_text("The email Rue Tallis would get")
            email = page.locator("#email")
            expect(email).to_contain_text("To: Rue Tallis <rue@assembly.example>")
            expect(email.locator("pre")).to_contain_text("Bea Tester")
            expect(email.locator("pre")).not_to_contain_text("Cai")
            expect(email.locator("pre")).not_to_contain_text("@example.org")
            checked(page, "reports-email")

            page.get_by_role("button", name="Send reports…").click()
            expect(page.locator("h2").first).to_have_text("Send reports to officials?")
            expect(page.locator("#outlook")).to_contain_text("2 officials get one email each")
            checked(page, "reports-confirm")
            page.get_by_role("button", name="Send the reports").click()
            expect(page.locator("#sent-summary")).to_have_text(
                "2 officials were told of 3 confirmed signers."
            )
            expect(page.locator("#deliveries tbody tr")).to_have_count(2)
            assert_words_whole(page, "#deliveries th")
            checked(page, "reports-sent")

            page.get_by_role("link", name="Back to reports to officials").click()
            expect(page.locator("#history tbody tr")).to_have_count(1)
            expect(page.locator("#history")).to_contain_text("sent")
            checked(page, "reports-history")
        finally:
            browser.close()

    told = _wait_for_emails(outbox, emails_before + 2)[emails_before:]
    by_address = {e["To"].addresses[0].addr_spec: text_body(e) for e in told}
    assert set(by_address) == {"orla@house.example", "rue@assembly.example"}
    assert "Ada Tester" in by_address["orla@house.example"]
    assert "Ada" not in by_address["rue@assembly.example"]
