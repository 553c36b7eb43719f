"""Donation figures for staff: what came in, what went back, who gives monthly, and how
many signers also gave."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.donations.models import Donation, DonationPayment, DonationStatus, Frequency
from campaign.signatures.models import Signature, SignatureStatus


@dataclass(frozen=True)
class CurrencyTotals:
    currency: str
    payments: int
    received: int  # in the minor unit, before refunds
    refunded: int

    @property
    def net(self) -> int:
        return self.received - self.refunded


@dataclass(frozen=True)
class DonationSummary:
    donations_by_status: dict[str, int]
    donors_one_off: int  # people with a paid one-off gift
    donors_monthly_active: int  # people whose monthly gift is paying
    payments_refunded: int
    payments_disputed: int
    totals: list[CurrencyTotals]
    confirmed_signers: int
    signers_who_gave: int

    @property
    def share_of_signers_who_gave(self) -> float | None:
        if not self.confirmed_signers:
            return None
        return round(self.signers_who_gave / self.confirmed_signers, 4)


async def donation_summary(session: AsyncSession, campaign_id: int) -> DonationSummary:
    in_campaign = Donation.campaign_id == campaign_id
    by_status = dict(
        (
            await session.execute(
                select(Donation.status, func.count()).where(in_campaign).group_by(Donation.status)
            )
        ).all()
    )
    paid = (
        select(DonationPayment)
        .join(Donation, Donation.id == DonationPayment.donation_id)
        .where(in_campaign, DonationPayment.paid_at.is_not(None))
        .subquery()
    )
    totals = [
        CurrencyTotals(currency, int(count), int(received or 0), int(refunded or 0))
        for currency, count, received, refunded in (
            await session.execute(
                select(
                    paid.c.currency,
                    func.count(),
                    func.sum(paid.c.amount),
                    func.sum(paid.c.refunded_amount),
                ).group_by(paid.c.currency)
            )
        ).all()
    ]
    refunded = await session.scalar(
        select(func.count()).select_from(paid).where(paid.c.refunded_amount > 0)
    )
    disputed = await session.scalar(
        select(func.count()).select_from(paid).where(paid.c.disputed.is_(True))
    )
    one_off = await _donors(
        session,
        campaign_id,
        Frequency.ONE_OFF,
        [DonationStatus.PAID, DonationStatus.PARTIALLY_REFUNDED],
    )
    monthly = await _donors(session, campaign_id, Frequency.MONTHLY, [DonationStatus.ACTIVE])
    signers = select(Signature.person_id).where(
        Signature.campaign_id == campaign_id, Signature.status == SignatureStatus.CONFIRMED
    )
    confirmed_signers = await session.scalar(select(func.count()).select_from(signers.subquery()))
    gave = await session.scalar(
        select(func.count(distinct(Donation.person_id))).where(
            in_campaign,
            Donation.person_id.in_(signers),
            Donation.id.in_(select(paid.c.donation_id)),
        )
    )
    return DonationSummary(
        donations_by_status=by_status,
        donors_one_off=one_off,
        donors_monthly_active=monthly,
        payments_refunded=int(refunded or 0),
        payments_disputed=int(disputed or 0),
        totals=totals,
        confirmed_signers=int(confirmed_signers or 0),
        signers_who_gave=int(gave or 0),
    )


async def _donors(
    session: AsyncSession, campaign_id: int, frequency: Frequency, statuses: Sequence[str]
) -> int:
    count = await session.scalar(
        select(func.count(distinct(Donation.person_id))).where(
            Donation.campaign_id == campaign_id,
            Donation.frequency == frequency,
            Donation.status.in_(statuses),
        )
    )
    return int(count or 0)


async def list_donations(
    session: AsyncSession, campaign_id: int, *, limit: int, offset: int
) -> list[Donation]:
    result = await session.scalars(
        select(Donation)
        .where(Donation.campaign_id == campaign_id)
        .order_by(Donation.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(result)
