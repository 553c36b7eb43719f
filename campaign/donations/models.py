"""Donations through Stripe Checkout: what a campaign accepts, each donation (a one-off
gift or a monthly commitment), each payment Stripe took, and each webhook event, kept
once so a replay changes nothing."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from campaign.db import Base, BigIntFK, BigIntPK, UTCDateTime, utcnow


class Frequency(StrEnum):
    ONE_OFF = "one_off"
    MONTHLY = "monthly"


class DonationSetup(Base):
    """What a campaign takes: one currency, amounts in its minor unit (pence, cents)."""

    __tablename__ = "donation_setups"
    __table_args__ = (
        CheckConstraint("minimum_amount > 0 AND maximum_amount >= minimum_amount", name="range"),
        CheckConstraint("allow_one_off OR allow_monthly", name="some_frequency"),
    )

    campaign_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("campaigns.id"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))  # ISO 4217, lower case as Stripe has it
    suggested_amounts: Mapped[list[int]] = mapped_column(JSON, default=list)
    minimum_amount: Mapped[int] = mapped_column(Integer)
    maximum_amount: Mapped[int] = mapped_column(Integer)
    allow_one_off: Mapped[bool] = mapped_column(Boolean, default=True)
    allow_monthly: Mapped[bool] = mapped_column(Boolean, default=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class DonationStatus(StrEnum):
    PENDING = "pending"  # Checkout Session made, not completed
    PROCESSING = "processing"  # completed with a payment method that settles later
    PAID = "paid"  # one-off: the money arrived
    ACTIVE = "active"  # monthly: the subscription is paying
    PAST_DUE = "past_due"  # monthly: the last payment failed
    CANCELLED = "cancelled"  # monthly: the subscription ended
    FAILED = "failed"
    EXPIRED = "expired"  # the Checkout Session expired unused
    REFUNDED = "refunded"  # one-off: all of it given back
    PARTIALLY_REFUNDED = "partially_refunded"
    DISPUTED = "disputed"


class Donation(Base):
    __tablename__ = "donations"
    __table_args__ = (
        CheckConstraint("frequency IN ('one_off', 'monthly')", name="frequency"),
        CheckConstraint("amount > 0", name="amount"),
        # A double click (same request key) finds the first request's donation.
        UniqueConstraint("campaign_id", "request_key"),
        Index(None, "campaign_id", "status"),
        Index(None, "person_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("campaigns.id"))
    person_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("people.id"))
    frequency: Mapped[str] = mapped_column(String(10))
    amount: Mapped[int] = mapped_column(Integer)  # per payment, in the minor unit
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20), default=DonationStatus.PENDING)
    request_key: Mapped[str] = mapped_column(String(64))
    stripe_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    checkout_url: Mapped[str | None] = mapped_column(String(2000))
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255))
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When anything here last changed: what OSDI clients sync by (modified_date).
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class DonationPayment(Base):
    """Money Stripe took: a one-off gift's payment, or one month of a monthly one.
    Keyed by the PaymentIntent, which every event about it names (completion, invoice,
    refund, dispute), so events in any order land on the same row."""

    __tablename__ = "donation_payments"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    payment_intent_id: Mapped[str] = mapped_column(String(255), unique=True)
    # Unknown while only a refund or dispute has been seen.
    donation_id: Mapped[int | None] = mapped_column(BigIntFK, ForeignKey("donations.id"))
    invoice_id: Mapped[str | None] = mapped_column(String(255))
    amount: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str | None] = mapped_column(String(3))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refunded_amount: Mapped[int] = mapped_column(Integer, default=0)
    disputed: Mapped[bool] = mapped_column(Boolean, default=False)
    receipt_sent: Mapped[bool] = mapped_column(Boolean, default=False)


class StripeEvent(Base):
    """Each webhook event once: a replay finds its id here and changes nothing."""

    __tablename__ = "stripe_events"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
