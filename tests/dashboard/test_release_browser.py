"""The release page in a real browser (headless Chromium against `campaign serve`): staff
select a passage in the text and add it as a call, with and without JavaScript, and
reject one; pronouns show what they stand for. The page's script obeys its CSP."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.dashboard.test_browser import (
    _campaign,
    server,  # noqa: F401  (the fixture)
)
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, needs_chromium

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
