"""Staff's side of reports to officials: see who would be told what, prepare a run, send
it once, and read the runs so far.

Sending a run writes one delivery row per official (unique per run and official) and,
only where that row is new, the official's email, in the bulk lane of the outbox, so the
worker sends them at the mailing rate after what people are waiting for, each official's
a moment after the last (`official_report_spacing_seconds`). A run is sent
once: sending it again, or twice at once, finds it sent and emails nobody."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.campaigns.models import Campaign, CampaignKind, PostcodeMode
from campaign.config import Settings
from campaign.db import insert_for, utcnow
from campaign.errors import InvalidState, NotFound
from campaign.outbox.models import EmailKind, OutboxMessage, Priority
from campaign.outbox.service import enqueue_email
from campaign.reports.models import OfficialReport, OfficialReportDelivery, ReportStatus
from campaign.reports.queries import OfficialTally, ReportOutlook, report_outlook
from campaign.targets.models import Official

# The widest bar of the weekly chart, in per cent of the table's bar column.
_FULL_BAR = 100


def ensure_reportable(campaign: Campaign) -> None:
    """Only a petition that asks for postcodes has signers an official can be told of."""
    if campaign.kind != CampaignKind.PETITION:
        raise InvalidState(
            "only a petition's signers can be reported to their officials", field="slug"
        )
    if campaign.postcode_mode == PostcodeMode.HIDDEN:
        raise InvalidState(
            "this petition does not ask signers for a postcode, so none can be matched to "
            "an official",
            field="postcode_mode",
        )


def ensure_someone_to_tell(outlook: ReportOutlook) -> None:
    if not outlook.tallies:
        raise InvalidState(
            "no confirmed signer gave a postcode in the division of an official in the "
            "directory, so there is nobody to send a report to",
            field="signatures",
        )


async def outlook_of(session: AsyncSession, campaign: Campaign) -> ReportOutlook:
    """Who would be told what if a run went now; refused where nobody could be."""
    ensure_reportable(campaign)
    outlook = await report_outlook(session, campaign)
    ensure_someone_to_tell(outlook)
    return outlook


async def prepare_report(
    session: AsyncSession, campaign: Campaign, *, created_by: int | None
) -> OfficialReport:
    """A run waiting for staff to confirm it: the one already waiting, if there is one."""
    await outlook_of(session, campaign)
    waiting = await _waiting_report(session, campaign)
    if waiting is not None:
        return waiting
    report = OfficialReport(
        campaign_id=campaign.id, status=ReportStatus.PREPARED, created_by=created_by
    )
    try:
        async with session.begin_nested():
            session.add(report)
            await session.flush()
    except IntegrityError:
        # Another request prepared one at the same moment: that is the one.
        waiting = await _waiting_report(session, campaign)
        if waiting is None:
            raise
        return waiting
    return report


async def _waiting_report(session: AsyncSession, campaign: Campaign) -> OfficialReport | None:
    return await session.scalar(
        select(OfficialReport).where(
            OfficialReport.campaign_id == campaign.id,
            OfficialReport.status == ReportStatus.PREPARED,
        )
    )


async def get_report(session: AsyncSession, campaign: Campaign, report_id: int) -> OfficialReport:
    report = await session.get(OfficialReport, report_id)
    if report is None or report.campaign_id != campaign.id:
        raise NotFound("no such report", field="report_id")
    return report


async def list_reports(session: AsyncSession, campaign: Campaign) -> list[OfficialReport]:
    result = await session.scalars(
        select(OfficialReport)
        .where(OfficialReport.campaign_id == campaign.id)
        .order_by(OfficialReport.id.desc())
    )
    return list(result)


@dataclass(frozen=True)
class DeliveryLine:
    """One official's email of a run, as staff read it."""

    delivery: OfficialReportDelivery
    official_name: str
    official_title: str
    official_email: str
    email_status: str | None


async def report_deliveries(session: AsyncSession, report: OfficialReport) -> list[DeliveryLine]:
    rows = await session.execute(
        select(
            OfficialReportDelivery,
            Official.name,
            Official.title,
            Official.email,
            OutboxMessage.status,
        )
        .join(Official, Official.id == OfficialReportDelivery.official_id)
        .outerjoin(OutboxMessage, OutboxMessage.id == OfficialReportDelivery.outbox_message_id)
        .where(OfficialReportDelivery.report_id == report.id)
        .order_by(Official.name, Official.id)
    )
    return [DeliveryLine(*row) for row in rows.all()]


async def send_report(
    session: AsyncSession,
    campaign: Campaign,
    report: OfficialReport,
    *,
    sent_by: int | None,
    settings: Settings,
) -> OfficialReport:
    """Email each official their report, once. A run already sent is left as it is."""
    locked = await session.scalar(
        select(OfficialReport)
        .where(OfficialReport.id == report.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert locked is not None
    if locked.status == ReportStatus.SENT:
        return locked
    outlook = await outlook_of(session, campaign)
    now = utcnow()
    spacing = timedelta(seconds=settings.official_report_spacing_seconds)
    queued = 0
    for tally in outlook.tallies:
        delivery_id = await _new_delivery(session, locked, tally)
        if delivery_id is None:
            continue  # this official has had this run's email
        outbox_id = await enqueue_email(
            session,
            EmailKind.OFFICIAL_REPORT,
            to_address=tally.official.email,
            to_name=tally.official.name,
            context=report_context(campaign, tally, settings),
            campaign_id=campaign.id,
            not_before=now + spacing * queued,
            priority=Priority.BULK,
        )
        queued += 1
        delivery = await session.get_one(OfficialReportDelivery, delivery_id)
        delivery.outbox_message_id = outbox_id
    locked.status = ReportStatus.SENT
    locked.sent_at = now
    locked.sent_by = sent_by
    locked.officials = outlook.officials
    locked.signers = outlook.matched
    await session.flush()
    return locked


async def _new_delivery(
    session: AsyncSession, report: OfficialReport, tally: OfficialTally
) -> int | None:
    table: Any = OfficialReportDelivery.__table__
    result = await session.execute(
        insert_for(session, table)
        .values(
            report_id=report.id,
            official_id=tally.official.id,
            division_id=tally.official.division_id or "",
            signers=tally.signers,
            named=tally.named,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["report_id", "official_id"])
        .returning(table.c.id)
    )
    found = result.scalar_one_or_none()
    return None if found is None else int(found)


def report_context(campaign: Campaign, tally: OfficialTally, settings: Settings) -> dict[str, Any]:
    """The email's values for one official: counts, the weekly chart, and names only."""
    busiest = max((week.signers for week in tally.weeks), default=0)
    return {
        "official_name": tally.official.name,
        "official_title": tally.official.title,
        "campaign_title": campaign.title,
        "campaign_target": campaign.target,
        "language": campaign.language,
        "petition_url": f"{settings.public_url}/c/{campaign.slug}",
        "organisation": settings.email_from_name,
        "signers": tally.signers,
        "asked_for_names": campaign.ask_signers_to_be_named,
        "names": tally.names,
        "weeks": [
            {
                "starts": week.starts.isoformat(),  # written for the language when sent
                "signers": week.signers,
                # At least a sliver for a week with signers, none for a week without.
                "width": max(1, round(_FULL_BAR * week.signers / busiest)) if week.signers else 0,
            }
            for week in tally.weeks
        ],
    }
