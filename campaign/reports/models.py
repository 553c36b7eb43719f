"""A report to officials: each official in the target directory learns how many of a
petition's confirmed signers gave a postcode in their division. A run is one sending;
it has a row per official it emailed, unique per run and official, so sending a run
again (a retry, a second click) emails nobody twice. Nothing about a signer is kept
here: the counts are numbers, and the names went only into the emails."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from campaign.db import Base, BigIntFK, BigIntPK, UTCDateTime, utcnow


class ReportStatus(StrEnum):
    PREPARED = "prepared"  # made, waiting for staff to confirm the sending
    SENT = "sent"  # its emails are in the outbox


class OfficialReport(Base):
    __tablename__ = "official_reports"
    __table_args__ = (
        CheckConstraint("status IN ('prepared', 'sent')", name="status"),
        Index(None, "campaign_id", "id"),
        # At most one run of a campaign waits to be sent: preparing again (a second
        # click) finds that one rather than making another that could be sent as well.
        Index(
            "uq_official_reports_campaign_id_prepared",
            "campaign_id",
            unique=True,
            postgresql_where=text("status = 'prepared'"),
            sqlite_where=text("status = 'prepared'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("campaigns.id"))
    status: Mapped[str] = mapped_column(String(20), default=ReportStatus.PREPARED)
    # Once sent: how many officials were emailed, and how many signers they were told of
    # (each signer once, however many of their officials were told).
    officials: Mapped[int] = mapped_column(Integer, default=0)
    signers: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(BigIntFK, ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_by: Mapped[int | None] = mapped_column(BigIntFK, ForeignKey("staff_users.id"))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OfficialReportDelivery(Base):
    """One official's email of one run: what it told them, and its outbox row."""

    __tablename__ = "official_report_deliveries"
    __table_args__ = (UniqueConstraint("report_id", "official_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    report_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("official_reports.id"))
    official_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("officials.id"))
    division_id: Mapped[str] = mapped_column(String(300))
    signers: Mapped[int] = mapped_column(Integer)
    # Of those, how many agreed to be named to their representative.
    named: Mapped[int] = mapped_column(Integer)
    outbox_message_id: Mapped[int | None] = mapped_column(
        BigIntFK, ForeignKey("outbox_messages.id")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
