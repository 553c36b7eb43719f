"""The release pages in a real browser (headless Chromium against `campaign serve`): staff
select a passage in the text and add it as a call, with and without JavaScript, and
reject one; pronouns show what they stand for. A release pasted into the new-release
form gets its headline as title before it is sent, and its calls are reviewed on its
page: accepted, rejected, added, edited, merged. The pages' scripts obey the CSP, pass
axe-core and fit a phone."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.dashboard.test_browser import (
    _campaign,
    server,  # noqa: F401  (the fixture)
)
from tests.fixtures.accessibility import assert_accessible, assert_fits_phone
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, needs_chromium
from tests.releases.test_releases_api import HTML_RELEASE
from tests.releases.test_releases_api import RELEASE as VALE_DAM

PASSWORD = "a password for the release page"
# The wave is one code point and two UTF-16 units: offsets must count it once.
RELEASE = """\
Aid groups 🌊 Israel must lift the siege

Israel must allow fuel and food into Gaza. It must also restore water and electricity.
Medical teams reported shortages of anaesthetics.
Supplies at the main hospital ran out last week.
"""
SELECTED = "Medical teams reported shortages of anaesthetics."
PASTED = "Supplies at the main hospital ran out last week."

pytestmark = needs_chromium


def _select(page: Any, passage: str) -> None:
    """Select the passage in the release text as a person dragging over it would."""
    page.evaluate(
        """(passage) => {
            const block = document.getElementById("release-text");
            const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const at = node.data.indexOf(passage);
                if (at < 0) continue;
                const range = document.createRange();
                range.setStart(node, at);
                range.setEnd(node, at + passage.length);
                const selection = window.getSelection();
                selection.removeAllRanges();
                selection.addRange(range);
                return;
            }
            throw new Error("passage not in the page: " + passage);
        }""",
        passage,
    )


def test_staff_add_a_call_by_selecting_it_in_the_text(
    server: tuple[str, dict[str, str]],  # noqa: F811  (the fixture imported above)
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, env = server
    user = ("--email", "sam@example.org", "--name", "Sam", "--role", "editor")
    _campaign(env, "staff", "create-user", *user, password=PASSWORD)
    token = _campaign(env, "staff", "create-token", "--name", "setup", "--role", "editor")
    staff = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, timeout=30) as http:
        submitted = http.post("/api/v1/staff/releases", json={"content": RELEASE}, headers=staff)
        assert submitted.status_code == 201, submitted.text
    release_id = submitted.json()["release"]["id"]
    text = submitted.json()["release"]["text"]
    start = text.index(SELECTED)  # in code points, as Python counts
    assert len(text[:start].encode("utf-16-le")) // 2 > start  # JavaScript counts more
    release_page = f"{base}/staff/releases/{release_id}"

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1400})
            refused: list[str] = []
            page.on(
                "console",
                lambda message: refused.append(message.text) if message.type == "error" else None,
            )
            _log_in(page, release_page)

            it_row = page.locator("#proposed-calls tr", has_text="restore water")
            expect(it_row.locator("td.addressees")).to_have_text("It → Israel")

            _select(page, SELECTED)
            expect(page.locator("#start")).to_have_value(str(start))
            expect(page.locator("#end")).to_have_value(str(start + len(SELECTED)))
            expect(page.locator("#selection")).to_have_text(f"Selected: {SELECTED}")
            page.fill("#targets", "The health ministry")
            page.screenshot(
                path=str(SCREENSHOTS / "dashboard-release-selected.png"), full_page=True
            )
            page.click("#add-call-form button[type=submit]")

            expect(page).to_have_url(re.compile(rf"{release_page}#call-\d+$"))
            added = page.locator("#proposed-calls tr", has_text="The health ministry")
            expect(added).to_contain_text("added by staff")
            call_id = page.url.rsplit("-", 1)[1]
            expect(page.locator(f"mark#call-{call_id}")).to_have_text(SELECTED)
            page.screenshot(path=str(SCREENSHOTS / "dashboard-release-added.png"), full_page=True)

            added.get_by_role("button", name="Reject").click()
            expect(
                page.locator("#reviewed-calls tr", has_text="The health ministry")
            ).to_contain_text("rejected")
            assert not [m for m in refused if "Content Security Policy" in m], refused

            # Without JavaScript the same form takes the passage pasted in.
            plain = browser.new_context(java_script_enabled=False).new_page()
            _log_in(plain, release_page)
            plain.fill("#sentence", PASTED)
            plain.click("#add-call-form button[type=submit]")
            expect(plain).to_have_url(re.compile(rf"{release_page}#call-\d+$"))
            pasted = plain.locator("#proposed-calls tr", has_text="added by staff")
            expect(pasted).to_have_count(1)
            plain_id = plain.url.rsplit("-", 1)[1]
            expect(plain.locator(f"mark#call-{plain_id}")).to_have_text(PASTED)
        finally:
            browser.close()


def _log_in(page: Any, target: str) -> None:
    page.goto(target)
    page.fill("#email", "sam@example.org")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(target)


VALE_DAM_HEADLINE = "Rivers Alliance: ministers must stop the Vale dam"
VILLAGES = "The dam may threaten three villages."


def test_staff_paste_a_release_and_review_its_calls(
    server: tuple[str, dict[str, str]],  # noqa: F811  (the fixture imported above)
    tmp_path: Any,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, env = server
    user = ("--email", "sam@example.org", "--name", "Sam", "--role", "editor")
    _campaign(env, "staff", "create-user", *user, password=PASSWORD)
    page_file = tmp_path / "coal.html"
    page_file.write_text(HTML_RELEASE)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1400})
            refused: list[str] = []
            page.on(
                "console",
                lambda message: refused.append(message.text) if message.type == "error" else None,
            )
            _log_in(page, f"{base}/staff/releases")
            assert_accessible(page)
            assert_fits_phone(page)

            page.get_by_role("link", name="New release").click()
            expect(page).to_have_url(f"{base}/staff/releases/new")
            assert_accessible(page)
            assert_fits_phone(page)
            # The title is asked of the server as a file is chosen, or text pasted.
            page.set_input_files("#file", str(page_file))
            expect(page.locator("#title")).to_have_value("Banks must stop financing new coal mines")
            page.set_input_files("#file", [])
            page.fill("#content", VALE_DAM)
            expect(page.locator("#title")).to_have_value(VALE_DAM_HEADLINE)
            expect(page.locator("#title-suggested")).to_contain_text("headline")
            page.fill("#organisation", "Rivers Alliance")
            page.screenshot(path=str(SCREENSHOTS / "dashboard-release-new.png"), full_page=True)
            page.get_by_role("button", name="Save and find its calls").click()

            expect(page).to_have_url(re.compile(rf"{base}/staff/releases/\d+$"))
            expect(page.get_by_role("heading", level=1)).to_have_text(VALE_DAM_HEADLINE)
            assert_accessible(page)
            assert_fits_phone(page)

            def row(section: str, text: str) -> Any:
                return page.locator(f"#{section}-calls tr[data-call]", has_text=text)

            headline, ministers = row("proposed", "stop the Vale dam"), row("proposed", "withdraw")
            agency, they = row("proposed", "review every dam"), row("proposed", "flood modelling")
            expect(they.locator("td.addressees")).to_have_text("They → Ministers")

            ministers.get_by_role("button", name="Accept").click()
            expect(row("accepted", "withdraw")).to_contain_text("not drafted yet")
            agency.get_by_role("button", name="Accept").click()
            expect(row("accepted", "review every dam")).to_have_count(1)
            headline.get_by_role("button", name="Reject").click()
            expect(row("reviewed", "stop the Vale dam")).to_contain_text("rejected")

            _select(page, VILLAGES)
            page.click("#add-call-form button[type=submit]")
            expect(page).to_have_url(re.compile(r"#call-\d+$"))
            added_id = page.url.rsplit("-", 1)[1]
            expect(page.locator(f"mark#call-{added_id}")).to_have_text(VILLAGES)

            page.locator(f"#call-{added_id}-edit summary").click()
            page.fill(f"#call-{added_id}-targets", "The water authority")
            page.fill(f"#call-{added_id}-action", "protect the three villages")
            page.select_option(f"#call-{added_id}-strength", "demand")
            page.screenshot(path=str(SCREENSHOTS / "dashboard-release-edit.png"), full_page=True)
            page.locator(f"#call-{added_id}-edit").get_by_role("button", name="Save call").click()
            added = page.locator(f"#call-row-{added_id}")
            expect(added).to_contain_text("The water authority")
            expect(added).to_contain_text("protect the three villages")
            expect(added).to_contain_text("demand")

            row("accepted", "withdraw").locator("input[name=call_ids]").check()
            they.locator("input[name=call_ids]").check()
            page.get_by_role("button", name="Merge the ticked calls").click()
            expect(page.locator(".notice")).to_contain_text("The ticked calls were merged into")
            merged = row("accepted", "withdraw")
            expect(merged).to_contain_text("publish the flood modelling")
            expect(row("reviewed", "flood modelling")).to_contain_text("merged into")
            page.screenshot(
                path=str(SCREENSHOTS / "dashboard-release-reviewed.png"), full_page=True
            )
            assert_accessible(page)
            assert_fits_phone(page)
            assert not [m for m in refused if "Content Security Policy" in m], refused
        finally:
            browser.close()
