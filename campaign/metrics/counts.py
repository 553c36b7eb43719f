"""A campaign's signature counts by status, counted in one place: the public count, the
staff API's campaign and the dashboard's list of campaigns all read them from here.

They are exact now without counting every row: the rollups up to their high-water
marks, plus the rows past them (seconds' worth), plus what changed on rows already
rolled up (late confirmations, and the rare statuses, counted again through their small
partial index). See rollup.py for the algebra; `counts_by_status` is it.

The public count is the confirmed signatures alone (public_signature_count): pending
ones are for staff, since a pending count that rose for a new address and not for a known
one would tell anyone watching it who had signed.

The counts a public page shows are served from a per-process cache of a second or two:
under a surge every page load asks for the same number, and it only needs to be about
right for that long. When an entry expires, one request counts again and the others that arrive
meanwhile wait for its answer instead of counting too."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.metrics.models import RollupWatermark, SignatureTotal
from campaign.signatures.models import Signature, SignatureStatus
from campaign.signatures.schemas import SignatureCounts

# (status, whether the signature was ever confirmed) → signatures
RareCounts = Mapping[tuple[str, bool], int]


def counts_by_status(created: int, confirmations: int, rare: RareCounts) -> SignatureCounts:
    """Counts by current status from facts that never change once true (signatures
    created, confirmations made) and the rare statuses now. Staff may mark a signature
    fraudulent or invalid before or after it was confirmed, so
    confirmed = confirmations - those marked after confirming, and
    pending = created - confirmations - those marked (or held) before confirming."""
    rare_statuses = (SignatureStatus.FRAUDULENT, SignatureStatus.INVALIDATED)
    after_confirming = sum(rare.get((status, True), 0) for status in rare_statuses)
    before_confirming = sum(rare.get((status, False), 0) for status in rare_statuses)
    fraudulent, invalidated = (
        rare.get((status, False), 0) + rare.get((status, True), 0) for status in rare_statuses
    )
    return SignatureCounts(
        confirmed=confirmations - after_confirming,
        pending=created - confirmations - before_confirming,
        fraudulent=fraudulent,
        invalidated=invalidated,
    )


def public_signature_count(counts: SignatureCounts) -> int:
    """The one number the public sees: confirmed signatures."""
    return counts.confirmed


async def current_signature_counts(session: AsyncSession, campaign_id: int) -> SignatureCounts:
    """One campaign's exact counts by status now."""
    return (await signature_counts_by_campaign(session, [campaign_id]))[campaign_id]


async def signature_counts_by_campaign(
    session: AsyncSession, campaign_ids: Sequence[int]
) -> dict[int, SignatureCounts]:
    """Exact counts by status now for each campaign asked about, in four grouped reads
    however many campaigns and signatures there are."""
    if not campaign_ids:
        return {}
    ids = list(dict.fromkeys(campaign_ids))
    mark = await session.get(RollupWatermark, 1)
    if mark is None or mark.confirmed_until is None:
        # No pass has run yet: the rows are all there is.
        return await _counted_from_rows(session, ids)
    in_campaigns = Signature.campaign_id.in_(ids)
    rolled_up = (in_campaigns, Signature.id <= mark.signature_id)
    sums = {
        campaign: (int(created), int(confirmed))
        for campaign, created, confirmed in await session.execute(
            select(
                SignatureTotal.campaign_id, SignatureTotal.created, SignatureTotal.confirmed
            ).where(SignatureTotal.campaign_id.in_(ids))
        )
    }
    # Rows already counted as created whose confirmation is newer than the last pass.
    late = {
        campaign: int(count)
        for campaign, count in await session.execute(
            select(Signature.campaign_id, func.count())
            .where(*rolled_up, Signature.confirmed_at > mark.confirmed_until)
            .group_by(Signature.campaign_id)
        )
    }
    was_confirmed = Signature.confirmed_at.is_not(None)
    rare: defaultdict[int, dict[tuple[str, bool], int]] = defaultdict(dict)
    for campaign, status, confirmed, count in await session.execute(
        select(Signature.campaign_id, Signature.status, was_confirmed, func.count())
        .where(
            *rolled_up,
            Signature.status.in_([SignatureStatus.FRAUDULENT, SignatureStatus.INVALIDATED]),
        )
        .group_by(Signature.campaign_id, Signature.status, was_confirmed)
    ):
        rare[campaign][(status, bool(confirmed))] = int(count)
    newer = await _rows_by_status(session, ids, Signature.id > mark.signature_id)
    counts = {}
    for campaign in ids:
        created, confirmations = sums.get(campaign, (0, 0))
        rolled = counts_by_status(created, confirmations + late.get(campaign, 0), rare[campaign])
        counts[campaign] = _plus(rolled, newer.get(campaign, {}))
    return counts


async def signature_counts_by_version(
    session: AsyncSession, campaign_id: int
) -> dict[str, SignatureCounts]:
    """One campaign's counts by status, split by the language version each signature
    was made on. The parts add up to the campaign's one count: a signature belongs to
    the campaign and to exactly one version. Read from the rows (for a staff page, not
    the public's): the rollups are kept per campaign."""
    found: defaultdict[str, dict[str, int]] = defaultdict(dict)
    for language, status, count in await session.execute(
        select(Signature.language, Signature.status, func.count())
        .where(Signature.campaign_id == campaign_id)
        .group_by(Signature.language, Signature.status)
    ):
        found[language][status] = int(count)
    return {language: _plus(SignatureCounts(), rows) for language, rows in sorted(found.items())}


async def _counted_from_rows(
    session: AsyncSession, campaign_ids: list[int]
) -> dict[int, SignatureCounts]:
    by_status = await _rows_by_status(session, campaign_ids)
    return {
        campaign: _plus(SignatureCounts(), by_status.get(campaign, {})) for campaign in campaign_ids
    }


async def _rows_by_status(
    session: AsyncSession, campaign_ids: list[int], *conditions: ColumnElement[bool]
) -> dict[int, dict[str, int]]:
    found: defaultdict[int, dict[str, int]] = defaultdict(dict)
    for campaign, status, count in await session.execute(
        select(Signature.campaign_id, Signature.status, func.count())
        .where(Signature.campaign_id.in_(campaign_ids), *conditions)
        .group_by(Signature.campaign_id, Signature.status)
    ):
        found[campaign][status] = int(count)
    return found


def _plus(counts: SignatureCounts, rows: Mapping[str, int]) -> SignatureCounts:
    return SignatureCounts(
        confirmed=counts.confirmed + rows.get(SignatureStatus.CONFIRMED, 0),
        pending=counts.pending + rows.get(SignatureStatus.PENDING, 0),
        fraudulent=counts.fraudulent + rows.get(SignatureStatus.FRAUDULENT, 0),
        invalidated=counts.invalidated + rows.get(SignatureStatus.INVALIDATED, 0),
    )


class SignatureCountCache:
    def __init__(self, ttl_seconds: float = 1.0, max_entries: int = 1000) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._entries: dict[int, tuple[float, SignatureCounts]] = {}
        self._counting: dict[int, asyncio.Future[SignatureCounts]] = {}

    async def get(self, session: AsyncSession, campaign_id: int) -> SignatureCounts:
        entry = self._entries.get(campaign_id)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        in_flight = self._counting.get(campaign_id)
        if in_flight is not None:
            return await asyncio.shield(in_flight)
        return await self._recount(session, campaign_id)

    async def _recount(self, session: AsyncSession, campaign_id: int) -> SignatureCounts:
        future: asyncio.Future[SignatureCounts] = asyncio.get_running_loop().create_future()
        self._counting[campaign_id] = future
        try:
            counts = await current_signature_counts(session, campaign_id)
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: waiters re-raise it, nobody else need
            raise
        finally:
            del self._counting[campaign_id]
        if len(self._entries) >= self.max_entries:
            self._entries.clear()  # bounded; a refill costs one count per campaign
        self._entries[campaign_id] = (time.monotonic() + self.ttl_seconds, counts)
        future.set_result(counts)
        return counts
