"""Signatures invalidated in bulk by criteria (an address, a network, an email domain, a
country, a user agent, a time window, or several at once): a job staff confirm after counting what
it takes, that the worker runs in batches, that staff may cancel while it runs and
reverse once it has stopped, with a log of the signatures each job changed.

A job's mark is a staff mark, by review.py's rules: the signature keeps the status the
mark replaced (`status_before_review`), with the job's reason, its author and the
job's time, so undoing one signature by hand works as for any mark. A job takes only
signatures without a staff mark, and reversing it restores only those still bearing
its mark (the same reason at the same instant): one that staff changed or undid by hand
since is theirs, and is left as they made it.

Each batch is its own short transaction over at most BATCH_SIZE signatures, so a flood
of millions never holds its rows locked for long, and a cancel waits for one batch at
most. A job takes only the signatures that existed when staff counted it (ids up to
`up_to_signature_id`): what signs afterwards is counted again, by a new job. The
campaign's counts are recounted (campaign/metrics) when a job stops and again when it
has been reversed, and kept in its log."""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    String,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, aliased, mapped_column

from campaign.db import Base, BigIntFK, BigIntPK, UTCDateTime, personal, transaction, utcnow
from campaign.errors import Conflict, InvalidState, NotFound
from campaign.metrics.counts import current_signature_counts
from campaign.signatures.models import USER_AGENT_LENGTH, Signature, SignatureStatus
from campaign.signatures.review import ReviewReason
from campaign.signatures.velocity import (
    email_domain_of,
    ipv4_network_start,
    ipv6_network,
    is_ipv4,
    is_ipv6,
)
from campaign.staff.models import StaffUser
from campaign.types import CountryCode

logger = logging.getLogger(__name__)

# Signatures one batch looks at, in one transaction.
BATCH_SIZE = 1000
# How long the worker spends on batches before it looks at its emails again.
WORKER_BUDGET_SECONDS = 0.5
# What a job takes: any status a signature can have without a staff mark, except one
# already invalid (fraudulent as held by the signing limit included: a flood is often
# over the limit too, and an invalidation keeps it from coming back as pending).
TAKEN_STATUSES = (SignatureStatus.PENDING, SignatureStatus.CONFIRMED, SignatureStatus.FRAUDULENT)


class InvalidationStatus(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"
    REVERSING = "reversing"
    REVERSED = "reversed"


# Jobs the worker has batches of.
_WORKING = (InvalidationStatus.RUNNING, InvalidationStatus.REVERSING)


class InvalidationJob(Base):
    """One job: its criteria (None is any), why and by whom, and how far it has got."""

    __tablename__ = "invalidation_jobs"
    __table_args__ = (
        CheckConstraint(
            "status IN ('running', 'finished', 'cancelled', 'reversing', 'reversed')",
            name="status",
        ),
        # A campaign's log, newest first.
        Index(None, "campaign_id", "id"),
        # The worker's look for work: running or reversing jobs, oldest first.
        Index(None, "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("campaigns.id"))
    status: Mapped[str] = mapped_column(String(20), default=InvalidationStatus.RUNNING)
    ip_address: Mapped[str | None] = mapped_column(String(45), info=personal())
    # An IPv4 /24 or an IPv6 /64, as "203.0.113.0/24" or "2001:db8:1:2::/64".
    ip_prefix: Mapped[str | None] = mapped_column(String(50), info=personal())
    email_domain: Mapped[str | None] = mapped_column(String(255))
    country: Mapped[str | None] = mapped_column(String(2))
    user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_LENGTH), info=personal())
    signed_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    up_to_signature_id: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(200))
    # None for an API token that acts for no user, as for a signature's mark.
    created_by: Mapped[int | None] = mapped_column(BigIntFK, ForeignKey("staff_users.id"))
    # Also the `reviewed_at` of every signature it marks: how reversal knows its own.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Signatures counted when staff confirmed, and changed so far.
    matched: Mapped[int] = mapped_column(Integer)
    invalidated: Mapped[int] = mapped_column(Integer, default=0)
    # The last signature id a batch looked at.
    invalidated_until_id: Mapped[int] = mapped_column(BigInteger, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[int | None] = mapped_column(BigIntFK, ForeignKey("staff_users.id"))
    reversal_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reversed_by: Mapped[int | None] = mapped_column(BigIntFK, ForeignKey("staff_users.id"))
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    restored: Mapped[int] = mapped_column(Integer, default=0)
    restored_until_id: Mapped[int] = mapped_column(BigInteger, default=0)
    # The campaign's counts as recounted when the job last stopped.
    recounted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_after: Mapped[int | None] = mapped_column(Integer)
    pending_after: Mapped[int | None] = mapped_column(Integer)
    invalidated_after: Mapped[int | None] = mapped_column(Integer)


class InvalidatedSignature(Base):
    """A signature a job changed, with the status it had; `restored` once its reversal
    gave that status back (False for one staff had changed by hand since)."""

    __tablename__ = "invalidated_signatures"

    job_id: Mapped[int] = mapped_column(
        BigIntFK, ForeignKey("invalidation_jobs.id"), primary_key=True
    )
    signature_id: Mapped[int] = mapped_column(
        BigIntFK, ForeignKey("signatures.id"), primary_key=True
    )
    status_before: Mapped[str] = mapped_column(String(20))
    restored: Mapped[bool] = mapped_column(Boolean, default=False)


# The velocity view and a job's time window read a campaign's signatures by when they
# were made.
Index("ix_signatures_campaign_id_created_at", Signature.campaign_id, Signature.created_at)


def _blank_is_none(value: object) -> object:
    if isinstance(value, str):
        return value.strip() or None
    return value


class InvalidationCriteria(BaseModel):
    """Which of a campaign's signatures a job takes: those matching every criterion
    given. At least one must be given."""

    model_config = ConfigDict(extra="forbid")

    ip_address: Annotated[str | None, Field(max_length=45)] = None
    ip_prefix: Annotated[str | None, Field(max_length=50)] = None
    email_domain: Annotated[str | None, Field(max_length=255)] = None
    country: CountryCode | None = None
    # The whole header as stored (the velocity view's groups show it so).
    user_agent: Annotated[str | None, Field(max_length=USER_AGENT_LENGTH)] = None
    signed_from: AwareDatetime | None = None
    signed_until: AwareDatetime | None = None

    @field_validator(
        "ip_address", "ip_prefix", "email_domain", "country", "user_agent", mode="before"
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return _blank_is_none(value)

    @field_validator("ip_address")
    @classmethod
    def _an_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            raise ValueError("enter an IPv4 or IPv6 address, such as 203.0.113.7") from None

    @field_validator("ip_prefix")
    @classmethod
    def _a_network(cls, value: str | None) -> str | None:
        if value is None:
            return None
        wanted = "enter an IPv4 /24 or an IPv6 /64, such as 203.0.113.0/24 or 2001:db8::/64"
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValueError(wanted) from None
        if network.prefixlen != (24 if network.version == 4 else 64):
            raise ValueError(wanted)
        return str(network)

    @field_validator("email_domain")
    @classmethod
    def _a_domain(cls, value: str | None) -> str | None:
        if value is None:
            return None
        domain = value.lower().removeprefix("@")
        if not domain or "@" in domain or any(c.isspace() for c in domain):
            raise ValueError("enter the part of the address after the @, such as example.org")
        return domain

    @model_validator(mode="after")
    def _something_chosen(self) -> InvalidationCriteria:
        if not self.model_dump(exclude_none=True):
            raise ValueError("choose at least one criterion")
        if self.signed_from and self.signed_until and self.signed_from >= self.signed_until:
            raise ValueError("the time window must end after it starts")
        return self


class InvalidationRequest(BaseModel):
    """A confirmed job: the criteria, why, and what staff were shown when they counted
    (the job takes the signatures counted then, and is refused if that count is no
    longer true)."""

    model_config = ConfigDict(extra="forbid")

    criteria: InvalidationCriteria
    reason: ReviewReason
    expected_count: Annotated[int, Field(ge=0, le=2**31 - 1)]
    up_to_signature_id: Annotated[int, Field(ge=0, le=2**63 - 1)]


@dataclass(frozen=True)
class MatchCount:
    matching: int
    # The newest signature when counted: the job takes none newer.
    up_to_signature_id: int


@dataclass(frozen=True)
class InvalidationDetail:
    job: InvalidationJob
    created_by_name: str | None
    cancelled_by_name: str | None
    reversed_by_name: str | None


def criteria_of(job: InvalidationJob) -> InvalidationCriteria:
    return InvalidationCriteria(
        ip_address=job.ip_address,
        ip_prefix=job.ip_prefix,
        email_domain=job.email_domain,
        country=job.country,
        user_agent=job.user_agent,
        signed_from=job.signed_from,
        signed_until=job.signed_until,
    )


async def count_matching(
    session: AsyncSession,
    campaign_id: int,
    criteria: InvalidationCriteria,
    *,
    up_to_signature_id: int | None = None,
) -> MatchCount:
    """How many signatures a job with these criteria would take now."""
    newest = int(
        await session.scalar(
            select(func.coalesce(func.max(Signature.id), 0)).where(
                Signature.campaign_id == campaign_id
            )
        )
        or 0
    )
    up_to = newest if up_to_signature_id is None else min(newest, up_to_signature_id)
    conditions = _taken(session, campaign_id, criteria, up_to)
    network = _ipv6_criterion(criteria)
    if network is None:
        matching = await session.scalar(select(func.count()).where(*conditions))
        return MatchCount(int(matching or 0), up_to)
    # An IPv6 network is matched address by address (see velocity.py).
    matching = 0
    for address, count in await session.execute(
        select(Signature.ip_address, func.count()).where(*conditions).group_by(Signature.ip_address)
    ):
        if ipv6_network(address) == network:
            matching += int(count)
    return MatchCount(matching, up_to)


async def start_invalidation(
    session: AsyncSession,
    campaign_id: int,
    request: InvalidationRequest,
    *,
    started_by: int | None,
) -> InvalidationJob:
    """Count again and, if staff were shown that number, record the job; the worker
    runs it from there."""
    recount = await count_matching(
        session, campaign_id, request.criteria, up_to_signature_id=request.up_to_signature_id
    )
    if recount.matching == 0:
        raise InvalidState("no signatures match these criteria", field="criteria")
    if recount.matching != request.expected_count:
        raise Conflict(
            f"{recount.matching} signatures match these criteria now, not"
            f" {request.expected_count}: count them again and confirm that number",
            field="expected_count",
        )
    criteria = request.criteria
    job = InvalidationJob(
        campaign_id=campaign_id,
        status=InvalidationStatus.RUNNING,
        ip_address=criteria.ip_address,
        ip_prefix=criteria.ip_prefix,
        email_domain=criteria.email_domain,
        country=criteria.country,
        user_agent=criteria.user_agent,
        signed_from=criteria.signed_from,
        signed_until=criteria.signed_until,
        up_to_signature_id=recount.up_to_signature_id,
        reason=request.reason,
        created_by=started_by,
        created_at=utcnow(),
        matched=recount.matching,
        invalidated=0,
        invalidated_until_id=0,
        restored=0,
        restored_until_id=0,
    )
    session.add(job)
    await session.flush()
    logger.info(
        "invalidation %s of %d signature(s) started by staff user %s",
        job.id,
        job.matched,
        started_by,
    )
    return job


async def cancel_invalidation(
    session: AsyncSession, campaign_id: int, job_id: int, *, cancelled_by: int | None
) -> InvalidationJob:
    """Stop a running job where it is: what it changed stays changed (and may be
    reversed), the rest is left alone."""
    job = await _locked_job(session, campaign_id, job_id)
    if job.status != InvalidationStatus.RUNNING:
        raise InvalidState(f"this job is {job.status}, not running", field="status")
    job.status = InvalidationStatus.CANCELLED
    job.cancelled_at = utcnow()
    job.cancelled_by = cancelled_by
    await _recount(session, job)
    await session.flush()
    return job


async def reverse_invalidation(
    session: AsyncSession, campaign_id: int, job_id: int, *, reversed_by: int | None
) -> InvalidationJob:
    """Have the worker give back the statuses this job changed, in batches."""
    job = await _locked_job(session, campaign_id, job_id)
    if job.status not in (InvalidationStatus.FINISHED, InvalidationStatus.CANCELLED):
        raise InvalidState(
            f"this job is {job.status}: only a finished or cancelled job can be reversed",
            field="status",
        )
    job.status = InvalidationStatus.REVERSING
    job.reversal_started_at = utcnow()
    job.reversed_by = reversed_by
    await session.flush()
    return job


async def run_invalidations(
    session_factory: async_sessionmaker[AsyncSession],
    *,
    batch_size: int = BATCH_SIZE,
    budget_seconds: float = WORKER_BUDGET_SECONDS,
) -> int:
    """The worker's share: batches of the oldest running or reversing job, each in a
    transaction of its own, for up to `budget_seconds`. Returns the batches run."""
    deadline = time.monotonic() + budget_seconds
    batches = 0
    while True:
        try:
            async with transaction(session_factory) as session:
                worked = await run_one_batch(session, batch_size=batch_size)
        except Exception:
            logger.exception("an invalidation batch failed; trying again later")
            return batches
        if not worked:
            return batches
        batches += 1
        if time.monotonic() >= deadline:
            return batches


async def run_one_batch(session: AsyncSession, *, batch_size: int = BATCH_SIZE) -> bool:
    """One batch of the oldest job with work left, in the caller's transaction; False
    when there is none. Workers running at once take different jobs."""
    job = await session.scalar(
        select(InvalidationJob)
        .where(InvalidationJob.status.in_(_WORKING))
        .order_by(InvalidationJob.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    if job is None:
        return False
    if job.status == InvalidationStatus.RUNNING:
        await _invalidate_batch(session, job, batch_size)
    else:
        await _restore_batch(session, job, batch_size)
    await session.flush()
    return True


async def _invalidate_batch(session: AsyncSession, job: InvalidationJob, batch_size: int) -> None:
    criteria = criteria_of(job)
    network = _ipv6_criterion(criteria)
    candidates = (
        await session.execute(
            select(Signature.id, Signature.ip_address)
            .where(
                *_taken(session, job.campaign_id, criteria, job.up_to_signature_id),
                Signature.id > job.invalidated_until_id,
            )
            .order_by(Signature.id)
            .limit(batch_size)
        )
    ).all()
    ids = [
        row.id for row in candidates if network is None or ipv6_network(row.ip_address) == network
    ]
    if ids:
        # The conditions again: a row that changed since it was read is not taken.
        changed = (
            await session.execute(
                update(Signature)
                .where(
                    Signature.id.in_(ids),
                    Signature.status.in_(TAKEN_STATUSES),
                    Signature.status_before_review.is_(None),
                )
                .values(
                    status_before_review=Signature.status,
                    status=SignatureStatus.INVALIDATED,
                    review_reason=job.reason,
                    reviewed_at=job.created_at,
                    reviewed_by=job.created_by,
                )
                .returning(Signature.id, Signature.status_before_review)
                .execution_options(synchronize_session=False)
            )
        ).all()
        if changed:
            await session.execute(
                insert(InvalidatedSignature),
                [
                    {"job_id": job.id, "signature_id": id_, "status_before": before}
                    for id_, before in changed
                ],
            )
        job.invalidated += len(changed)
    if candidates:
        job.invalidated_until_id = candidates[-1].id
    if len(candidates) < batch_size:
        job.status = InvalidationStatus.FINISHED
        job.finished_at = utcnow()
        await _recount(session, job)
        logger.info("invalidation %s finished: %d signature(s)", job.id, job.invalidated)


async def _restore_batch(session: AsyncSession, job: InvalidationJob, batch_size: int) -> None:
    ids = list(
        await session.scalars(
            select(InvalidatedSignature.signature_id)
            .where(
                InvalidatedSignature.job_id == job.id,
                InvalidatedSignature.signature_id > job.restored_until_id,
            )
            .order_by(InvalidatedSignature.signature_id)
            .limit(batch_size)
        )
    )
    if ids:
        # Only those still bearing this job's mark, as undo_mark would restore them.
        restored = list(
            await session.scalars(
                update(Signature)
                .where(
                    Signature.id.in_(ids),
                    Signature.status == SignatureStatus.INVALIDATED,
                    Signature.status_before_review.is_not(None),
                    Signature.reviewed_at == job.created_at,
                    Signature.review_reason == job.reason,
                )
                .values(
                    status=Signature.status_before_review,
                    status_before_review=None,
                    review_reason=None,
                    reviewed_at=None,
                    reviewed_by=None,
                )
                .returning(Signature.id)
                .execution_options(synchronize_session=False)
            )
        )
        if restored:
            await session.execute(
                update(InvalidatedSignature)
                .where(
                    InvalidatedSignature.job_id == job.id,
                    InvalidatedSignature.signature_id.in_(restored),
                )
                .values(restored=True)
                .execution_options(synchronize_session=False)
            )
        job.restored += len(restored)
        job.restored_until_id = ids[-1]
    if len(ids) < batch_size:
        job.status = InvalidationStatus.REVERSED
        job.reversed_at = utcnow()
        await _recount(session, job)
        logger.info("invalidation %s reversed: %d signature(s) restored", job.id, job.restored)


async def _recount(session: AsyncSession, job: InvalidationJob) -> None:
    await session.flush()
    counts = await current_signature_counts(session, job.campaign_id)
    job.recounted_at = utcnow()
    job.confirmed_after = counts.confirmed
    job.pending_after = counts.pending
    job.invalidated_after = counts.invalidated


def _taken(
    session: AsyncSession, campaign_id: int, criteria: InvalidationCriteria, up_to: int
) -> list[ColumnElement[bool]]:
    """The SQL of the criteria over the signatures a job may take. An IPv6 network is
    narrowed to IPv6 addresses here and matched exactly by the caller."""
    where = [
        Signature.campaign_id == campaign_id,
        Signature.id <= up_to,
        Signature.status.in_(TAKEN_STATUSES),
        Signature.status_before_review.is_(None),
    ]
    if criteria.ip_address is not None:
        where.append(Signature.ip_address == criteria.ip_address)
    if criteria.ip_prefix is not None:
        network = ipaddress.ip_network(criteria.ip_prefix)
        if network.version == 4:
            start = str(network.network_address).rsplit(".", 1)[0] + "."
            where += [is_ipv4(), ipv4_network_start() == start]
        else:
            where.append(is_ipv6())
    if criteria.email_domain is not None:
        where.append(email_domain_of(session) == criteria.email_domain)
    if criteria.country is not None:
        where.append(Signature.country == criteria.country)
    if criteria.user_agent is not None:
        where.append(Signature.user_agent == criteria.user_agent)
    if criteria.signed_from is not None:
        where.append(Signature.created_at >= criteria.signed_from)
    if criteria.signed_until is not None:
        where.append(Signature.created_at < criteria.signed_until)
    return where


def _ipv6_criterion(criteria: InvalidationCriteria) -> ipaddress.IPv6Network | None:
    if criteria.ip_prefix is None:
        return None
    network = ipaddress.ip_network(criteria.ip_prefix)
    return network if isinstance(network, ipaddress.IPv6Network) else None


async def _locked_job(session: AsyncSession, campaign_id: int, job_id: int) -> InvalidationJob:
    # Locked: a batch in progress finishes first, and the next one sees the change.
    job = await session.scalar(
        select(InvalidationJob)
        .where(InvalidationJob.id == job_id, InvalidationJob.campaign_id == campaign_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if job is None:
        raise NotFound(f"no invalidation job with id {job_id} in this campaign", field="job_id")
    return job


async def invalidation_detail(
    session: AsyncSession, campaign_id: int, job_id: int
) -> InvalidationDetail:
    found = await invalidation_log(session, campaign_id, job_id=job_id)
    if not found:
        raise NotFound(f"no invalidation job with id {job_id} in this campaign", field="job_id")
    return found[0]


async def invalidation_log(
    session: AsyncSession, campaign_id: int, *, job_id: int | None = None, limit: int = 100
) -> list[InvalidationDetail]:
    """A campaign's jobs, newest first, with the names of who started, cancelled and
    reversed them."""
    creator, canceller, reverser = (aliased(StaffUser) for _ in range(3))
    query = (
        select(InvalidationJob, creator.name, canceller.name, reverser.name)
        .outerjoin(creator, creator.id == InvalidationJob.created_by)
        .outerjoin(canceller, canceller.id == InvalidationJob.cancelled_by)
        .outerjoin(reverser, reverser.id == InvalidationJob.reversed_by)
        .where(InvalidationJob.campaign_id == campaign_id)
        .order_by(InvalidationJob.id.desc())
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    if job_id is not None:
        query = query.where(InvalidationJob.id == job_id)
    return [InvalidationDetail(*row) for row in await session.execute(query)]


async def changed_signatures(
    session: AsyncSession, job_id: int, *, after: int = 0, limit: int = 100
) -> Sequence[InvalidatedSignature]:
    """The signatures a job changed, by id, a page at a time."""
    return (
        await session.scalars(
            select(InvalidatedSignature)
            .where(
                InvalidatedSignature.job_id == job_id,
                InvalidatedSignature.signature_id > after,
            )
            .order_by(InvalidatedSignature.signature_id)
            .limit(limit)
        )
    ).all()


def describe_criteria(criteria: InvalidationCriteria) -> list[tuple[str, Any]]:
    """The criteria given, as (field, value), in the form's order."""
    return list(criteria.model_dump(exclude_none=True).items())
