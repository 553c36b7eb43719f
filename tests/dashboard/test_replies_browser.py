"""Replies from officials in a real browser (headless Chromium against `campaign serve`):
two activists write to two officials; some weeks later (the letters' sending dates are
moved back, and a worker's first pass follows them up) each activist answers by a link
in the follow-up email, on the public answer page; staff read on the Replies tab how
responsive each official is. Every page passes axe and fits a phone."""

from __future__ import annotations

import csv
import re
import signal
import sqlite3
import subprocess
import time
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import httpx

from tests.dashboard.browser_steps import assert_words_whole, checked, log_in, staff_and_token
from tests.dashboard.test_browser import _campaign, server  # noqa: F401  (the fixture)
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium
from tests.fixtures.emails import read_emails, text_body
from tests.test_walkthrough import CAMPAIGN, _wait_for_emails

PASSWORD = "a password for the replies"
SLUG = "save-the-vale-orchards"
COLUMNS = ("id", "name", "title", "role", "organisation", "email", "country")
DIRECTORY = [
    ("test:jo-rivers", "Jo Rivers", "Foreign Secretary", "foreign_minister",
     "Foreign Office", "foreign.secretary@gov.example", "GB"),
    ("test:kit-lane", "Kit Lane", "Trade Secretary", "trade_minister",
     "Department for Trade", "trade.secretary@gov.example", "GB"),
]  # fmt: skip
LETTER_CONFIRM = re.compile(r"https?://\S+(/letters/confirm/[A-Za-z0-9_\-]+)")
ANSWER_LINK = re.compile(r"^\s+(Yes, they replied|No, no reply|Not yet):\s+https?://\S+?(/\S+)$")
OFFICIAL_LINE = re.compile(r"^(.+?), .+ \(your letter reached them on .+\):$")

pytestmark = needs_chromium


def test_activists_answer_the_follow_up_and_staff_read_the_replies(
    server: tuple[str, dict[str, str]],  # noqa: F811  (the fixture imported above)
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, env = server
    outbox = Path(env["CAMPAIGN_EMAIL_FILE_DIR"])
    staff = staff_and_token(env, "eli@example.org", PASSWORD)
    directory = tmp_path / "officials.csv"
    with directory.open("w", encoding="utf-8", newline="") as file:
        csv.writer(file).writerows([COLUMNS, *DIRECTORY])
    assert "2 created" in _campaign(env, "targets", "import", str(directory))
    with httpx.Client(base_url=base, timeout=10) as http:
        officials = http.get("/api/v1/staff/officials", headers=staff).json()["items"]
        campaign = {
            "slug": SLUG,
            "kind": "letter",
            "title": "Save the Vale orchards",
            "summary": "The ministers must refuse the licence to clear the old orchards.",
            "body_markdown": "Write to the two ministers who decide.",
            "target": "Ministers",
        }
        assert http.post("/api/v1/staff/campaigns", json=campaign, headers=staff).is_success
        setup = {
            "targets": {"kind": "fixed", "official_ids": [o["id"] for o in officials]},
            "subject_template": "Please refuse the orchard licence",
            "body_template": "Dear {{official_name}},\n\nPlease refuse the licence to clear "
            "the Vale orchards.\n\nYours sincerely,\n{{activist_name}}",
        }
        saved = http.put(f"/api/v1/staff/campaigns/{SLUG}/letter", json=setup, headers=staff)
        assert saved.status_code == 200, saved.text
        assert http.post(f"/api/v1/staff/campaigns/{SLUG}/publish", headers=staff).is_success
        for given, email in (("Ada", "ada@example.org"), ("Bea", "bea@example.org")):
            _write_and_confirm(http, outbox, given, email)
    # Two letters to two officials each, and each writer's copy.
    _wait_for_emails(outbox, 2 + 4 + 2)
    _letters_sent_weeks_ago(Path(env["CAMPAIGN_DATABASE_URL"].split("///", 1)[1]))
    followups = _follow_up_now(env, outbox)
    ada = _answer_links(followups["ada@example.org"])
    bea = _answer_links(followups["bea@example.org"])

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            activist = browser.new_page(viewport={"width": 1100, "height": 900})
            activist.goto(f"{base}{ada['Jo Rivers', 'Yes, they replied']}")
            expect(activist.locator("h1")).to_have_text("Did Jo Rivers reply?")
            checked(activist, "followup-question")
            activist.get_by_role("button", name="Answer: Yes, they replied").click()
            expect(activist.locator("h1")).to_have_text("Thank you")
            expect(activist.locator("main strong")).to_have_text("Yes, they replied")
            checked(activist, "followup-answered")
            activist.goto(f"{base}{ada['Kit Lane', 'Not yet']}")
            activist.get_by_role("button", name="Answer: Not yet").click()
            expect(activist.locator("main")).to_contain_text('the "yes" link in the same email')
            activist.goto(f"{base}{bea['Jo Rivers', 'No, no reply']}")
            activist.get_by_role("button", name="Answer: No reply").click()
            # The same link again shows the answer given so far.
            activist.goto(f"{base}{bea['Jo Rivers', 'No, no reply']}")
            expect(activist.locator("main")).to_contain_text("Your answer so far: No reply.")
            checked(activist, "followup-so-far")
            activist.goto(f"{base}/letters/followup/not-a-real-token")
            expect(activist.locator("main")).to_contain_text("not valid")
            checked(activist, "followup-invalid")

            page = browser.new_page(viewport={"width": 1100, "height": 1000})
            log_in(page, base, f"/staff/campaigns/{SLUG}/replies", "eli@example.org", PASSWORD)
            expect(page.locator("#replies-delivered")).to_have_text("4")
            expect(page.locator("#replies-asked")).to_have_text("4")
            expect(page.locator("#replies-answered")).to_have_text("3")
            expect(page.locator("#replies-yes")).to_have_text("1")
            jo = page.locator("#replies-per-official tr", has_text="Jo Rivers")
            expect(jo.locator("td.number")).to_have_text(
                ["2", "2", "2", "1", "1", "0", "50%", "21.0"]
            )
            kit = page.locator("#replies-per-official tr", has_text="Kit Lane")
            expect(kit.locator("td.number")).to_have_text(["2", "2", "1", "0", "0", "1", "0%", "–"])
            assert_words_whole(page, "#replies-per-official th")
            checked(page, "replies")
        finally:
            browser.close()


def _write_and_confirm(http: httpx.Client, outbox: Path, given: str, email: str) -> None:
    written = http.post(
        f"/api/v1/campaigns/{SLUG}/letters",
        json={
            "given_name": given,
            "family_name": "Tester",
            "email": email,
            "country": "GB",
            "postcode": "SW1A 1AA",
            "locality": "Vale",
            "consent": {"email_updates": False},
        },
    )
    assert written.status_code == 202, written.text
    for _ in range(150):
        asked = [
            e
            for e in read_emails(outbox)
            if e["To"].addresses[0].addr_spec == email and "onfirm" in str(e["Subject"])
        ]
        if asked:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"no confirmation email to {email}")
    link = LETTER_CONFIRM.search(text_body(asked[0]))
    assert link, text_body(asked[0])
    assert http.get(link.group(1)).status_code == 200


def _letters_sent_weeks_ago(database: Path) -> None:
    """As if the letters had gone three weeks ago: past the follow-up's fourteen days."""
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT id, sent_at FROM outbox_messages WHERE kind = 'letter_to_official'"
        ).fetchall()
        assert len(rows) == 4 and all(sent for _id, sent in rows)
        for message_id, sent_at in rows:
            earlier = datetime.fromisoformat(sent_at) - timedelta(days=21)
            db.execute(
                "UPDATE outbox_messages SET sent_at = ? WHERE id = ?",
                (earlier.strftime("%Y-%m-%d %H:%M:%S.%f"), message_id),
            )


def _follow_up_now(env: dict[str, str], outbox: Path) -> dict[str, EmailMessage]:
    """A worker's first pass looks for letters to follow up (the server's own looks once
    a minute); it runs until both follow-ups are written. Answers them by address."""
    before = len(read_emails(outbox))
    worker = subprocess.Popen([*CAMPAIGN, "worker"], env=env, stderr=subprocess.DEVNULL)
    try:
        _wait_for_emails(outbox, before + 2)
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=15) == 0
    found = {
        e["To"].addresses[0].addr_spec: e
        for e in read_emails(outbox)
        if "reply?" in str(e["Subject"])
    }
    assert set(found) == {"ada@example.org", "bea@example.org"}
    return found


def _answer_links(email: EmailMessage) -> dict[tuple[str, str], str]:
    """(official's name, the answer's words) → the path of that answer's link."""
    links: dict[tuple[str, str], str] = {}
    official = None
    for line in text_body(email).splitlines():
        if found := OFFICIAL_LINE.match(line):
            official = found.group(1)
        elif (found := ANSWER_LINK.match(line)) and official:
            links[(official, found.group(1))] = found.group(2)
    return links
