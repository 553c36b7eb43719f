"""A letter campaign's numbers in a real browser: headless Chromium against `campaign
serve`. A viewer reads the letters per official after an activist wrote and confirmed,
and downloads the letters as CSV from the button; the page passes axe and fits 390 px."""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.dashboard.test_browser import _campaign
from tests.fixtures.accessibility import assert_accessible, assert_fits_phone
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, needs_chromium
from tests.letters.test_letters import LETTER_CONFIRM
from tests.test_walkthrough import _environment, _start, _wait_for_emails, _wait_until_up

PASSWORD = "a viewer's password for the browser test"
SLUG = "save-the-vale"

pytestmark = needs_chromium

OFFICIALS = [
    {
        "external_id": "browser:alex-morgan",
        "name": "Alex Morgan",
        "title": "Member of Parliament for Riverside",
        "role": "legislator",
        "organisation": "House of Commons",
        "email": "alex.morgan@parliament.example",
        "country": "GB",
    },
    {
        "external_id": "browser:jo-rivers",
        "name": "Jo Rivers",
        "title": "Secretary of State for the Environment",
        "role": "environment_minister",
        "organisation": "Environment Department",
        "email": "jo.rivers@gov.example",
        "country": "GB",
    },
]


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


def _letter_written_and_confirmed(base: str, staff: dict[str, str], outbox: Path) -> None:
    with httpx.Client(base_url=base, timeout=10) as http:
        ids = []
        for official in OFFICIALS:
            added = http.post("/api/v1/staff/officials", json=official, headers=staff)
            assert added.status_code == 201, added.text
            ids.append(added.json()["id"])
        campaign = {
            "slug": SLUG,
            "kind": "letter",
            "title": "Save the Vale from the dam",
            "summary": "Write to the people who decide on the Vale dam.",
            "body_markdown": "The dam would flood the Vale.",
            "target": "Parliament and the Environment Department",
            "language": "en",
        }
        assert http.post("/api/v1/staff/campaigns", json=campaign, headers=staff).is_success
        setup = {
            "targets": {"kind": "fixed", "official_ids": ids},
            "subject_template": "Please stop the Vale dam",
            "body_template": "Dear {{official_name}},\n\nPlease stop the Vale dam.\n\n"
            "Yours,\n{{activist_name}}",
            "min_length": 20,
            "max_length": 2000,
        }
        saved = http.put(f"/api/v1/staff/campaigns/{SLUG}/letter", json=setup, headers=staff)
        assert saved.status_code == 200, saved.text
        assert http.post(f"/api/v1/staff/campaigns/{SLUG}/publish", headers=staff).is_success
        written = http.post(
            f"/api/v1/campaigns/{SLUG}/letters",
            json={
                "given_name": "Ada",
                "family_name": "Lovelace",
                "email": "ada@example.org",
                "country": "GB",
                "consent": {"email_updates": False},
            },
        )
        assert written.status_code == 202, written.text
        [confirmation] = _wait_for_emails(outbox, 1)
        body = confirmation.get_body(preferencelist=("plain",))
        assert body is not None
        link = LETTER_CONFIRM.search(str(body.get_content()))
        assert link, "no confirmation link"
        assert http.get(link.group(1)).status_code == 200
        # The confirmation, a letter to each official and the activist's copy, written
        # by the server's worker, which then records them as sent.
        _wait_for_emails(outbox, 4)
        deadline = time.monotonic() + 15
        while _letters_sent(http, staff) < 2:
            assert time.monotonic() < deadline, "the letters were not recorded as sent"
            time.sleep(0.2)


def _letters_sent(http: httpx.Client, staff: dict[str, str]) -> int:
    answer = http.get(f"/api/v1/staff/campaigns/{SLUG}/letters", headers=staff)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["totals"]["to_officials"]["sent"])


def test_a_viewer_reads_letters_per_official_and_downloads_them(
    server: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, env = server
    _campaign(
        env,
        "staff",
        "create-user",
        "--email",
        "vi@example.org",
        "--name",
        "Vi",
        "--role",
        "viewer",
        password=PASSWORD,
    )
    token = _campaign(env, "staff", "create-token", "--name", "setup", "--role", "editor")
    _letter_written_and_confirmed(base, {"Authorization": f"Bearer {token}"}, tmp_path / "outbox")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1400}, accept_downloads=True)
            page.goto(f"{base}/staff/campaigns/{SLUG}")
            page.fill("#email", "vi@example.org")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            expect(page).to_have_url(f"{base}/staff/campaigns/{SLUG}")

            expect(page.locator("#letters-written")).to_have_text("1")
            expect(page.locator("#deliveries-sent")).to_have_text("2")
            rows = page.locator("#letters-per-official tbody tr")
            expect(rows).to_have_count(2)
            expect(rows.first).to_contain_text("Alex Morgan")
            expect(page.locator("#letters-per-official tfoot")).to_contain_text("All officials")
            # A viewer changes nothing: no Publish or Close here.
            expect(page.locator("form[action$='/close']")).to_have_count(0)
            page.screenshot(path=str(SCREENSHOTS / "dashboard-letter-numbers.png"), full_page=True)
            assert_accessible(page)
            assert_fits_phone(page)

            with page.expect_download() as downloading:
                page.click("#export-letters")
            download = downloading.value
            assert download.suggested_filename == f"{SLUG}-letters.csv"
            with Path(download.path()).open(encoding="utf-8", newline="") as file:
                header, *letters = list(csv.reader(file))
            assert header[:5] == ["id", "status", "given_name", "family_name", "email"]
            [ada] = letters
            assert ada[1:5] == ["confirmed", "Ada", "Lovelace", "ada@example.org"]
            assert "Please stop the Vale dam." in ada[header.index("body")]
        finally:
            browser.close()
