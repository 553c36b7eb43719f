"""Metrics tables: page views as they arrive, hourly rollups, and how far the rollups go."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from campaign.db import Base, BigIntFK, BigIntPK, UTCDateTime, utcnow
from campaign.donations.models import DonationPayment
from campaign.outbox.models import OutboxMessage
from campaign.signatures.models import Signature

# Longest source label kept: a UTM source or a referrer's host name.
SOURCE_LENGTH = 200
# The UTM campaign of a signature that came with none.
NO_UTM_CAMPAIGN = "(none)"


class PageView(Base):
    """One view of a campaign page, reported by its beacon: no address, no cookie, no
    person; a row is only ever inserted, never updated."""

    __tablename__ = "page_views"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("campaigns.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(SOURCE_LENGTH))


# The rollups are derived data: rebuilt at will, and their campaign_id is no foreign key
# because ALL_CAMPAIGNS (0) holds the sums over every campaign, so that a figure across
# campaigns reads as few rows as one campaign's does.
ALL_CAMPAIGNS = 0


class SignatureCounts:
    """The counters of a signature rollup: signatures created in its period (hour or
    day) and confirmations made in it. Both only ever grow, so a pass adds to them."""

    created: Mapped[int] = mapped_column(Integer, default=0)
    confirmed: Mapped[int] = mapped_column(Integer, default=0)


class SignatureHourly(SignatureCounts, Base):
    """Per campaign and UTC hour."""

    __tablename__ = "signature_hourly"

    campaign_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)


class SignatureCountryRollup(SignatureCounts, Base):
    """The same per country (as the signer gave it)."""

    __tablename__ = "signature_country_rollups"

    campaign_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)


class SignatureSourceRollup(SignatureCounts, Base):
    """The same per source: the UTM source, else the referrer's host, else "direct"."""

    __tablename__ = "signature_source_rollups"

    campaign_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    source: Mapped[str] = mapped_column(String(SOURCE_LENGTH), primary_key=True)


class SignatureUtmCampaignRollup(SignatureCounts, Base):
    """The same per UTM campaign (NO_UTM_CAMPAIGN when the signature had none)."""

    __tablename__ = "signature_utm_campaign_rollups"

    campaign_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    utm_campaign: Mapped[str] = mapped_column(String(SOURCE_LENGTH), primary_key=True)


class PageViewRollup(Base):
    __tablename__ = "page_view_rollups"

    campaign_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    source: Mapped[str] = mapped_column(String(SOURCE_LENGTH), primary_key=True)
    views: Mapped[int] = mapped_column(Integer, default=0)


# The breakdowns again per UTC day: a window reads its whole days from these and only its
# ragged ends from the hourly rows, a twenty-fourth of the rows.


class SignatureCountryDaily(SignatureCounts, Base):
    __tablename__ = "signature_country_daily"

    campaign_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    day: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)


class SignatureSourceDaily(SignatureCounts, Base):
    __tablename__ = "signature_source_daily"

    campaign_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    day: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    source: Mapped[str] = mapped_column(String(SOURCE_LENGTH), primary_key=True)


class SignatureUtmCampaignDaily(SignatureCounts, Base):
    __tablename__ = "signature_utm_campaign_daily"

    campaign_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    day: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    utm_campaign: Mapped[str] = mapped_column(String(SOURCE_LENGTH), primary_key=True)


class PageViewDaily(Base):
    __tablename__ = "page_view_daily"

    campaign_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    day: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    source: Mapped[str] = mapped_column(String(SOURCE_LENGTH), primary_key=True)
    views: Mapped[int] = mapped_column(Integer, default=0)


class SignatureTotal(Base):
    """Per campaign, all time: the sums of its hourly rows, kept beside them so that a
    list of campaigns reads one row each."""

    __tablename__ = "signature_totals"

    campaign_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    created: Mapped[int] = mapped_column(BigInteger, default=0)
    confirmed: Mapped[int] = mapped_column(BigInteger, default=0)


class RareStatusCount(Base):
    """Signatures that are fraudulent or invalidated now, per campaign, as counted by the
    last pass (these statuses change without a timestamp, so each pass counts them
    again, through a small partial index). `confirmed` tells whether the rollups have
    counted their confirmation."""

    __tablename__ = "signature_rare_status_counts"

    campaign_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    confirmed: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    signatures: Mapped[int] = mapped_column(BigInteger, default=0)


class EmailTotal(Base):
    """Per campaign, all time: emails handed to the provider, and the messages the
    provider reported delivered, bounced, opened and unsubscribed from, each message
    counted once per figure. ALL_CAMPAIGNS includes the emails of no campaign."""

    __tablename__ = "email_totals"

    campaign_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    sent: Mapped[int] = mapped_column(BigInteger, default=0)
    delivered: Mapped[int] = mapped_column(BigInteger, default=0)
    bounced: Mapped[int] = mapped_column(BigInteger, default=0)
    opened: Mapped[int] = mapped_column(BigInteger, default=0)
    unsubscribed: Mapped[int] = mapped_column(BigInteger, default=0)


class DonationTotal(Base):
    """Per campaign and currency, all time: the sums of its hourly rows."""

    __tablename__ = "donation_totals"

    campaign_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    donations: Mapped[int] = mapped_column(BigInteger, default=0)
    payments: Mapped[int] = mapped_column(BigInteger, default=0)
    received: Mapped[int] = mapped_column(BigInteger, default=0)


class DonationHourly(Base):
    """Per campaign, UTC hour and currency: payments received in that hour, their sum
    in the minor unit, and the donations whose first payment that was."""

    __tablename__ = "donation_hourly"

    campaign_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    donations: Mapped[int] = mapped_column(Integer, default=0)
    payments: Mapped[int] = mapped_column(Integer, default=0)
    received: Mapped[int] = mapped_column(BigInteger, default=0)


class RollupWatermark(Base):
    """How far the rollups go: one row, written once per pass."""

    __tablename__ = "metrics_watermarks"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Signatures and page views with ids up to these are counted as created / viewed.
    signature_id: Mapped[int] = mapped_column(BigInteger, default=0)
    page_view_id: Mapped[int] = mapped_column(BigInteger, default=0)
    # Confirmations made up to this instant are counted.
    confirmed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Emails handed over and payments received up to these instants are counted, and
    # delivery events with ids up to this one.
    emails_sent_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_event_id: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    paid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def _partial_index(name: str, *columns: Any, where: str) -> Index:
    """An index of the rows matching `where`, on both databases."""
    return Index(name, *columns, postgresql_where=text(where), sqlite_where=text(where))


# Indexes the metrics read on the signatures table. Both are partial, so signing a
# pending signature (no confirmation time, a common status) never writes to them.
_partial_index(
    "ix_signatures_confirmed_at", Signature.confirmed_at, where="confirmed_at IS NOT NULL"
)
# Covers what the status totals read of these rows, so they are counted from the index.
_partial_index(
    "ix_signatures_rare_status",
    Signature.campaign_id,
    Signature.status,
    Signature.id,
    Signature.confirmed_at,
    where="status IN ('fraudulent', 'invalidated')",
)
# What a pass reads of emails and payments: the range since its last instant.
_partial_index("ix_outbox_messages_sent_at", OutboxMessage.sent_at, where="sent_at IS NOT NULL")
_partial_index("ix_donation_payments_paid_at", DonationPayment.paid_at, where="paid_at IS NOT NULL")
# Refunds change without a timestamp and are rare: summed live from this index.
_partial_index(
    "ix_donation_payments_refunded",
    DonationPayment.donation_id,
    DonationPayment.currency,
    DonationPayment.paid_at,
    DonationPayment.refunded_amount,
    where="refunded_amount > 0",
)
# Whether a payment is its donation's first.
Index("ix_donation_payments_donation_id", DonationPayment.donation_id, DonationPayment.paid_at)
