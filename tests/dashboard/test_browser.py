"""The dashboard in a real browser: headless Chromium against `campaign serve`. Staff log
in, open a petition, and watch its count and chart change after someone signs and
confirms through the public API."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.accessibility import assert_accessible, assert_fits_phone
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, needs_chromium
from tests.fixtures.emails import confirmation_path
from tests.test_walkthrough import CAMPAIGN, _environment, _start, _wait_for_emails, _wait_until_up

PASSWORD = "a password for the browser test"

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


def _campaign(env: dict[str, str], *args: str, password: str | None = None) -> str:
    run_env = env | ({"CAMPAIGN_NEW_STAFF_PASSWORD": password} if password else {})
    done = subprocess.run(
        [*CAMPAIGN, *args], env=run_env, capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.strip().splitlines()[-1]


def test_staff_watch_a_signature_arrive(server: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, env = server
    _campaign(
        env,
        "staff",
        "create-user",
        "--email",
        "lin@example.org",
        "--name",
        "Lin",
        "--role",
        "editor",
        password=PASSWORD,
    )
    token = _campaign(env, "staff", "create-token", "--name", "setup", "--role", "editor")
    staff = {"Authorization": f"Bearer {token}"}
    petition = {
        "slug": "protect-the-meadows",
        "title": "Protect the meadows",
        "summary": "The council must drop the road through the meadows.",
        "body_markdown": "The meadows are home to rare orchids.",
        "target": "The county council",
        "signature_goal": 500,
    }
    with httpx.Client(base_url=base, timeout=10) as http:
        assert http.post("/api/v1/staff/campaigns", json=petition, headers=staff).status_code == 201
        http.post("/api/v1/staff/campaigns/protect-the-meadows/publish", headers=staff)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1400})
            page.goto(f"{base}/staff/campaigns/protect-the-meadows")
            expect(page).to_have_url(
                f"{base}/staff/login?next=%2Fstaff%2Fcampaigns%2Fprotect-the-meadows"
            )
            page.fill("#email", "lin@example.org")
            page.fill("#password", PASSWORD)
            page.screenshot(path=str(SCREENSHOTS / "dashboard-login.png"))
            assert_accessible(page)
            assert_fits_phone(page)
            page.click("button[type=submit]")

            expect(page).to_have_url(f"{base}/staff/campaigns/protect-the-meadows")
            expect(page.locator("#confirmed-count")).to_have_text("0")
            expect(page.locator("#chart-per-day svg rect")).to_have_count(0)
            page.screenshot(path=str(SCREENSHOTS / "dashboard-campaign-before.png"), full_page=True)

            with httpx.Client(base_url=base, timeout=10) as http:
                signed = http.post(
                    "/api/v1/campaigns/protect-the-meadows/signatures",
                    json={
                        "given_name": "Ada",
                        "family_name": "Lovelace",
                        "email": "ada@example.org",
                        "country": "GB",
                        "consent": {"email_updates": False},
                    },
                )
                assert signed.status_code == 202
                [email] = _wait_for_emails(tmp_path / "outbox", 1)
                assert http.get(confirmation_path(email)).status_code == 200

            # The count is the public one, cached for a second; the charts follow the
            # metrics pass, which the worker runs every half minute and staff may run
            # at once.
            page.wait_for_timeout(1100)
            page.reload()
            expect(page.locator("#confirmed-count")).to_have_text("1")
            added = _campaign(env, "metrics", "update", "--lag", "0")
            assert added.startswith("added ")
            page.reload()
            bars = page.locator("#chart-per-day svg rect")
            expect(bars).to_have_count(1)
            assert bars.first.get_attribute("data-value") == "1"
            expect(page.locator('#chart-countries svg rect[data-label="GB"]')).to_have_count(1)
            page.screenshot(path=str(SCREENSHOTS / "dashboard-campaign-after.png"), full_page=True)
            assert_accessible(page)
            assert_fits_phone(page)

            page.goto(f"{base}/staff")
            expect(page.locator("table")).to_contain_text("Protect the meadows")
            page.screenshot(path=str(SCREENSHOTS / "dashboard-home.png"), full_page=True)
            assert_accessible(page)
            assert_fits_phone(page)

            page.click("text=Log out")
            expect(page).to_have_url(f"{base}/staff/login")
            page.goto(f"{base}/staff")
            expect(page).to_have_url(f"{base}/staff/login?next=%2Fstaff")
        finally:
            browser.close()
