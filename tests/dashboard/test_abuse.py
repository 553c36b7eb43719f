"""A petition's floods on the dashboard: the velocity page, criteria counted and
confirmed, the job run by the worker, cancelled and reversed from its page, the log;
viewers see it all and change nothing."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx

from campaign.signatures.invalidations import run_invalidations
from campaign.staff.models import Role
from tests.dashboard.conftest import LogIn, MakeUser, csrf_token_in
from tests.metrics.conftest import Factory
from tests.signatures.test_invalidations import SLUG, add_signature, campaign, statuses

__all__ = ["campaign"]  # the fixture, imported for these tests

PAGES = f"/staff/campaigns/{SLUG}/abuse"
JOB_PATH = re.compile(rf"{PAGES}/invalidations/(\d+)")


async def _flood(factory: Factory, campaign: int) -> list[int]:
    flood = [await add_signature(factory, campaign, domain="flood.example") for _ in range(3)]
    await add_signature(factory, campaign, ip="203.0.113.50", domain="example.net")
    return flood


def _hidden(page: httpx.Response) -> dict[str, str]:
    """The confirmation form's fields, as the browser would post them."""
    form = page.text.split('class="confirm-form"', 1)[1].split("</form>", 1)[0]
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)
    }


async def test_the_velocity_page_shows_groups_without_addresses(
    editor_session: httpx.AsyncClient, campaign: int, session_factory: Factory
) -> None:
    await _flood(session_factory, campaign)
    page = await editor_session.get(PAGES)
    assert page.status_code == 200, page.text
    assert 'aria-current="page">Abuse</a>' in page.text
    assert "flood.example" in page.text
    assert "192.0.2.0/24" in page.text
    assert "signer" not in page.text  # the local part of an address never shows
    assert f"{PAGES}/invalidate?email_domain=flood.example" in page.text
    day = await editor_session.get(f"{PAGES}?window=day")
    assert 'aria-current="page">Last 24 hours</a>' in day.text


async def test_criteria_are_counted_confirmed_and_run_by_the_worker(
    editor_session: httpx.AsyncClient, campaign: int, session_factory: Factory
) -> None:
    flood = await _flood(session_factory, campaign)
    counted = await editor_session.get(f"{PAGES}/invalidate?email_domain=flood.example")
    assert counted.status_code == 200, counted.text
    assert '<strong id="matching-count">3</strong>' in counted.text
    fields = _hidden(counted)
    assert fields["email_domain"] == "flood.example"
    assert fields["expected_count"] == "3"

    started = await editor_session.post(
        f"{PAGES}/invalidations", data={**fields, "reason": "Bots from one domain"}
    )
    assert started.status_code == 303, started.text
    match = JOB_PATH.match(started.headers["location"])
    assert match
    job = await editor_session.get(started.headers["location"])
    assert '<dd id="job-status">running</dd>' in job.text
    assert "Cancel the job" in job.text

    await run_invalidations(session_factory)
    assert await statuses(session_factory, flood) == ["invalidated"] * 3
    job = await editor_session.get(started.headers["location"])
    assert '<dd id="job-status">finished</dd>' in job.text
    assert "0 confirmed, 1 pending, 3 invalidated" in job.text
    assert "Reverse the job" in job.text
    assert job.text.count("<tr data-signature=") == 3

    log = await editor_session.get(f"{PAGES}/invalidations")
    assert f'<tr data-job="{match.group(1)}">' in log.text
    assert "Bots from one domain" in log.text
    assert "Email domain: flood.example" in log.text
    assert "Test editor" in log.text

    reversed_ = await editor_session.post(
        f"{match.group(0)}/reverse", data={"csrf_token": csrf_token_in(job)}
    )
    assert reversed_.status_code == 303
    await run_invalidations(session_factory)
    job = await editor_session.get(started.headers["location"])
    assert '<dd id="job-status">reversed</dd>' in job.text
    assert '<dd id="job-restored">3</dd>' in job.text
    assert await statuses(session_factory, flood) == ["pending"] * 3


async def test_a_job_is_cancelled_from_its_page(
    editor_session: httpx.AsyncClient, campaign: int, session_factory: Factory
) -> None:
    flood = await _flood(session_factory, campaign)
    counted = await editor_session.get(f"{PAGES}/invalidate?ip_prefix=192.0.2.0/24")
    started = await editor_session.post(
        f"{PAGES}/invalidations", data={**_hidden(counted), "reason": "Flood"}
    )
    job_url = started.headers["location"].partition("?")[0]
    job = await editor_session.get(job_url)
    cancelled = await editor_session.post(
        f"{job_url}/cancel", data={"csrf_token": csrf_token_in(job)}
    )
    assert cancelled.status_code == 303
    assert await run_invalidations(session_factory) == 0
    job = await editor_session.get(job_url)
    assert '<dd id="job-status">cancelled</dd>' in job.text
    assert "Cancelled</dt>" in job.text
    assert await statuses(session_factory, flood) == ["pending"] * 3

    again = await editor_session.post(f"{job_url}/cancel", data={"csrf_token": csrf_token_in(job)})
    assert again.status_code == 409
    assert 'role="alert"' in again.text


async def test_bad_criteria_and_a_stale_count_are_shown_on_the_form(
    editor_session: httpx.AsyncClient, campaign: int, session_factory: Factory
) -> None:
    await _flood(session_factory, campaign)
    bad = await editor_session.get(f"{PAGES}/invalidate?ip_prefix=10.0.0.0/8&country=XX1")
    assert bad.status_code == 422
    assert 'id="ip_prefix-error"' in bad.text
    assert 'id="country-error"' in bad.text
    assert "matching-count" not in bad.text

    window = await editor_session.get(
        f"{PAGES}/invalidate?signed_from=2026-01-01T00:00&signed_until=2026-01-01T00:00"
    )
    assert window.status_code == 422
    assert "The time window must end after it starts." in window.text

    counted = await editor_session.get(f"{PAGES}/invalidate?email_domain=flood.example")
    fields = _hidden(counted)
    stale = await editor_session.post(
        f"{PAGES}/invalidations", data={**fields, "expected_count": "2", "reason": "Flood"}
    )
    assert stale.status_code == 409
    assert "3 signatures match these criteria now, not 2" in html.unescape(stale.text)
    assert '<strong id="matching-count">3</strong>' in stale.text

    no_reason = await editor_session.post(f"{PAGES}/invalidations", data={**fields, "reason": ""})
    assert no_reason.status_code == 422
    assert 'id="reason-error"' in no_reason.text


async def test_viewers_see_the_pages_but_no_forms(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    log_in: LogIn,
    editor: dict[str, str],
    campaign: int,
    session_factory: Factory,
) -> None:
    await _flood(session_factory, campaign)
    started = await client.post(
        f"/api/v1/staff/campaigns/{SLUG}/invalidations",
        json={
            "criteria": {"email_domain": "flood.example"},
            "reason": "Flood",
            "expected_count": 3,
            "up_to_signature_id": 4,
        },
        headers=editor,
    )
    assert started.status_code == 201, started.text
    job: dict[str, Any] = started.json()
    await run_invalidations(session_factory)
    await make_user("viewer@example.org", Role.VIEWER)
    assert (await log_in("viewer@example.org")).status_code == 303

    velocity = await client.get(PAGES)
    assert velocity.status_code == 200
    assert "/abuse/invalidate?" not in velocity.text
    counted = await client.get(f"{PAGES}/invalidate?email_domain=flood.example")
    assert '<strong id="matching-count">0</strong>' in counted.text  # taken by the job
    assert 'class="confirm-form"' not in counted.text
    page = await client.get(f"{PAGES}/invalidations/{job['id']}")
    assert page.status_code == 200
    assert '<dd id="job-status">finished</dd>' in page.text
    assert "Reverse the job" not in page.text
    refused = await client.post(
        f"{PAGES}/invalidations/{job['id']}/reverse", data={"csrf_token": csrf_token_in(page)}
    )
    assert refused.status_code == 403
    missing = await client.get(f"{PAGES}/invalidations/999")
    assert missing.status_code == 404
