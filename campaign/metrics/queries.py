"""The figures staff read: totals, a time series in the caller's time zone, breakdowns
by country and source, and the funnel from page views to donations. (A campaign's
signature counts now are counted in counts.py, re-exported here as
current_signature_counts for older callers; its letters in letters.py.)

Signatures, page views, emails and donations come from the rollups (rollup.py) and are
as fresh as the last pass (`as_of`); refunds are summed live from their partial index.
Letters are counted from their own tables: there are orders of magnitude fewer of them.
Totals cover all time; the series, breakdowns and funnel cover the window. Every
function takes a campaign id, or None for all campaigns together."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, case, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.db import SpareSessions, read_side_by_side
from campaign.donations.models import Donation, DonationPayment
from campaign.metrics.counts import counts_by_status
from campaign.metrics.counts import current_signature_counts as current_signature_counts
from campaign.metrics.letters import delivery_tallies
from campaign.metrics.models import (
    ALL_CAMPAIGNS,
    DonationHourly,
    DonationTotal,
    EmailTotal,
    PageViewDaily,
    PageViewRollup,
    RareStatusCount,
    RollupWatermark,
    SignatureCountryDaily,
    SignatureCountryRollup,
    SignatureHourly,
    SignatureSourceDaily,
    SignatureSourceRollup,
    SignatureTotal,
    SignatureUtmCampaignDaily,
    SignatureUtmCampaignRollup,
)
from campaign.metrics.schemas import Bucket, MetricsWindow
from campaign.signatures.schemas import SignatureCounts

# Signature counts have one shape wherever they are counted (campaign/metrics/counts.py).
SignatureTotals = SignatureCounts


@dataclass(frozen=True)
class LetterFigures:
    # One letter to one official is one email (or a place in a daily digest email).
    sent: int
    delivered: int


@dataclass(frozen=True)
class EmailFigures:
    sent: int
    delivered: int
    bounced: int
    opened: int
    unsubscribed: int


@dataclass(frozen=True)
class CurrencyFigures:
    currency: str
    payments: int
    received: int  # minor units (pence, cents), before refunds
    refunded: int


@dataclass(frozen=True)
class DonationFigures:
    donations: int  # donations with at least one payment received
    currencies: list[CurrencyFigures]


@dataclass(frozen=True)
class SeriesPoint:
    start: datetime  # the bucket's start in the caller's time zone
    created: int
    confirmed: int


@dataclass(frozen=True)
class Breakdown:
    key: str
    created: int
    confirmed: int
    page_views: int = 0


@dataclass(frozen=True)
class Funnel:
    page_views: int
    signatures: int
    confirmations: int
    donations: int


@dataclass(frozen=True)
class Totals:
    signatures: SignatureTotals
    letters: LetterFigures
    emails: EmailFigures
    donations: DonationFigures


@dataclass(frozen=True)
class Metrics:
    as_of: datetime | None  # rollups include everything up to this instant
    totals: Totals
    series: list[SeriesPoint]
    by_country: list[Breakdown]
    by_source: list[Breakdown]
    by_utm_campaign: list[Breakdown]
    funnel: Funnel
    window: MetricsWindow = field(repr=False)


async def read_metrics(
    session: AsyncSession,
    campaign_id: int | None,
    window: MetricsWindow,
    spare: SpareSessions | None = None,
) -> Metrics:
    """Everything the dashboard shows, for one campaign or all of them: three groups of
    reads, side by side on spare sessions where there are any (PostgreSQL), else one
    after another on `session`. Nothing is lost by reading them apart: on PostgreSQL
    each statement has always seen its own snapshot (READ COMMITTED), so a rollup pass
    committing between two of them was already seen by one and not the other."""
    (
        totals,
        (by_country, by_source, by_utm_campaign),
        (as_of, series, donations),
    ) = await read_side_by_side(
        session,
        [
            lambda own: _totals(own, campaign_id),
            lambda own: _breakdowns(own, campaign_id, window),
            lambda own: _over_time(own, campaign_id, window),
        ],
        spare,
    )
    return Metrics(
        as_of=as_of,
        totals=totals,
        series=series,
        by_country=by_country,
        by_source=by_source,
        by_utm_campaign=by_utm_campaign,
        # The same sums funnel() makes, from rows already read: the series covers the
        # same hours, and by_source holds every page view of the window.
        funnel=Funnel(
            page_views=sum(row.page_views for row in by_source),
            signatures=sum(point.created for point in series),
            confirmations=sum(point.confirmed for point in series),
            donations=donations,
        ),
        window=window,
    )


async def _totals(session: AsyncSession, campaign_id: int | None) -> Totals:
    return Totals(
        signatures=await signature_totals(session, campaign_id),
        letters=await letter_figures(session, campaign_id),
        emails=await email_figures(session, campaign_id),
        donations=await donation_figures(session, campaign_id),
    )


async def _breakdowns(
    session: AsyncSession, campaign_id: int | None, window: MetricsWindow
) -> tuple[list[Breakdown], list[Breakdown], list[Breakdown]]:
    return (
        await signatures_by_country(session, campaign_id, window),
        await signatures_by_source(session, campaign_id, window),
        await signatures_by_utm_campaign(session, campaign_id, window),
    )


async def _over_time(
    session: AsyncSession, campaign_id: int | None, window: MetricsWindow
) -> tuple[datetime | None, list[SeriesPoint], int]:
    return (
        await rollups_as_of(session),
        await signature_series(session, campaign_id, window),
        await _donations_begun(session, campaign_id, window),
    )


async def rollups_as_of(session: AsyncSession) -> datetime | None:
    return await session.scalar(select(RollupWatermark.confirmed_until))


async def signature_totals(session: AsyncSession, campaign_id: int | None) -> SignatureTotals:
    """Counts by current status, as of the last pass (see rollup.py for the algebra): the
    metrics' totals, beside their series and breakdowns. The counts a campaign shows now
    are current_signature_counts'."""
    key = _rollup_key(campaign_id)
    return (await signature_totals_by_campaign(session, [key]))[key]


async def signature_totals_by_campaign(
    session: AsyncSession, campaign_ids: Sequence[int]
) -> dict[int, SignatureTotals]:
    """The same for many campaigns at once (ALL_CAMPAIGNS among them if asked): two
    reads of a few rows each, however many signatures there are."""
    sums = {
        campaign: (int(created), int(confirmed))
        for campaign, created, confirmed in await session.execute(
            select(
                SignatureTotal.campaign_id, SignatureTotal.created, SignatureTotal.confirmed
            ).where(SignatureTotal.campaign_id.in_(campaign_ids))
        )
    }
    rare: defaultdict[int, defaultdict[tuple[str, bool], int]] = defaultdict(
        lambda: defaultdict(int)
    )
    for campaign, status, confirmed, count in await session.execute(
        select(
            RareStatusCount.campaign_id,
            RareStatusCount.status,
            RareStatusCount.confirmed,
            RareStatusCount.signatures,
        ).where(RareStatusCount.campaign_id.in_(campaign_ids))
    ):
        rare[campaign][(status, bool(confirmed))] = int(count)
    return {
        campaign: counts_by_status(*sums.get(campaign, (0, 0)), rare[campaign])
        for campaign in campaign_ids
    }


async def signature_series(
    session: AsyncSession, campaign_id: int | None, window: MetricsWindow
) -> list[SeriesPoint]:
    """Signatures created and confirmed per bucket. The database sums per UTC hour; the
    hours are then gathered into the caller's local hours or days (a DST day has 23 or
    25 hours), which needs the zone rules that only Python has on both databases."""
    rows = await session.execute(
        select(
            SignatureHourly.hour,
            func.sum(SignatureHourly.created),
            func.sum(SignatureHourly.confirmed),
        )
        .where(
            _of_rollup(SignatureHourly.campaign_id, campaign_id),
            *_in_window(SignatureHourly.hour, window),
        )
        .group_by(SignatureHourly.hour)
        .order_by(SignatureHourly.hour)
    )
    buckets: dict[datetime, list[int]] = {}
    # A day's bucket depends only on its local date: found once per date, not per hour.
    day_starts: dict[date, datetime] = {}
    for hour, created, confirmed in rows:
        local = hour.astimezone(window.zone)
        if window.bucket == Bucket.HOUR:
            start = local
        else:
            day_start = day_starts.get(local.date())
            if day_start is None:
                day_start = day_starts[local.date()] = local_bucket_start(hour, window)
            start = day_start
        totals = buckets.setdefault(start, [0, 0])
        totals[0] += int(created)
        totals[1] += int(confirmed)
    return [
        SeriesPoint(start, created, confirmed) for start, (created, confirmed) in buckets.items()
    ]


def local_bucket_start(hour: datetime, window: MetricsWindow) -> datetime:
    """The start, in the caller's zone, of the bucket a UTC hour falls in."""
    local = hour.astimezone(window.zone)
    if window.bucket == Bucket.HOUR:
        return local
    midnight = datetime(local.year, local.month, local.day, tzinfo=window.zone)
    # Round-trip through UTC so the offset is the one in force at midnight itself.
    return midnight.astimezone(UTC).astimezone(window.zone)


async def signatures_by_country(
    session: AsyncSession, campaign_id: int | None, window: MetricsWindow
) -> list[Breakdown]:
    rows = await _summed_by_key(
        session, (SignatureCountryRollup, SignatureCountryDaily), "country", campaign_id, window
    )
    return _largest_first([Breakdown(key, created, confirmed) for key, created, confirmed in rows])


async def signatures_by_source(
    session: AsyncSession, campaign_id: int | None, window: MetricsWindow
) -> list[Breakdown]:
    """Per source (UTM source, else referrer host, else "direct"), with page views."""
    rows = await _summed_by_key(
        session, (SignatureSourceRollup, SignatureSourceDaily), "source", campaign_id, window
    )
    views = await _page_views_by_source(session, campaign_id, window)
    breakdown = [
        Breakdown(key, created, confirmed, views.pop(key, 0)) for key, created, confirmed in rows
    ]
    breakdown += [Breakdown(key, 0, 0, count) for key, count in views.items()]
    return _largest_first(breakdown)


async def signatures_by_utm_campaign(
    session: AsyncSession, campaign_id: int | None, window: MetricsWindow
) -> list[Breakdown]:
    """Per UTM campaign (the `utm_campaign` a signature came with, or "(none)")."""
    rows = await _summed_by_key(
        session,
        (SignatureUtmCampaignRollup, SignatureUtmCampaignDaily),
        "utm_campaign",
        campaign_id,
        window,
    )
    return _largest_first([Breakdown(key, created, confirmed) for key, created, confirmed in rows])


def _largest_first(rows: list[Breakdown]) -> list[Breakdown]:
    return sorted(rows, key=lambda row: (-row.created, -row.page_views, row.key))


async def _page_views_by_source(
    session: AsyncSession, campaign_id: int | None, window: MetricsWindow
) -> dict[str, int]:
    rows = await _summed_by_key(
        session, (PageViewRollup, PageViewDaily), "source", campaign_id, window, ("views",)
    )
    return {key: views for key, views in rows}


async def _summed_by_key(
    session: AsyncSession,
    models: tuple[Any, Any],
    key: str,
    campaign_id: int | None,
    window: MetricsWindow,
    sums: tuple[str, ...] = ("created", "confirmed"),
) -> list[tuple[Any, ...]]:
    """The sums per key over the window: its whole UTC days from the daily rollup, its
    ragged ends from the hourly one (exactly the hours `_in_window` takes)."""
    days, hour_ranges = _split_window(window)
    statement = _sums_by_key(models, key, sums, days is not None, len(hour_ranges))
    edges: dict[str, Any] = {"rollup": _rollup_key(campaign_id)}
    if days is not None:
        edges |= {"days_from": days[0], "days_to": days[1]}
    for index, (start, end) in enumerate(hour_ranges):
        edges |= {f"hours_from_{index}": start, f"hours_to_{index}": end}
    rows = await session.execute(statement, edges)
    return [(row[0], *(int(value) for value in row[1:])) for row in rows]


@functools.cache
def _sums_by_key(
    models: tuple[Any, Any], key: str, sums: tuple[str, ...], whole_days: bool, hour_ranges: int
) -> Select[Any]:
    """The statement _summed_by_key runs, for one shape of window, its campaign and
    edges left as parameters: built once, not on every call (building a union costs
    more than running it on the rollups)."""
    hourly, daily = models
    ranges = [(daily, daily.day, "days_from", "days_to")] if whole_days else []
    ranges += [
        (hourly, hourly.hour, f"hours_from_{index}", f"hours_to_{index}")
        for index in range(hour_ranges)
    ]
    parts = [
        select(getattr(model, key).label("key"), *(getattr(model, name) for name in sums)).where(
            model.campaign_id == bindparam("rollup"),
            period >= bindparam(start),
            period < bindparam(end),
        )
        for model, period, start, end in ranges
    ]
    rows = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    return select(rows.c.key, *(func.sum(rows.c[name]) for name in sums)).group_by(rows.c.key)


def _split_window(
    window: MetricsWindow,
) -> tuple[tuple[datetime, datetime] | None, list[tuple[datetime, datetime]]]:
    """The window's whole UTC days, if any, and the hour ranges before and after them."""
    first_hour = window.start.replace(minute=0, second=0, microsecond=0)
    midnight = first_hour.replace(hour=0)
    first_day = midnight if midnight == first_hour else midnight + timedelta(days=1)
    last_day = window.end.replace(hour=0, minute=0, second=0, microsecond=0)
    if first_day >= last_day:
        return None, [(first_hour, window.end)]
    edges = [(first_hour, first_day), (last_day, window.end)]
    return (first_day, last_day), [(start, end) for start, end in edges if start < end]


async def funnel(session: AsyncSession, campaign_id: int | None, window: MetricsWindow) -> Funnel:
    """Page views, then signatures, confirmations and new donations, in the window."""
    views = sum((await _page_views_by_source(session, campaign_id, window)).values())
    created, confirmed = (
        await session.execute(
            select(
                func.coalesce(func.sum(SignatureHourly.created), 0),
                func.coalesce(func.sum(SignatureHourly.confirmed), 0),
            ).where(
                _of_rollup(SignatureHourly.campaign_id, campaign_id),
                *_in_window(SignatureHourly.hour, window),
            )
        )
    ).one()
    donations = await _donations_begun(session, campaign_id, window)
    return Funnel(int(views or 0), int(created), int(confirmed), donations)


async def _donations_begun(
    session: AsyncSession, campaign_id: int | None, window: MetricsWindow
) -> int:
    """Donations that began (had their first payment) in the window."""
    donations = await session.scalar(
        select(func.coalesce(func.sum(DonationHourly.donations), 0)).where(
            _of_rollup(DonationHourly.campaign_id, campaign_id),
            *_in_window(DonationHourly.hour, window),
        )
    )
    return int(donations or 0)


async def letter_figures(session: AsyncSession, campaign_id: int | None) -> LetterFigures:
    """Letters to officials handed to the provider, and those it reported delivered; a
    letter in a digest fares as its digest's email does (see campaign/metrics/letters.py)."""
    tally, _ = await delivery_tallies(session, campaign_id, per_official=False)
    return LetterFigures(tally.sent, tally.delivered)


async def email_figures(session: AsyncSession, campaign_id: int | None) -> EmailFigures:
    """Every email sent on a campaign's behalf (confirmations, letters, receipts)."""
    row = await session.get(EmailTotal, _rollup_key(campaign_id))
    if row is None:
        return EmailFigures(0, 0, 0, 0, 0)
    return EmailFigures(row.sent, row.delivered, row.bounced, row.opened, row.unsubscribed)


async def donation_figures(session: AsyncSession, campaign_id: int | None) -> DonationFigures:
    """Payments received (one-off gifts and each month of a monthly one), per currency,
    and the donations they belong to; refunds are of those payments."""
    rows = await session.execute(
        select(
            DonationTotal.currency,
            DonationTotal.donations,
            DonationTotal.payments,
            DonationTotal.received,
        )
        .where(_of_rollup(DonationTotal.campaign_id, campaign_id))
        .order_by(DonationTotal.currency)
    )
    received = {currency: (int(d), int(p), int(r)) for currency, d, p, r in rows}
    refunded = await _refunds(session, campaign_id)
    currencies = [
        CurrencyFigures(currency, payments, amount, refunded.get(currency, 0))
        for currency, (_, payments, amount) in received.items()
    ]
    return DonationFigures(sum(d for d, _, _ in received.values()), currencies)


async def _refunds(session: AsyncSession, campaign_id: int | None) -> dict[str, int]:
    """Refunded amounts per currency, of the payments the rollups have counted (read from
    the partial index of refunded payments; a campaign's through its donations' ids)."""
    mark = await session.scalar(select(RollupWatermark.paid_until))
    if mark is None:
        return {}
    of_campaign = (
        ()
        if campaign_id is None
        else (
            DonationPayment.donation_id.in_(
                select(Donation.id).where(Donation.campaign_id == campaign_id)
            ),
        )
    )
    rows = await session.execute(
        select(DonationPayment.currency, func.sum(DonationPayment.refunded_amount))
        .where(
            DonationPayment.refunded_amount > 0,
            DonationPayment.paid_at <= mark,
            DonationPayment.donation_id.is_not(None),
            DonationPayment.currency.is_not(None),
            *of_campaign,
        )
        .group_by(DonationPayment.currency)
    )
    return {str(currency): int(amount) for currency, amount in rows}


def _count_where(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _rollup_key(campaign_id: int | None) -> int:
    """Rollups hold every campaign's sums under ALL_CAMPAIGNS as well."""
    return ALL_CAMPAIGNS if campaign_id is None else campaign_id


def _of_rollup(column: Any, campaign_id: int | None) -> ColumnElement[bool]:
    return column == _rollup_key(campaign_id)


def _of_campaign(column: Any, campaign_id: int | None) -> tuple[ColumnElement[bool], ...]:
    return () if campaign_id is None else (column == campaign_id,)


def _in_window(hour: Any, window: MetricsWindow) -> tuple[ColumnElement[bool], ...]:
    """Hours that start in the window, the window's start rounded down to its hour."""
    first_hour = window.start.replace(minute=0, second=0, microsecond=0)
    return (hour >= first_hour, hour < window.end)
