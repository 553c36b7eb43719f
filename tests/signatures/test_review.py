"""Staff mark signatures fraudulent or invalid with a reason, through the staff API, and
undo the mark: the public count and the metrics follow, and undoing restores exactly
the status the signature had."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from campaign.config import Settings
from campaign.db import transaction
from campaign.metrics.queries import current_signature_counts, signature_totals
from campaign.signatures.models import Signature
from campaign.signatures.service import count_signatures
from tests.conftest import signer
from tests.fixtures.emails import confirmation_path
from tests.metrics.conftest import Factory, RunPass, add_signatures, campaign_id, run_pass

__all__ = ["run_pass"]  # the fixture, imported for these tests

Publish = Callable[..., Awaitable[dict[str, Any]]]
SLUG = "stop-the-arms-trade"
PUBLIC = f"/api/v1/campaigns/{SLUG}"
SOME_TIME_AGO = datetime.now(UTC) - timedelta(hours=1)


def _status_url(signature_id: int | str) -> str:
    return f"/api/v1/staff/signatures/{signature_id}/status"


async def _public_count(client: httpx.AsyncClient) -> int:
    counts = (await client.get(PUBLIC)).json()["counts"]
    assert set(counts) == {"confirmed"}  # pending signatures are for staff only
    return int(counts["confirmed"])


async def _signature(factory: Factory, signature_id: int) -> Signature:
    async with transaction(factory) as session:
        found = await session.get(Signature, signature_id)
    assert found is not None
    return found


async def _mark(
    client: httpx.AsyncClient, headers: dict[str, str], signature_id: int, status: str
) -> httpx.Response:
    return await client.post(
        _status_url(signature_id),
        json={"status": status, "reason": f"{status} in review"},
        headers=headers,
    )


async def test_marking_a_confirmed_signature_invalid_takes_it_off_the_public_count(
    client: httpx.AsyncClient, editor: dict[str, str], publish_petition: Publish, factory: Factory
) -> None:
    await publish_petition()
    campaign = await campaign_id(factory, SLUG)
    first, _second = await add_signatures(
        factory, campaign, 2, status="confirmed", confirmed_at=SOME_TIME_AGO
    )
    assert await _public_count(client) == 2

    marked = await client.post(
        _status_url(first),
        json={"status": "invalidated", "reason": "  Signed twice under two addresses  "},
        headers=editor,
    )
    assert marked.status_code == 200, marked.text
    view = marked.json()
    assert view["status"] == "invalidated"
    assert view["status_before_review"] == "confirmed"
    assert view["review_reason"] == "Signed twice under two addresses"
    assert view["reviewed_at"] is not None
    assert await _public_count(client) == 1

    undone = await client.delete(_status_url(first), headers=editor)
    assert undone.status_code == 200, undone.text
    assert undone.json()["status"] == "confirmed"
    assert undone.json()["status_before_review"] is None
    assert await _public_count(client) == 2
    signature = await _signature(factory, first)
    assert (signature.status, signature.confirmed_at) == ("confirmed", SOME_TIME_AGO)
    assert (signature.review_reason, signature.reviewed_at) == (None, None)


async def test_the_counts_agree_with_the_rows_and_the_rollup_pass_after_marks(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    publish_petition: Publish,
    factory: Factory,
    run_pass: RunPass,
) -> None:
    """Marks on signatures the rollups have already counted, as created and as confirmed:
    the public count reads them as rare statuses, and a pass counts them again."""
    await publish_petition()
    campaign = await campaign_id(factory, SLUG)
    confirmed = await add_signatures(
        factory, campaign, 3, status="confirmed", confirmed_at=SOME_TIME_AGO
    )
    pending = await add_signatures(factory, campaign, 2)
    await run_pass()

    async def agree(expected: tuple[int, int, int, int]) -> None:
        async with transaction(factory) as session:
            fast = await current_signature_counts(session, campaign)
            slow = await count_signatures(session, campaign)
            rolled = await signature_totals(session, campaign)
        assert fast == slow
        assert (fast.confirmed, fast.pending, fast.fraudulent, fast.invalidated) == expected
        assert await _public_count(client) == expected[0]
        # The metrics' totals, as of the pass just run.
        assert (rolled.confirmed, rolled.pending, rolled.fraudulent, rolled.invalidated) == expected

    await agree((3, 2, 0, 0))
    # A confirmed signature marked fraudulent leaves the confirmed, not the pending.
    assert (await _mark(client, editor, confirmed[0], "fraudulent")).status_code == 200
    assert (await _mark(client, editor, confirmed[1], "invalidated")).status_code == 200
    assert (await _mark(client, editor, pending[0], "fraudulent")).status_code == 200
    await run_pass()
    await agree((1, 1, 2, 1))

    # Changing a mark keeps the status it replaced; undoing restores it.
    assert (await _mark(client, editor, confirmed[0], "invalidated")).status_code == 200
    assert (await _signature(factory, confirmed[0])).status_before_review == "confirmed"
    for signature_id in (confirmed[0], confirmed[1], pending[0]):
        assert (await client.delete(_status_url(signature_id), headers=editor)).status_code == 200
    await run_pass()
    await agree((3, 2, 0, 0))


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    ttl = getattr(request, "param", 0)
    return settings.model_copy(update={"public_count_cache_seconds": ttl})


@pytest.mark.parametrize("settings", [0.5], indirect=True)
async def test_the_public_count_follows_once_its_cache_expires(
    client: httpx.AsyncClient, editor: dict[str, str], publish_petition: Publish, factory: Factory
) -> None:
    await publish_petition()
    campaign = await campaign_id(factory, SLUG)
    [signature] = await add_signatures(
        factory, campaign, 1, status="confirmed", confirmed_at=SOME_TIME_AGO
    )
    await asyncio.sleep(0.6)
    assert await _public_count(client) == 1
    assert (await _mark(client, editor, signature, "invalidated")).status_code == 200
    assert await _public_count(client) == 1  # still the cached count
    await asyncio.sleep(0.6)
    assert await _public_count(client) == 0


async def test_a_marked_pending_signature_cannot_be_confirmed_until_the_mark_is_undone(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    publish_petition: Publish,
    factory: Factory,
    deliver_emails: Callable[[], Awaitable[list[Any]]],
) -> None:
    await publish_petition()
    assert (await client.post(f"{PUBLIC}/signatures", json=signer())).status_code == 202
    [email] = await deliver_emails()
    async with transaction(factory) as session:
        signature_id = await session.scalar(select(Signature.id))
    assert signature_id is not None

    assert (await _mark(client, editor, signature_id, "invalidated")).status_code == 200
    assert (await client.get(confirmation_path(email))).status_code == 404
    assert (await _signature(factory, signature_id)).status == "invalidated"

    assert (await client.delete(_status_url(signature_id), headers=editor)).status_code == 200
    assert (await _signature(factory, signature_id)).status == "pending"
    assert (await client.get(confirmation_path(email))).status_code == 200
    assert await _public_count(client) == 1


async def test_signing_again_does_not_reopen_a_signature_staff_marked_fraudulent(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    publish_petition: Publish,
    factory: Factory,
    deliver_emails: Callable[[], Awaitable[list[Any]]],
    settle_submissions: Callable[[], Awaitable[None]],
) -> None:
    await publish_petition()
    assert (await client.post(f"{PUBLIC}/signatures", json=signer())).status_code == 202
    await settle_submissions()
    async with transaction(factory) as session:
        signature_id = await session.scalar(select(Signature.id))
    assert signature_id is not None
    assert (await _mark(client, editor, signature_id, "fraudulent")).status_code == 200

    again = await client.post(f"{PUBLIC}/signatures", json=signer())
    assert again.status_code == 202
    await settle_submissions()
    assert (await _signature(factory, signature_id)).status == "fraudulent"
    assert len(await deliver_emails()) == 1  # the first confirmation only


async def test_a_signature_held_by_the_signing_limit_goes_back_to_held(
    client: httpx.AsyncClient, editor: dict[str, str], publish_petition: Publish, factory: Factory
) -> None:
    await publish_petition()
    campaign = await campaign_id(factory, SLUG)
    [held] = await add_signatures(factory, campaign, 1, status="fraudulent")
    marked = await _mark(client, editor, held, "invalidated")
    assert marked.json()["status_before_review"] == "fraudulent"
    undone = await client.delete(_status_url(held), headers=editor)
    assert undone.json()["status"] == "fraudulent"
    assert (await _signature(factory, held)).status_before_review is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "confirmed", "reason": "looks fine"}, "status"),
        ({"status": "deleted", "reason": "spam"}, "status"),
        ({"reason": "spam"}, "status"),
        ({"status": "invalidated"}, "reason"),
        ({"status": "invalidated", "reason": "   "}, "reason"),
        ({"status": "invalidated", "reason": "x" * 201}, "reason"),
        ({"status": "invalidated", "reason": "two\nlines"}, "reason"),
        ({"status": "invalidated", "reason": "spam", "by": "me"}, "by"),
    ],
)
async def test_bad_input_is_a_problem_naming_the_field(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    publish_petition: Publish,
    factory: Factory,
    body: dict[str, Any],
    field: str,
) -> None:
    await publish_petition()
    [signature] = await add_signatures(factory, await campaign_id(factory, SLUG), 1)
    answer = await client.post(_status_url(signature), json=body, headers=editor)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["field"] == field
    assert (await _signature(factory, signature)).status == "pending"


@pytest.mark.parametrize("signature_id", [str(2**63), str(2**64), "0", "-1", "one"])
async def test_an_id_no_row_can_have_is_a_problem_naming_it(
    client: httpx.AsyncClient, editor: dict[str, str], signature_id: str
) -> None:
    body = {"status": "invalidated", "reason": "spam"}
    for answer in (
        await client.post(_status_url(signature_id), json=body, headers=editor),
        await client.delete(_status_url(signature_id), headers=editor),
    ):
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["field"] == "signature_id"


async def test_a_signature_that_does_not_exist_or_has_no_mark(
    client: httpx.AsyncClient, editor: dict[str, str], publish_petition: Publish, factory: Factory
) -> None:
    body = {"status": "invalidated", "reason": "spam"}
    missing = await client.post(_status_url(2**63 - 1), json=body, headers=editor)
    assert missing.status_code == 404
    assert missing.json()["field"] == "signature_id"

    await publish_petition()
    [signature] = await add_signatures(factory, await campaign_id(factory, SLUG), 1)
    unmarked = await client.delete(_status_url(signature), headers=editor)
    assert unmarked.status_code == 409
    assert unmarked.headers["content-type"] == "application/problem+json"


async def test_only_an_editor_token_may_mark(
    client: httpx.AsyncClient,
    viewer: dict[str, str],
    admin: dict[str, str],
    publish_petition: Publish,
    factory: Factory,
) -> None:
    await publish_petition()
    [signature] = await add_signatures(factory, await campaign_id(factory, SLUG), 1)
    body = {"status": "invalidated", "reason": "spam"}
    anonymous = await client.post(_status_url(signature), json=body)
    assert anonymous.status_code == 401
    refused = await client.post(_status_url(signature), json=body, headers=viewer)
    assert refused.status_code == 403
    assert (await client.delete(_status_url(signature), headers=viewer)).status_code == 403
    assert (await _signature(factory, signature)).status == "pending"
    assert (await client.post(_status_url(signature), json=body, headers=admin)).status_code == 200


@pytest.fixture
def factory(session_factory: Factory) -> Factory:
    return session_factory
