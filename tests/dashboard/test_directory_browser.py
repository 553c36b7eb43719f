"""The directory of officials in a real browser (headless Chromium against `campaign
serve`): an editor imports a CSV chosen in the file chooser and watches the upload go,
reads the report, searches for an official and edits them; without JavaScript a postcode
table imports all the same. Every page passes axe and fits a 390 px screen."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.dashboard.test_browser import (
    _campaign,
    server,  # noqa: F401  (the fixture)
)
from tests.fixtures.accessibility import assert_accessible, assert_fits_phone
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, needs_chromium
from tests.targets.documents import OFFICIALS_CSV, OFFICIALS_CSV_SKIPPED, POSTCODES_CSV

PASSWORD = "a password for the directory"
EMAIL = "kit@example.org"

pytestmark = needs_chromium

# Keeps every text the import form's progress line says, as it says it: the upload on
# this machine is over too soon to catch between two looks.
_RECORD_PROGRESS = """() => {
    window.progressSaid = [];
    new MutationObserver(() => {
        for (const said of document.querySelectorAll("[data-progress-text]")) {
            const text = said.textContent;
            if (text && window.progressSaid[window.progressSaid.length - 1] !== text) {
                window.progressSaid.push(text);
            }
        }
    }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def _checked(page: Any, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"dashboard-officials-{name}.png"), full_page=True)
    assert_accessible(page)
    assert_fits_phone(page)


def test_an_editor_imports_searches_and_edits_officials(
    server: tuple[str, dict[str, str]],  # noqa: F811  (the fixture imported above)
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, env = server
    user = ("--email", EMAIL, "--name", "Kit", "--role", "editor")
    _campaign(env, "staff", "create-user", *user, password=PASSWORD)
    officials_file = tmp_path / "westland.csv"
    officials_file.write_text(OFFICIALS_CSV, encoding="utf-8")
    not_officials = tmp_path / "members.csv"
    not_officials.write_text("member,address\nOrla,orla@assembly.example\n", encoding="utf-8")
    postcodes_file = tmp_path / "postcodes.csv"
    postcodes_file.write_text(POSTCODES_CSV, encoding="utf-8")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1400})
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            _log_in(page, f"{base}/staff/officials/import")
            expect(page.locator("h1")).to_have_text("Import officials")
            _checked(page, "import")

            # A file that is not what it claims: the form comes back with why beside it.
            with page.expect_file_chooser() as chosen:
                page.click("#officials-file")
            chosen.value.set_files(str(not_officials))
            page.click("#officials-import button[type=submit]")
            expect(page.locator("#officials-file-error")).to_contain_text("lacks the columns")
            expect(page.locator("#officials-file")).to_be_focused()
            _checked(page, "import-refused")

            page.evaluate("window.sameDocument = true")
            page.evaluate(_RECORD_PROGRESS)
            with page.expect_file_chooser() as chosen:
                page.click("#officials-file")
            chosen.value.set_files(str(officials_file))
            page.click("#officials-import button[type=submit]")

            expect(page.locator("#report-title")).to_have_text("Import report: westland.csv")
            expect(page.locator("#report-title")).to_be_focused()
            # The script sent the file and put the report in place: no page was loaded.
            assert page.evaluate("window.sameDocument") is True
            assert page.evaluate("window.progressSaid").pop() == "Uploaded; importing the rows…"
            expect(page.locator("#report-created")).to_have_text("2")
            expect(page.locator("#report-skipped")).to_have_text(str(len(OFFICIALS_CSV_SKIPPED)))
            skipped = page.locator("#skipped-rows tbody tr")
            expect(skipped).to_have_count(len(OFFICIALS_CSV_SKIPPED))
            expect(skipped.first).to_contain_text("line 4")
            expect(skipped.first).to_contain_text("email: not a valid address")
            _checked(page, "import-report")

            page.click("text=See the officials")
            expect(page.locator("#officials tbody tr")).to_have_count(2)
            page.fill("#name", "orla")
            page.click(".directory-search button[type=submit]")
            expect(page).to_have_url(re.compile(r"/staff/officials\?name=orla&"))
            rows = page.locator("#officials tbody tr")
            expect(rows).to_have_count(1)
            expect(rows.first).to_contain_text("orla.penhallow@assembly.example")
            _checked(page, "search")

            rows.first.get_by_role("link", name="Edit Orla Penhallow").click()
            expect(page.locator("h1")).to_have_text("Orla Penhallow")
            _checked(page, "edit")
            page.fill("#email", "not-an-address")
            page.click(".official-form button[type=submit]")
            expect(page.locator("#email-error")).to_contain_text("Not a valid address.")
            expect(page.locator("#email")).to_have_attribute("aria-invalid", "true")
            _checked(page, "edit-refused")
            page.fill("#email", "orla@assembly.example")
            page.fill("#title", "Member for Eastmoor and Kettle")
            page.click(".official-form button[type=submit]")
            expect(page.locator(".notice")).to_have_text("Your changes were saved.")
            expect(page.locator("#title")).to_have_value("Member for Eastmoor and Kettle")
            expect(page.locator("#email")).to_have_value("orla@assembly.example")

            page.goto(f"{base}/staff/officials/new")
            expect(page.locator("h1")).to_have_text("Add an official")
            _checked(page, "add")
            assert not [e for e in errors if "Content Security Policy" in e], errors

            # Without JavaScript the form posts as it stands and the answer is the report.
            plain = browser.new_context(java_script_enabled=False).new_page()
            _log_in(plain, f"{base}/staff/officials/import")
            plain.set_input_files("#postcodes-file", str(postcodes_file))
            plain.fill("#postcodes-country", "GB")
            plain.click("#postcodes-import button[type=submit]")
            expect(plain.locator("#report-title")).to_have_text("Import report: postcodes.csv")
            expect(plain.locator("#report-created")).to_have_text("3")
            expect(plain.locator("#skipped-rows tbody tr")).to_have_count(2)
        finally:
            browser.close()


def _log_in(page: Any, target: str) -> None:
    page.goto(target)
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(target)
