"""Inviting someone, in a real browser against `campaign serve`: an admin invites a new
editor, who opens the link in the email the server wrote, chooses a password, logs in
and makes an API token. Every page on the way passes axe and fits a phone."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.accessibility import assert_accessible, assert_fits_phone
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, needs_chromium
from tests.fixtures.emails import text_body
from tests.test_walkthrough import CAMPAIGN, _environment, _start, _wait_for_emails, _wait_until_up

ADMIN_PASSWORD = "the admin's own long password"
NEW_PASSWORD = "the invitee chose this passphrase"
WELCOME_PATH = re.compile(r"https?://[^/\s]+(/staff/welcome/[A-Za-z0-9_\-]+)")

ADMIN = ["--role", "admin"]

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
    page.screenshot(path=str(SCREENSHOTS / f"people-{name}.png"), full_page=True)  # type: ignore[attr-defined]
    assert_accessible(page)
    assert_fits_phone(page)


def test_an_invited_editor_sets_a_password_logs_in_and_makes_a_token(
    server: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, env = server
    subprocess.run(
        [*CAMPAIGN, "staff", "create-user", "--email", "lin@example.org", "--name", "Lin", *ADMIN],
        env=env | {"CAMPAIGN_NEW_STAFF_PASSWORD": ADMIN_PASSWORD},
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
            admin.goto(f"{base}/staff/users")
            admin.fill("#email", "lin@example.org")
            admin.fill("#password", ADMIN_PASSWORD)
            admin.click("button[type=submit]")
            expect(admin).to_have_url(f"{base}/staff/users")
            expect(admin.locator("h1")).to_have_text("Users")
            _checked(admin, "users")

            admin.fill("#name", "Ana Silva")
            admin.fill("form[action='/staff/users'] #email", "ana@example.org")
            admin.select_option("select#role", "editor")
            admin.click("text=Send the invitation")
            expect(admin.locator(".notice")).to_contain_text(
                "An invitation was sent to ana@example.org"
            )
            row = admin.locator("tr", has_text="ana@example.org")
            expect(row).to_contain_text("invited")
            _checked(admin, "users-invited")

            row.locator("a", has_text="Deactivate").click()
            expect(admin.locator("h1")).to_have_text("Deactivate Ana Silva?")
            _checked(admin, "deactivate")
            admin.click("text=No, keep the account")
            expect(admin).to_have_url(f"{base}/staff/users")

            [email] = _wait_for_emails(tmp_path / "outbox", 1)
            assert email["To"].addresses[0].addr_spec == "ana@example.org"
            match = WELCOME_PATH.search(text_body(email))
            assert match, "no link in the invitation"

            invitee = browser.new_context(viewport={"width": 1100, "height": 1000}).new_page()
            invitee.goto(f"{base}{match.group(1)}")
            expect(invitee.locator("h1")).to_have_text("Welcome, Ana Silva")
            _checked(invitee, "welcome")
            invitee.fill("#password", "too short")
            invitee.fill("#password_confirmation", "too short")
            invitee.click("button[type=submit]")
            expect(invitee.locator("#password-error")).to_contain_text("at least 12 characters")
            _checked(invitee, "welcome-refused")
            invitee.fill("#password", NEW_PASSWORD)
            invitee.fill("#password_confirmation", NEW_PASSWORD)
            invitee.click("button[type=submit]")
            expect(invitee).to_have_url(f"{base}/staff/password-set")
            _checked(invitee, "password-set")

            invitee.click("text=Log in to the staff workspace")
            invitee.fill("#email", "ana@example.org")
            invitee.fill("#password", NEW_PASSWORD)
            invitee.click("button[type=submit]")
            expect(invitee).to_have_url(f"{base}/staff")
            expect(invitee.locator("header")).to_contain_text("Ana Silva (editor)")
            expect(invitee.locator("header nav")).not_to_contain_text("Users")

            invitee.click("header nav >> text=API tokens")
            expect(invitee.locator("h1")).to_have_text("API tokens")
            expect(invitee.locator("select#role option")).to_have_count(2)  # viewer, editor
            _checked(invitee, "tokens")
            invitee.fill("#name", "press laptop")
            invitee.select_option("select#role", "viewer")
            invitee.click("text=Create the token")
            secret = invitee.locator("#new-token").inner_text().strip()
            assert secret.startswith("cmp_")
            assert secret not in invitee.url
            _checked(invitee, "token-created")
            with httpx.Client(base_url=base, timeout=10) as http:
                me = http.get("/api/v1/staff/me", headers={"Authorization": f"Bearer {secret}"})
                assert me.status_code == 200 and me.json()["role"] == "viewer"

            invitee.goto(f"{base}/staff/tokens")
            expect(invitee.locator("table")).to_contain_text("press laptop")
            assert secret not in invitee.content()

            admin.reload()
            expect(admin.locator("tr", has_text="ana@example.org")).to_contain_text("active")
        finally:
            browser.close()
