"""The numbers behind the staff dashboard, one function per table or chart. They come
from campaign/metrics, so a page costs the same at five signatures or five million: the
charts from the rollups, as fresh as the last pass (which the pages say); the counts of
signatures by status exact now, the same counts the public page and the staff API show
(campaign/metrics/counts.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.campaigns.models import Campaign
from campaign.db import utcnow
from campaign.metrics import queries as metrics
from campaign.metrics.counts import signature_counts_by_campaign
from campaign.metrics.schemas import Bucket, MetricsWindow, time_zone
from campaign.releases.drafting import is_pronoun
from campaign.releases.models import OPEN_FOR_REVIEW, CallStatus, CallToActionRecord

# A chart of more days than this shows the most recent ones.
MAX_DAYS_SHOWN = 90
# Countries beyond the largest ones are added up as one bar.
MAX_COUNTRIES_SHOWN = 10
OTHER_COUNTRIES = "other"
# All time: from before the first campaign existed.
_ALL_TIME = datetime(2000, 1, 1, tzinfo=UTC)
UTC_ZONE = time_zone("UTC")


@dataclass(frozen=True)
class CampaignLine:
    campaign: Campaign
    confirmed: int
    pending: int


@dataclass(frozen=True)
class Funnel:
    # None when no page view has been recorded: an embed or an API client may not send
    # them, and unknown is not zero.
    page_views: int | None
    signatures: int
    confirmations: int
    donations: int


async def campaigns_with_counts(session: AsyncSession, *, limit: int = 200) -> list[CampaignLine]:
    found = list(
        await session.scalars(
            select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc()).limit(limit)
        )
    )
    counts = await signature_counts_by_campaign(session, [c.id for c in found])
    return [
        CampaignLine(campaign, counts[campaign.id].confirmed, counts[campaign.id].pending)
        for campaign in found
    ]


async def signatures_per_day(session: AsyncSession, campaign_id: int) -> list[tuple[date, int]]:
    """Signatures made per UTC day (whatever became of them), days without any included."""
    end = utcnow()
    window = MetricsWindow(end - timedelta(days=MAX_DAYS_SHOWN), end, Bucket.DAY, UTC_ZONE)
    series = await metrics.signature_series(session, campaign_id, window)
    counts = {point.start.date(): point.created for point in series if point.created}
    if not counts:
        return []
    first, last = min(counts), max(counts)
    return [
        (first + timedelta(days=n), counts.get(first + timedelta(days=n), 0))
        for n in range((last - first).days + 1)
    ]


async def signatures_by_country(session: AsyncSession, campaign_id: int) -> list[tuple[str, int]]:
    """Signatures made per country, largest first; the tail summed as 'other'."""
    rows = await metrics.signatures_by_country(session, campaign_id, _all_time())
    countries = [(row.key, row.created) for row in rows]
    if len(countries) <= MAX_COUNTRIES_SHOWN:
        return countries
    shown = countries[: MAX_COUNTRIES_SHOWN - 1]
    rest = sum(count for _, count in countries[MAX_COUNTRIES_SHOWN - 1 :])
    return [*shown, (OTHER_COUNTRIES, rest)]


async def signing_funnel(session: AsyncSession, campaign_id: int) -> Funnel:
    """All time: page views, signatures made, confirmations, donations begun."""
    funnel = await metrics.funnel(session, campaign_id, _all_time())
    return Funnel(
        page_views=funnel.page_views or None,
        signatures=funnel.signatures,
        confirmations=funnel.confirmations,
        donations=funnel.donations,
    )


def _all_time() -> MetricsWindow:
    return MetricsWindow(_ALL_TIME, utcnow() + timedelta(hours=1), Bucket.DAY, UTC_ZONE)


@dataclass(frozen=True)
class TextPart:
    """A run of a release's text; `call` is the call to action whose sentence it is."""

    text: str
    call: CallToActionRecord | None = None


def release_text_parts(text: str, calls: Sequence[CallToActionRecord]) -> list[TextPart]:
    """The release text cut at each call's stored offsets, so a template can mark the
    sentences. Offsets outside the text are left unmarked rather than trusted; a call
    that overlaps one already marked (staff may add one that shares up to half) is
    marked from where that one ends, and not at all if nothing of it is left."""
    parts: list[TextPart] = []
    position = 0
    for call in sorted(calls, key=lambda c: (c.start, c.id)):
        if call.start < 0 or call.end <= max(call.start, position) or call.end > len(text):
            continue
        start = max(call.start, position)
        if start > position:
            parts.append(TextPart(text[position:start]))
        parts.append(TextPart(text[start : call.end], call))
        position = call.end
    if position < len(text):
        parts.append(TextPart(text[position:]))
    return parts


@dataclass(frozen=True)
class CallLine:
    """A call to action as the release page lists it: its number in the order of the
    text, and who must act with pronouns shown as what they stand for."""

    number: int
    call: CallToActionRecord
    addressees: list[str]


@dataclass(frozen=True)
class ReleaseReview:
    proposed: list[CallLine]
    # The calls the extractor was unsure of, listed apart so they are looked at apart.
    possible: list[CallLine]
    # Accepted, rejected or merged: decided already.
    reviewed: list[CallLine]
    parts: list[TextPart]


def release_review(text: str, calls: Sequence[CallToActionRecord]) -> ReleaseReview:
    in_order = sorted(calls, key=lambda c: (c.start, c.id))
    lines = [CallLine(n, call, addressees(call)) for n, call in enumerate(in_order, 1)]
    return ReleaseReview(
        proposed=[line for line in lines if line.call.status == CallStatus.PROPOSED],
        possible=[line for line in lines if line.call.status == CallStatus.POSSIBLE],
        reviewed=[line for line in lines if line.call.status not in OPEN_FOR_REVIEW],
        parts=release_text_parts(text, in_order),
    )


def addressees(call: CallToActionRecord) -> list[str]:
    """Who must act, as written, with each pronoun followed by what the extractor found it
    stands for ("it → Israel"): the pronoun alone says nothing to staff."""
    if not call.resolved_targets:
        return list(call.targets)
    antecedents = ", ".join(call.resolved_targets)
    return [
        f"{target} → {antecedents}" if is_pronoun(target) else target for target in call.targets
    ]
