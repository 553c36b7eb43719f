"""What the reports-to-officials API answers: who would be told what, and the runs."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from campaign.reports.models import OfficialReport
from campaign.reports.queries import OfficialTally, ReportOutlook
from campaign.reports.service import DeliveryLine


class WeekView(BaseModel):
    starts: date
    signers: int


class OfficialTallyView(BaseModel):
    """One official's report: counts and weeks for staff; the names go only to them."""

    official_id: int
    name: str
    title: str
    organisation: str
    email: str
    division_id: str | None
    signers: int
    named: int
    weeks: list[WeekView]

    @classmethod
    def of(cls, tally: OfficialTally) -> OfficialTallyView:
        official = tally.official
        return cls(
            official_id=official.id,
            name=official.name,
            title=official.title,
            organisation=official.organisation,
            email=official.email,
            division_id=official.division_id,
            signers=tally.signers,
            named=tally.named,
            weeks=[WeekView(starts=w.starts, signers=w.signers) for w in tally.weeks],
        )


class ReportPreview(BaseModel):
    confirmed: int  # the petition's confirmed signers
    matched: int  # of them, those in the division of some official
    officials: list[OfficialTallyView]

    @classmethod
    def of(cls, outlook: ReportOutlook) -> ReportPreview:
        return cls(
            confirmed=outlook.confirmed,
            matched=outlook.matched,
            officials=[OfficialTallyView.of(t) for t in outlook.tallies],
        )


class DeliveryView(BaseModel):
    official_id: int
    name: str
    title: str
    division_id: str
    signers: int
    named: int
    outbox_message_id: int | None
    email_status: str | None

    @classmethod
    def of(cls, line: DeliveryLine) -> DeliveryView:
        delivery = line.delivery
        return cls(
            official_id=delivery.official_id,
            name=line.official_name,
            title=line.official_title,
            division_id=delivery.division_id,
            signers=delivery.signers,
            named=delivery.named,
            outbox_message_id=delivery.outbox_message_id,
            email_status=line.email_status,
        )


class ReportView(BaseModel):
    id: int
    status: str
    created_at: datetime
    sent_at: datetime | None
    # Once sent: officials emailed, and the signers they were told of (each once).
    officials: int
    signers: int
    deliveries: list[DeliveryView] | None = None

    @classmethod
    def of(cls, report: OfficialReport, deliveries: list[DeliveryLine] | None = None) -> ReportView:
        return cls(
            id=report.id,
            status=report.status,
            created_at=report.created_at,
            sent_at=report.sent_at,
            officials=report.officials,
            signers=report.signers,
            deliveries=None if deliveries is None else [DeliveryView.of(d) for d in deliveries],
        )


class ReportList(BaseModel):
    items: list[ReportView]
