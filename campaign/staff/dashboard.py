"""The numbers behind the staff dashboard, one function per table or chart. Signatures are
small SQL aggregates over the rows themselves, so a confirmation shows on the next
reload; page views exist only as the metrics rollups, so they come from there (as fresh
as the last rollup pass). Either kind can be switched to the rollups per function."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.campaigns.models import Campaign
from campaign.db import utcnow
from campaign.donations.models import Donation, DonationPayment
from campaign.metrics.queries import funnel as metrics_funnel
from campaign.metrics.schemas import Bucket, MetricsWindow, time_zone
from campaign.releases.models import CallToActionRecord
from campaign.signatures.models import Signature, SignatureStatus

# Signatures that count towards a campaign: pending ones may still be confirmed.
_COUNTED = (SignatureStatus.PENDING, SignatureStatus.CONFIRMED)
# A chart of more days than this shows the most recent ones.
MAX_DAYS_SHOWN = 90
# Countries beyond the largest ones are added up as one bar.
MAX_COUNTRIES_SHOWN = 10
OTHER_COUNTRIES = "other"
# Page views are summed from before the first campaign existed.
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


@dataclass(frozen=True)
class TextPart:
    """A run of a release's text; `call` is the call to action whose sentence it is."""

    text: str
    call: CallToActionRecord | None = None


async def campaigns_with_counts(session: AsyncSession, *, limit: int = 200) -> list[CampaignLine]:
    confirmed = func.count().filter(Signature.status == SignatureStatus.CONFIRMED)
    pending = func.count().filter(Signature.status == SignatureStatus.PENDING)
    rows = await session.execute(
        select(Campaign, confirmed, pending)
        .outerjoin(Signature, Signature.campaign_id == Campaign.id)
        .group_by(Campaign.id)
        .order_by(Campaign.created_at.desc(), Campaign.id.desc())
        .limit(limit)
    )
    return [CampaignLine(campaign, int(c), int(p)) for campaign, c, p in rows]


async def signatures_per_day(session: AsyncSession, campaign_id: int) -> list[tuple[date, int]]:
    """Counted signatures by the UTC day they were made, days without any included."""
    day = _utc_day(session, Signature.created_at)
    rows = await session.execute(
        select(day, func.count())
        .where(Signature.campaign_id == campaign_id, Signature.status.in_(_COUNTED))
        .group_by(day)
    )
    counts = {_as_date(value): int(count) for value, count in rows}
    if not counts:
        return []
    last = max(counts)
    first = max(min(counts), last - timedelta(days=MAX_DAYS_SHOWN - 1))
    days = (last - first).days + 1
    return [
        (first + timedelta(days=n), counts.get(first + timedelta(days=n), 0)) for n in range(days)
    ]


async def signatures_by_country(session: AsyncSession, campaign_id: int) -> list[tuple[str, int]]:
    """Counted signatures per country, largest first; the tail summed as 'other'."""
    rows = await session.execute(
        select(Signature.country, func.count().label("signatures"))
        .where(Signature.campaign_id == campaign_id, Signature.status.in_(_COUNTED))
        .group_by(Signature.country)
        .order_by(func.count().desc(), Signature.country)
    )
    countries = [(country, int(count)) for country, count in rows]
    if len(countries) <= MAX_COUNTRIES_SHOWN:
        return countries
    shown = countries[: MAX_COUNTRIES_SHOWN - 1]
    rest = sum(count for _, count in countries[MAX_COUNTRIES_SHOWN - 1 :])
    return [*shown, (OTHER_COUNTRIES, rest)]


async def signing_funnel(session: AsyncSession, campaign_id: int) -> Funnel:
    in_campaign = Signature.campaign_id == campaign_id
    counted = func.count().filter(Signature.status.in_(_COUNTED))
    confirmed = func.count().filter(Signature.status == SignatureStatus.CONFIRMED)
    signatures, confirmations = (
        await session.execute(select(counted, confirmed).where(in_campaign))
    ).one()
    # A donation counts once money arrived for it, whatever happened after.
    donations = await session.scalar(
        select(func.count(func.distinct(Donation.id)))
        .join(DonationPayment, DonationPayment.donation_id == Donation.id)
        .where(Donation.campaign_id == campaign_id, DonationPayment.paid_at.is_not(None))
    )
    return Funnel(
        page_views=await _page_views(session, campaign_id),
        signatures=int(signatures),
        confirmations=int(confirmations),
        donations=int(donations or 0),
    )


def release_text_parts(text: str, calls: Sequence[CallToActionRecord]) -> list[TextPart]:
    """The release text cut at each call's stored offsets, so a template can mark the
    sentences. Offsets outside the text, and a call overlapping one already marked, are
    left unmarked rather than trusted."""
    parts: list[TextPart] = []
    position = 0
    for call in sorted(calls, key=lambda c: (c.start, c.id)):
        if call.start < position or call.end <= call.start or call.end > len(text):
            continue
        if call.start > position:
            parts.append(TextPart(text[position : call.start]))
        parts.append(TextPart(text[call.start : call.end], call))
        position = call.end
    if position < len(text):
        parts.append(TextPart(text[position:]))
    return parts


async def _page_views(session: AsyncSession, campaign_id: int) -> int | None:
    window = MetricsWindow(
        start=_ALL_TIME, end=utcnow() + timedelta(hours=1), bucket=Bucket.DAY, zone=UTC_ZONE
    )
    views = (await metrics_funnel(session, campaign_id, window)).page_views
    return views or None


def _utc_day(session: AsyncSession, column: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        # Cast in UTC whatever the connection's time zone setting.
        return cast(func.timezone("UTC", column), Date)
    # SQLite stores UTC as text 'YYYY-MM-DD HH:MM:SS...'.
    return func.date(column)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
