"""A flood stopped in a real browser (headless Chromium against `campaign serve`, whose
embedded worker runs the job): an editor sees the flood's email domain rise on the
velocity page, counts its signatures, invalidates them with a reason, watches the job
finish, finds it in the log and reverses it. Every page passes axe and fits a phone."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.dashboard.test_browser import (
    _campaign,
    server,  # noqa: F401  (the fixture)
)
from tests.fixtures.accessibility import assert_accessible, assert_fits_phone
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, needs_chromium

PASSWORD = "a password for the abuse pages"
SLUG = "keep-the-library-open"
SIGNERS = [
    *[("Bot", f"Number{n}", f"bot{n}@flood.example", "GB") for n in range(3)],
    ("Dana", "Price", "dana@example.org", "IE"),
]

pytestmark = needs_chromium


def _wait_for_counts(http: httpx.Client, staff: dict[str, str], **wanted: int) -> dict[str, Any]:
    counts: dict[str, Any] = {}
    for _ in range(100):
        counts = http.get(f"/api/v1/staff/campaigns/{SLUG}", headers=staff).json()["counts"]
        if all(counts[name] == value for name, value in wanted.items()):
            return counts
        time.sleep(0.1)
    raise AssertionError(f"the counts never became {wanted}: {counts}")


def _check(page: Any, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"abuse-{name}.png"), full_page=True)
    assert_accessible(page)
    assert_fits_phone(page)


def _reload_until(page: Any, status: str) -> None:
    for _ in range(50):
        if page.locator("#job-status").inner_text() == status:
            return
        page.wait_for_timeout(200)
        page.reload()
    raise AssertionError(f"the job never became {status}")


def test_an_editor_stops_a_flood_and_reverses_it(
    server: tuple[str, dict[str, str]],  # noqa: F811  (the fixture imported above)
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, env = server
    _campaign(
        env,
        *("staff", "create-user", "--email", "ines@example.org", "--name", "Ines"),
        *("--role", "editor"),
        password=PASSWORD,
    )
    token = _campaign(env, "staff", "create-token", "--name", "setup", "--role", "editor")
    staff = {"Authorization": f"Bearer {token}"}
    petition = {
        "slug": SLUG,
        "title": "Keep the library open",
        "summary": "The council must keep the branch library open on Saturdays.",
        "body_markdown": "The library is the only warm room in the village in winter.",
        "target": "The borough council",
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
                    "consent": {"email_updates": False},
                },
            )
            assert signed.status_code in (201, 202), signed.text
        _wait_for_counts(http, staff, pending=4)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1200})
            page.goto(f"{base}/staff/login?next=/staff/campaigns/{SLUG}")
            page.fill("#email", "ines@example.org")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            expect(page).to_have_url(f"{base}/staff/campaigns/{SLUG}")
            page.click('nav.tabs a:text-is("Abuse")')

            expect(page.locator("#window-signatures")).to_have_text("4")
            domains = page.locator("#by-email_domain tbody tr")
            expect(domains.first).to_contain_text("flood.example")
            expect(page.locator("#by-email_domain")).not_to_contain_text("bot0")
            _check(page, "velocity")

            domains.first.locator("a", has_text="Invalidate").click()
            expect(page.locator("#email_domain")).to_have_value("flood.example")
            expect(page.locator("#matching-count")).to_have_text("3")
            _check(page, "count")
            page.fill("#reason", "Three bots from one throwaway domain")
            page.click('button:text-is("Invalidate 3 signatures")')

            expect(page.locator("h1")).to_contain_text("Invalidation job")
            _reload_until(page, "finished")
            expect(page.locator("#job-invalidated")).to_contain_text("3 of the 3 counted")
            expect(page.locator("#counts-after")).to_contain_text("1 pending, 3 invalidated")
            expect(page.locator("#changed tbody tr")).to_have_count(3)
            _check(page, "job")

            page.click('a:text-is("Invalidation log")')
            expect(page.locator("#jobs tbody tr")).to_have_count(1)
            expect(page.locator("#jobs")).to_contain_text("Three bots from one throwaway domain")
            expect(page.locator("#jobs")).to_contain_text("Ines")
            _check(page, "log")

            page.locator("#jobs a", has_text="Job").first.click()
            page.click('button:text-is("Reverse the job")')
            _reload_until(page, "reversed")
            expect(page.locator("#job-restored")).to_have_text("3")
            _check(page, "reversed")
        finally:
            browser.close()

    with httpx.Client(base_url=base, timeout=10) as http:
        counts = _wait_for_counts(http, staff, pending=4, invalidated=0)
    assert counts["invalidated"] == 0
