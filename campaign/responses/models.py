"""A petition's thresholds (signature counts staff want to hear about), the record that
each was reached and staff were told, and the target's response to the petition.

Rows hold reference ids only: who was told is the staff users of the day, and who gets
the response is the petition's confirmed signers, chosen by its mailing."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from campaign.db import Base, BigIntFK, BigIntPK, UTCDateTime, utcnow

LINK_LENGTH = 2000


class PetitionThreshold(Base):
    """A count of confirmed signatures staff want to be told about, once reached."""

    __tablename__ = "petition_thresholds"
    __table_args__ = (
        UniqueConstraint("campaign_id", "threshold"),
        CheckConstraint("threshold > 0", name="threshold"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("campaigns.id"))
    threshold: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ThresholdReached(Base):
    """A threshold was reached and staff were told, in the transaction that wrote this
    row: the unique key is what makes it once, ever, whatever the number of workers. It
    outlives the threshold itself, so removing a threshold and setting it again tells
    nobody a second time."""

    __tablename__ = "petition_thresholds_reached"
    __table_args__ = (
        UniqueConstraint("campaign_id", "threshold"),
        CheckConstraint("threshold > 0", name="threshold"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("campaigns.id"))
    threshold: Mapped[int] = mapped_column(Integer)
    # The confirmed count when it was seen past the threshold, and when.
    signatures: Mapped[int] = mapped_column(Integer)
    reached_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ResponseStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class PetitionResponse(Base):
    """What the petition's target answered, as staff recorded it: a draft until it is
    published, then on the petition's page and emailed to its signers by its mailing."""

    __tablename__ = "petition_responses"
    __table_args__ = (CheckConstraint("status IN ('draft', 'published')", name="status"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("campaigns.id"), unique=True)
    # Markdown as staff wrote it, and its sanitised HTML.
    body_markdown: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    responded_on: Mapped[date] = mapped_column(Date)
    link: Mapped[str | None] = mapped_column(String(LINK_LENGTH))
    status: Mapped[str] = mapped_column(String(20), default=ResponseStatus.DRAFT)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The mailing that tells the signers; set when it is published, once.
    mailing_id: Mapped[int | None] = mapped_column(BigIntFK, ForeignKey("mailings.id"), unique=True)
    created_by: Mapped[int | None] = mapped_column(BigIntFK, ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
