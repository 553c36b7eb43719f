"""The rollup passes: incremental from the high-water marks, status changes after a
pass, the safety lag, a rebuild that agrees with the passes, and two passes at once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from campaign.db import transaction
from campaign.donations.models import Donation, DonationPayment
from campaign.metrics.models import ALL_CAMPAIGNS, SignatureHourly
from campaign.metrics.queries import (
    CurrencyFigures,
    SignatureTotals,
    donation_figures,
    funnel,
    read_metrics,
    signature_totals,
)
from campaign.metrics.rollup import rebuild_rollups, update_rollups
from campaign.metrics.schemas import Bucket, metrics_window
from campaign.signatures.models import Signature
from tests.metrics.conftest import Factory, RunPass, add_signatures, campaign_id, set_status

Publish = Callable[..., Awaitable[dict[str, Any]]]
NOW = datetime.now(UTC)


async def totals(factory: Factory, campaign: int | None) -> SignatureTotals:
    async with transaction(factory) as session:
        return await signature_totals(session, campaign)


async def test_passes_add_only_what_is_new(
    publish_petition: Publish, session_factory: Factory, run_pass: RunPass
) -> None:
    await publish_petition()
    campaign = await campaign_id(session_factory, "stop-the-arms-trade")
    await add_signatures(session_factory, campaign, 3)
    first = await run_pass()
    assert (first.ran, first.signatures) == (True, 3)
    assert await totals(session_factory, campaign) == SignatureTotals(0, 3, 0, 0)

    await add_signatures(session_factory, campaign, 2)
    assert (await run_pass()).signatures == 2
    assert (await run_pass()).signatures == 0
    assert await totals(session_factory, campaign) == SignatureTotals(0, 5, 0, 0)


async def test_status_changes_after_a_pass_move_between_statuses(
    publish_petition: Publish, session_factory: Factory, run_pass: RunPass
) -> None:
    await publish_petition()
    campaign = await campaign_id(session_factory, "stop-the-arms-trade")
    ids = await add_signatures(session_factory, campaign, 5)
    [held] = await add_signatures(session_factory, campaign, 1, status="fraudulent")
    await run_pass()
    assert await totals(session_factory, campaign) == SignatureTotals(0, 5, 1, 0)

    confirmed_at = datetime.now(UTC)
    await set_status(session_factory, ids[:3], "confirmed", confirmed_at)
    assert (await run_pass()).confirmations == 3
    assert await totals(session_factory, campaign) == SignatureTotals(3, 2, 1, 0)

    # Staff invalidate one confirmed and one pending signature; the held one signs
    # again within the limit and is pending once more. None of this leaves a timestamp.
    await set_status(session_factory, [ids[0], ids[4]], "invalidated")
    await set_status(session_factory, [held], "pending")
    await run_pass()
    assert await totals(session_factory, campaign) == SignatureTotals(2, 2, 0, 2)


async def test_rows_younger_than_the_lag_wait_for_the_next_pass(
    publish_petition: Publish, session_factory: Factory
) -> None:
    await publish_petition()
    campaign = await campaign_id(session_factory, "stop-the-arms-trade")
    await add_signatures(session_factory, campaign, 2, at=NOW - timedelta(minutes=1))
    await add_signatures(session_factory, campaign, 1, at=NOW)
    async with transaction(session_factory) as session:
        done = await update_rollups(session, now=NOW + timedelta(seconds=5))
    assert done.signatures == 2
    async with transaction(session_factory) as session:
        done = await update_rollups(session, now=NOW + timedelta(minutes=1))
    assert done.signatures == 1


async def test_a_rebuild_gives_what_the_passes_gave(
    publish_petition: Publish, session_factory: Factory, run_pass: RunPass
) -> None:
    await publish_petition()
    await publish_petition(slug="second")
    first = await campaign_id(session_factory, "stop-the-arms-trade")
    second = await campaign_id(session_factory, "second")
    day = NOW - timedelta(days=2)
    ids = await add_signatures(session_factory, first, 4, at=day, country="FR", utm_source="mail")
    await run_pass()
    await add_signatures(session_factory, second, 3, at=day + timedelta(hours=5))
    # Confirmed now, as a confirmation is: after the first pass.
    await set_status(session_factory, ids[:2], "confirmed", datetime.now(UTC))
    await run_pass()
    await add_signatures(session_factory, first, 2, referrer="https://News.example.com/a?b=c")
    await set_status(session_factory, ids[2:3], "invalidated")
    await run_pass()

    window = metrics_window(NOW - timedelta(days=7), NOW, Bucket.HOUR, "UTC")
    async with transaction(session_factory) as session:
        incremental = [await read_metrics(session, c, window) for c in (first, second, None)]
    async with transaction(session_factory) as session:
        rebuilt_pass = await rebuild_rollups(session, lag=timedelta(0))
    assert (rebuilt_pass.signatures, rebuilt_pass.confirmations) == (9, 2)
    async with transaction(session_factory) as session:
        rebuilt = [await read_metrics(session, c, window) for c in (first, second, None)]
    for before, after in zip(incremental, rebuilt, strict=True):
        assert (before.totals, before.series, before.by_country, before.by_source) == (
            after.totals,
            after.series,
            after.by_country,
            after.by_source,
        )
    assert incremental[2].totals.signatures == SignatureTotals(2, 6, 0, 1)
    sources = {row.key: row.created for row in incremental[0].by_source}
    assert sources == {"mail": 4, "news.example.com": 2}


async def test_two_passes_at_once_count_each_signature_once(
    publish_petition: Publish, session_factory: Factory, on_postgres: bool
) -> None:
    if not on_postgres:
        pytest.skip("SQLite runs one writer at a time: two passes cannot overlap")
    await publish_petition()
    campaign = await campaign_id(session_factory, "stop-the-arms-trade")
    await add_signatures(session_factory, campaign, 50)

    async with session_factory() as holder, holder.begin():
        assert (await update_rollups(holder, lag=timedelta(0))).ran
        # While the first pass's transaction is open, a second one steps aside.
        async with transaction(session_factory) as other:
            assert not (await update_rollups(other, lag=timedelta(0))).ran

    await add_signatures(session_factory, campaign, 30)

    async def one_pass() -> int:
        async with transaction(session_factory) as session:
            return (await update_rollups(session, lag=timedelta(0))).signatures

    done = await asyncio.gather(*(one_pass() for _ in range(4)))
    assert sum(done) == 30
    async with transaction(session_factory) as session:
        rolled = await session.scalar(
            select(func.sum(SignatureHourly.created)).where(
                SignatureHourly.campaign_id != ALL_CAMPAIGNS
            )
        )
    assert rolled == 80
    assert await totals(session_factory, campaign) == SignatureTotals(0, 80, 0, 0)


async def test_a_monthly_donation_counts_once_however_many_months_it_pays(
    publish_petition: Publish, session_factory: Factory, run_pass: RunPass
) -> None:
    await publish_petition()
    campaign = await campaign_id(session_factory, "stop-the-arms-trade")
    async with transaction(session_factory) as session:
        [signature] = await add_signatures(session_factory, campaign, 1)
        person = await session.scalar(select(Signature.person_id).where(Signature.id == signature))
        gift = Donation(
            campaign_id=campaign,
            person_id=person,
            frequency="monthly",
            amount=1000,
            currency="gbp",
            status="active",
            request_key="monthly",
        )
        session.add(gift)
        await session.flush()
        gift_id = gift.id

    async def pay(month: int, refunded: int = 0) -> None:
        async with transaction(session_factory) as session:
            session.add(
                DonationPayment(
                    payment_intent_id=f"pi_{month}",
                    donation_id=gift_id,
                    amount=1000,
                    currency="gbp",
                    paid_at=datetime.now(UTC),  # as the webhook sets it
                    refunded_amount=refunded,
                )
            )

    async def figures() -> tuple[int, list[CurrencyFigures], int]:
        window = metrics_window(NOW - timedelta(days=30), None, Bucket.DAY, "UTC")
        async with transaction(session_factory) as session:
            donations = await donation_figures(session, campaign)
            began = (await funnel(session, None, window)).donations
        return donations.donations, donations.currencies, began

    await pay(1)
    await run_pass()
    assert await figures() == (1, [CurrencyFigures("gbp", 1, 1000, 0)], 1)
    await pay(2, refunded=400)
    await run_pass()
    expected = (1, [CurrencyFigures("gbp", 2, 2000, 400)], 1)
    assert await figures() == expected
    async with transaction(session_factory) as session:
        assert (await rebuild_rollups(session, lag=timedelta(0))).payments == 2
    assert await figures() == expected
