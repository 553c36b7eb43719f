"""An admin adds a webhook endpoint in a real browser against `campaign serve`, copies
its secret, and replays it; each page passes axe and fits a phone."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.accessibility import assert_accessible, assert_fits_phone
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, needs_chromium
from tests.test_walkthrough import CAMPAIGN, _environment, _start, _wait_until_up

PASSWORD = "the admin's own long password"

pytestmark = needs_chromium


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    env = _environment(tmp_path)
    process, base = _start("serve", env)
    try:
        _wait_until_up(base, process)
        yield base, env
    finally:
        process.terminate()
        process.wait(timeout=15)


def _checked(page: object, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"webhooks-{name}.png"), full_page=True)  # type: ignore[attr-defined]
    assert_accessible(page)
    assert_fits_phone(page)


def test_an_admin_adds_an_endpoint_and_replays_it(server: tuple[str, dict[str, str]]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, env = server
    subprocess.run(
        [
            *CAMPAIGN,
            "staff",
            "create-user",
            "--email",
            "kim@example.org",
            "--name",
            "Kim",
            "--role",
            "admin",
        ],
        env=env | {"CAMPAIGN_NEW_STAFF_PASSWORD": PASSWORD},
        capture_output=True,
        check=True,
        timeout=60,
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            admin = browser.new_page(viewport={"width": 1100, "height": 1000})
            admin.goto(f"{base}/staff/webhooks")
            admin.fill("#email", "kim@example.org")
            admin.fill("#password", PASSWORD)
            admin.click("button[type=submit]")
            expect(admin).to_have_url(f"{base}/staff/webhooks")
            expect(admin.locator("h1")).to_have_text("Webhooks")
            _checked(admin, "empty")

            admin.fill("#url", "https://crm.example.org/campaign")
            admin.click("text=Add the endpoint")
            expect(admin.locator("#new-secret")).to_contain_text("whsec_")
            _checked(admin, "secret")

            admin.goto(f"{base}/staff/webhooks")
            row = admin.locator("tr", has_text="https://crm.example.org/campaign")
            expect(row).to_contain_text("active")
            row.locator("button", has_text="Replay").click()
            expect(admin).to_have_url(f"{base}/staff/webhooks")
            row.locator("button", has_text="Stop").click()
            expect(admin.locator("tr", has_text="crm.example.org")).to_contain_text("stopped")
            _checked(admin, "stopped")
        finally:
            browser.close()
