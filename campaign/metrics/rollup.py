"""Keeping the rollups up to date: an incremental pass from the high-water marks, and a
rebuild from nothing.

Why the rollups only add. Signing stays one statement and nothing per signature touches
a shared row; a pass aggregates afterwards. A signature's status changes after it is
written (pending to confirmed, fraudulent back to pending when the person signs again
within the limit, confirmed or pending to fraudulent or invalidated by staff and back
when they undo it), and most of those changes leave no timestamp behind, so counts
by *current* status cannot be kept by adding deltas. The rollups therefore hold only
facts that never change once true:

- a signature was created (in its hour, country and source): counted once, by an id
  high-water mark;
- a signature was confirmed (in the hour of `confirmed_at`): counted once, by a
  `confirmed_at` high-water mark. `confirmed_at` is set once and never cleared;
- an email was handed to the provider (`sent_at`, set once), and a message had its
  first delivered, bounce, open or unsubscribe event (events are only ever inserted:
  an id high-water mark);
- a payment was received (`paid_at`, set once), and it was its donation's first.

Counts by current status come from these and the two rare statuses, which each pass
counts again through a small partial index (see queries.py):
confirmed = confirmations - fraudulent or invalidated after confirming (staff may mark
a confirmed signature either way), and
pending = created - confirmations - fraudulent or invalidated before confirming.
Refunds, also rare and without a timestamp, are summed when read.

Rows committed late. Ids and timestamps are taken before a transaction commits, so a
pass only takes rows older than a safety lag (ROLLUP_LAG): a transaction open for longer
than that would be missed until the next `campaign metrics rebuild`.

Two passes at once: on PostgreSQL a transaction-scoped advisory lock lets one pass run
and the other return at once; SQLite takes its single write lock at BEGIN, so the second
pass waits and then starts from the first one's high-water marks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    and_,
    case,
    delete,
    distinct,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from campaign.db import insert_for, utcnow
from campaign.donations.models import Donation, DonationPayment
from campaign.inbox.models import EmailEvent
from campaign.metrics.models import (
    ALL_CAMPAIGNS,
    NO_UTM_CAMPAIGN,
    SOURCE_LENGTH,
    DonationHourly,
    DonationTotal,
    EmailTotal,
    PageView,
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
from campaign.outbox.models import OutboxMessage
from campaign.signatures.models import Signature, SignatureStatus

ROLLUP_TABLES = (
    SignatureTotal,
    SignatureHourly,
    SignatureCountryRollup,
    SignatureCountryDaily,
    SignatureSourceRollup,
    SignatureSourceDaily,
    SignatureUtmCampaignRollup,
    SignatureUtmCampaignDaily,
    RareStatusCount,
    PageViewRollup,
    PageViewDaily,
    EmailTotal,
    DonationTotal,
    DonationHourly,
)
RARE_STATUSES = (SignatureStatus.FRAUDULENT, SignatureStatus.INVALIDATED)

# Rows younger than this are left for the next pass (see the module's docstring).
ROLLUP_LAG = timedelta(seconds=10)
# Any constant will do: it only has to differ from other advisory locks in the database.
ROLLUP_LOCK_KEY = 0x6D6574726963  # "metric"


@dataclass(frozen=True)
class RollupPass:
    """What one pass did; `ran` is False when another pass held the lock."""

    ran: bool
    signatures: int = 0
    confirmations: int = 0
    page_views: int = 0
    emails: int = 0
    email_events: int = 0
    payments: int = 0


async def update_rollups(
    session: AsyncSession, *, now: datetime | None = None, lag: timedelta = ROLLUP_LAG
) -> RollupPass:
    """One incremental pass inside the caller's transaction (which must commit it)."""
    if not await _take_rollup_lock(session):
        return RollupPass(ran=False)
    cut = (now or utcnow()) - lag
    mark = await _watermark(session)
    last_signature = await _last_id_before(session, Signature, mark.signature_id, cut)
    last_view = await _last_id_before(session, PageView, mark.page_view_id, cut)
    last_event = await _last_id_before(
        session, EmailEvent, mark.email_event_id, cut, EmailEvent.received_at
    )
    done = RollupPass(
        ran=True,
        signatures=await _add_creations(session, mark.signature_id, last_signature),
        confirmations=await _add_confirmations(session, mark.confirmed_until, cut),
        page_views=await _add_page_views(session, mark.page_view_id, last_view),
        emails=await _add_emails_sent(session, mark.emails_sent_until, cut),
        email_events=await _add_email_events(session, mark.email_event_id, last_event),
        payments=await _add_payments(session, mark.paid_until, cut),
    )
    await _count_rare_statuses(session, last_signature, cut)
    mark.signature_id = last_signature
    mark.page_view_id = last_view
    mark.email_event_id = last_event
    mark.confirmed_until = mark.emails_sent_until = mark.paid_until = cut
    mark.updated_at = utcnow()
    await session.flush()
    return done


async def rebuild_rollups(
    session: AsyncSession, *, now: datetime | None = None, lag: timedelta = ROLLUP_LAG
) -> RollupPass:
    """Empty the rollups and count everything again, in the caller's transaction: readers
    see the old figures until it commits, then the new ones."""
    if not await _take_rollup_lock(session, wait=True):
        return RollupPass(ran=False)
    for table in (*ROLLUP_TABLES, RollupWatermark):
        await session.execute(delete(table))
    await session.flush()
    return await update_rollups(session, now=now, lag=lag)


async def _take_rollup_lock(session: AsyncSession, *, wait: bool = False) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return True  # SQLite: the transaction already holds the only write lock
    if wait:
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ROLLUP_LOCK_KEY})
        return True
    taken = await session.scalar(
        text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": ROLLUP_LOCK_KEY}
    )
    return bool(taken)


async def _watermark(session: AsyncSession) -> RollupWatermark:
    mark = await session.get(RollupWatermark, 1)
    if mark is None:
        mark = RollupWatermark(id=1, signature_id=0, page_view_id=0, email_event_id=0)
        session.add(mark)
        await session.flush()
    return mark


async def _last_id_before(
    session: AsyncSession, model: Any, after: int, cut: datetime, written_at: Any = None
) -> int:
    """The newest id, past `after`, of a row written before the cut (a primary key range
    scan over the rows new since the last pass)."""
    written = written_at if written_at is not None else model.created_at
    newest = await session.scalar(
        select(func.max(model.id)).where(model.id > after, written <= cut)
    )
    return int(newest) if newest is not None else after


def _since(column: Any, after: datetime | None, cut: datetime) -> tuple[ColumnElement[bool], ...]:
    """A timestamp set once, in (after, cut]: what a pass adds of it."""
    within: tuple[ColumnElement[bool], ...] = (column.is_not(None), column <= cut)
    return within if after is None else (*within, column > after)


async def _add_creations(session: AsyncSession, after: int, up_to: int) -> int:
    if up_to <= after:
        return 0
    in_range = (Signature.id > after, Signature.id <= up_to)
    return await _add_signature_facts(session, Signature.created_at, in_range, "created")


async def _add_confirmations(session: AsyncSession, after: datetime | None, cut: datetime) -> int:
    return await _add_signature_facts(
        session, Signature.confirmed_at, _since(Signature.confirmed_at, after, cut), "confirmed"
    )


async def _add_signature_facts(
    session: AsyncSession, at: Any, where: tuple[ColumnElement[bool], ...], counter: str
) -> int:
    """Add one count (created or confirmed, at the time in column `at`) of the signatures
    matching `where` into each rollup, per campaign and across campaigns. Returns how
    many were counted."""
    counted = int(await session.scalar(select(func.count()).where(*where)) or 0)
    if not counted:
        return 0
    other = "confirmed" if counter == "created" else "created"
    hour, day, source = hour_of(session, at), day_of(session, at), signature_source(session)
    utm_campaign = func.coalesce(func.nullif(Signature.utm_campaign, ""), NO_UTM_CAMPAIGN)
    grains: tuple[tuple[Any, tuple[Any, ...]], ...] = (
        (SignatureTotal, ()),
        (SignatureHourly, (hour,)),
        (SignatureCountryRollup, (hour, Signature.country)),
        (SignatureCountryDaily, (day, Signature.country)),
        (SignatureSourceRollup, (hour, source)),
        (SignatureSourceDaily, (day, source)),
        (SignatureUtmCampaignRollup, (hour, utm_campaign)),
        (SignatureUtmCampaignDaily, (day, utm_campaign)),
    )
    for model, dimensions in grains:
        for campaign in (Signature.campaign_id, None):
            rows = (
                select(_campaign_key(campaign), *dimensions, func.count(), literal(0))
                .where(*where)
                .group_by(*dimensions, *_grouped_by(campaign))
            )
            columns = ["campaign_id", *_dimension_names(model), counter, other]
            await _upsert_adding(session, model, rows, columns)
    return counted


def _campaign_key(campaign: Any) -> Any:
    """The campaign column, or ALL_CAMPAIGNS for the sums over every campaign."""
    return campaign if campaign is not None else literal(ALL_CAMPAIGNS, BigInteger)


def _grouped_by(campaign: Any) -> tuple[Any, ...]:
    return (campaign,) if campaign is not None else ()


def _dimension_names(model: Any) -> list[str]:
    """The rollup's dimension columns: those of its key after the campaign."""
    return [column.name for column in model.__table__.primary_key.columns][1:]


async def _add_page_views(session: AsyncSession, after: int, up_to: int) -> int:
    counted = int(
        await session.scalar(select(func.count()).where(PageView.id > after, PageView.id <= up_to))
        or 0
    )
    if not counted:
        return 0
    grains = (
        (PageViewRollup, hour_of(session, PageView.created_at)),
        (PageViewDaily, day_of(session, PageView.created_at)),
    )
    for model, period in grains:
        for campaign in (PageView.campaign_id, None):
            views = (
                select(_campaign_key(campaign), period, PageView.source, func.count())
                .where(PageView.id > after, PageView.id <= up_to)
                .group_by(period, PageView.source, *_grouped_by(campaign))
            )
            columns = ["campaign_id", *_dimension_names(model), "views"]
            await _upsert_adding(session, model, views, columns)
    return counted


# Each email figure, and the delivery events that make a message count in it.
EMAIL_EVENT_FIGURES = {
    "delivered": ("delivered",),
    "bounced": ("bounce",),
    "opened": ("open",),
    "unsubscribed": ("unsubscribe", "group_unsubscribe"),
}


async def _add_emails_sent(session: AsyncSession, after: datetime | None, cut: datetime) -> int:
    """Emails handed to the provider: `sent_at` is set once, when that happens."""
    where = _since(OutboxMessage.sent_at, after, cut)
    counted = int(await session.scalar(select(func.count()).where(*where)) or 0)
    if not counted:
        return 0
    campaign = OutboxMessage.campaign_id
    per_campaign = (
        select(campaign, func.count()).where(*where, campaign.is_not(None)).group_by(campaign)
    )
    everything = select(_campaign_key(None), func.count()).where(*where)
    for rows in (per_campaign, everything):
        await _upsert_adding(session, EmailTotal, rows, ["campaign_id", "sent"])
    return counted


async def _add_email_events(session: AsyncSession, after: int, up_to: int) -> int:
    """Messages with their first event of each kind among the events new since the last
    pass: a message opened five times, or reported twice, is one opened message. Returns
    how many events were new (ids have gaps: a repeated event skips one)."""
    if up_to <= after:
        return 0
    new = (EmailEvent.id > after, EmailEvent.id <= up_to)
    counted = int(await session.scalar(select(func.count()).where(*new)) or 0)
    message = EmailEvent.outbox_message_id
    for figure, events in EMAIL_EVENT_FIGURES.items():
        earlier = aliased(EmailEvent)
        counted_before = exists().where(
            earlier.outbox_message_id == message, earlier.event.in_(events), earlier.id <= after
        )
        where = (*new, EmailEvent.event.in_(events), message.is_not(None), ~counted_before)
        messages = func.count(distinct(message))
        campaign = OutboxMessage.campaign_id
        per_campaign = (
            select(campaign, messages)
            .join(OutboxMessage, OutboxMessage.id == message)
            .where(*where, campaign.is_not(None))
            .group_by(campaign)
        )
        everything = select(_campaign_key(None), messages).where(*where)
        for rows in (per_campaign, everything):
            await _upsert_adding(session, EmailTotal, rows, ["campaign_id", figure])
    return counted


async def _add_payments(session: AsyncSession, after: datetime | None, cut: datetime) -> int:
    """Payments received (`paid_at` is set once), per hour and currency, and how many of
    them were their donation's first: the donations that began in that hour."""
    paid = DonationPayment.paid_at
    # The webhook handlers set a payment's donation and currency when they set paid_at.
    where = (
        *_since(paid, after, cut),
        DonationPayment.donation_id.is_not(None),
        DonationPayment.currency.is_not(None),
    )
    counted = int(await session.scalar(select(func.count()).where(*where)) or 0)
    if not counted:
        return 0
    earlier = aliased(DonationPayment)
    paid_before = exists().where(
        earlier.donation_id == DonationPayment.donation_id,
        earlier.paid_at.is_not(None),
        or_(earlier.paid_at < paid, and_(earlier.paid_at == paid, earlier.id < DonationPayment.id)),
    )
    currency = DonationPayment.currency
    grains = ((DonationTotal, ()), (DonationHourly, (hour_of(session, paid),)))
    for model, period in grains:
        for campaign in (Donation.campaign_id, None):
            rows = (
                select(
                    _campaign_key(campaign),
                    *period,
                    currency,
                    func.sum(case((paid_before, 0), else_=1)),
                    func.count(),
                    func.coalesce(func.sum(DonationPayment.amount), 0),
                )
                .join(Donation, Donation.id == DonationPayment.donation_id)
                .where(*where)
                .group_by(*period, currency, *_grouped_by(campaign))
            )
            columns = ["campaign_id", *_dimension_names(model), "donations", "payments", "received"]
            await _upsert_adding(session, model, rows, columns)
    return counted


async def _count_rare_statuses(
    session: AsyncSession, signature_id: int, confirmed_until: datetime
) -> None:
    """Count the fraudulent and invalidated signatures again, as of this pass's marks:
    few rows, read from their partial index (ix_signatures_rare_status)."""
    await session.execute(delete(RareStatusCount))
    was_confirmed = and_(
        Signature.confirmed_at.is_not(None), Signature.confirmed_at <= confirmed_until
    )
    for campaign in (Signature.campaign_id, None):
        rows = (
            select(_campaign_key(campaign), Signature.status, was_confirmed, func.count())
            .where(Signature.status.in_(RARE_STATUSES), Signature.id <= signature_id)
            .group_by(Signature.status, was_confirmed, *_grouped_by(campaign))
        )
        columns = ["campaign_id", "status", "confirmed", "signatures"]
        await session.execute(
            insert_for(session, RareStatusCount.__table__).from_select(columns, rows)
        )


async def _upsert_adding(session: AsyncSession, model: Any, rows: Any, columns: list[str]) -> None:
    """INSERT ... SELECT the grouped rows; a bucket that exists gets the counts added."""
    table = model.__table__
    keys = [column.name for column in table.primary_key.columns]
    insert = insert_for(session, table).from_select(columns, rows)
    counters = [name for name in columns if name not in keys]
    insert = insert.on_conflict_do_update(
        index_elements=keys,
        set_={name: table.c[name] + insert.excluded[name] for name in counters},
    )
    await session.execute(insert)


def hour_of(session: AsyncSession, column: Any) -> Any:
    """The UTC hour a timestamp falls in, computed by the database."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date_trunc("hour", column, "UTC")
    # SQLite keeps UTC timestamps as text in this same layout.
    return func.strftime("%Y-%m-%d %H:00:00.000000", column)


def day_of(session: AsyncSession, column: Any) -> Any:
    """The UTC day a timestamp falls in (its midnight), computed by the database."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date_trunc("day", column, "UTC")
    return func.strftime("%Y-%m-%d 00:00:00.000000", column)


def signature_source(session: AsyncSession) -> Any:
    """Where a signature came from: its UTM source, else its referrer's host, else
    "direct" (the same rule as `source_label` for page views)."""
    if session.get_bind().dialect.name == "postgresql":
        host = "lower(substring(referrer from '^[A-Za-z][A-Za-z0-9+.-]*://([^/?#:]+)'))"
    else:
        rest = "substr(referrer, instr(referrer, '://') + 3)"
        host = (
            f"CASE WHEN instr(referrer, '://') = 0 THEN NULL "
            f"WHEN instr({rest}, '/') > 0 THEN lower(substr({rest}, 1, instr({rest}, '/') - 1)) "
            f"ELSE lower({rest}) END"
        )
    label = f"coalesce(nullif(utm_source, ''), nullif({host}, ''), 'direct')"
    return func.substr(literal_column(label), 1, SOURCE_LENGTH)


def source_label(utm_source: str | None, referrer: str | None) -> str:
    """The source of a page view: the UTM source, else the referrer's host, else direct."""
    from urllib.parse import urlsplit

    if utm_source:
        return utm_source[:SOURCE_LENGTH]
    if referrer:
        host = urlsplit(referrer).hostname
        if host:
            return host[:SOURCE_LENGTH]
    return "direct"


async def rollups_counted_until(session: AsyncSession) -> datetime | None:
    """The instant up to which the rollups hold confirmations, emails and payments (the
    last pass's cut); None before the first pass."""
    return await session.scalar(
        select(RollupWatermark.confirmed_until).where(RollupWatermark.id == 1)
    )
