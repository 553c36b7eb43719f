"""Staff API against floods of signatures: how fast a campaign is being signed and by
whom, and invalidating signatures in bulk by criteria (count, confirm, cancel, reverse,
and the log of each job)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel

from api.deps import Editor, RowIdPath, SessionDep, StaffCampaign
from campaign.signatures import invalidations, velocity
from campaign.signatures.invalidations import InvalidationCriteria, InvalidationDetail

router = APIRouter(prefix="/api/v1/staff/campaigns/{slug}", tags=["staff: abuse"])


class VelocityGroupView(BaseModel):
    grouping: velocity.Grouping
    key: str
    signatures: int
    previous: int
    per_minute: float
    previous_per_minute: float
    rise: int
    # The invalidation criterion that takes exactly this group, given `key`.
    criterion: str

    @classmethod
    def of(cls, group: velocity.VelocityGroup) -> VelocityGroupView:
        return cls(
            grouping=group.grouping,
            key=group.key,
            signatures=group.signatures,
            previous=group.previous,
            per_minute=round(group.per_minute, 3),
            previous_per_minute=round(group.previous_per_minute, 3),
            rise=group.rise,
            criterion=group.criterion,
        )


class VelocityView(BaseModel):
    """Signatures per minute in the window and the one before it, overall and by group.
    Email addresses appear only as their domains."""

    window: velocity.Window
    since: datetime
    until: datetime
    signatures: int
    previous: int
    per_minute: float
    previous_per_minute: float
    groups: dict[velocity.Grouping, list[VelocityGroupView]]
    movers: list[VelocityGroupView]
    ipv6_complete: bool

    @classmethod
    def of(cls, found: velocity.Velocity) -> VelocityView:
        return cls(
            window=found.window,
            since=found.since,
            until=found.until,
            signatures=found.signatures,
            previous=found.previous,
            per_minute=round(found.per_minute, 3),
            previous_per_minute=round(found.previous_per_minute, 3),
            groups={
                grouping: [VelocityGroupView.of(group) for group in groups]
                for grouping, groups in found.groups.items()
            },
            movers=[VelocityGroupView.of(group) for group in found.movers],
            ipv6_complete=found.ipv6_complete,
        )


class MatchCountView(BaseModel):
    matching: int
    # Send it back with the count to confirm: the job takes no signature newer.
    up_to_signature_id: int


class CountsAfterView(BaseModel):
    confirmed: int
    pending: int
    invalidated: int


class InvalidationJobView(BaseModel):
    id: int
    campaign_id: int
    status: invalidations.InvalidationStatus
    criteria: InvalidationCriteria
    reason: str
    up_to_signature_id: int
    created_at: datetime
    created_by: int | None
    created_by_name: str | None
    matched: int
    invalidated: int
    finished_at: datetime | None
    cancelled_at: datetime | None
    cancelled_by_name: str | None
    reversal_started_at: datetime | None
    reversed_at: datetime | None
    reversed_by_name: str | None
    restored: int
    # The campaign's counts, recounted when the job last stopped.
    recounted_at: datetime | None
    counts_after: CountsAfterView | None

    @classmethod
    def of(cls, detail: InvalidationDetail) -> InvalidationJobView:
        job = detail.job
        counts = None
        if job.recounted_at is not None:
            counts = CountsAfterView(
                confirmed=job.confirmed_after or 0,
                pending=job.pending_after or 0,
                invalidated=job.invalidated_after or 0,
            )
        return cls(
            id=job.id,
            campaign_id=job.campaign_id,
            status=invalidations.InvalidationStatus(job.status),
            criteria=invalidations.criteria_of(job),
            reason=job.reason,
            up_to_signature_id=job.up_to_signature_id,
            created_at=job.created_at,
            created_by=job.created_by,
            created_by_name=detail.created_by_name,
            matched=job.matched,
            invalidated=job.invalidated,
            finished_at=job.finished_at,
            cancelled_at=job.cancelled_at,
            cancelled_by_name=detail.cancelled_by_name,
            reversal_started_at=job.reversal_started_at,
            reversed_at=job.reversed_at,
            reversed_by_name=detail.reversed_by_name,
            restored=job.restored,
            recounted_at=job.recounted_at,
            counts_after=counts,
        )


class InvalidatedSignatureView(BaseModel):
    signature_id: int
    status_before: str
    restored: bool


class InvalidatedSignaturePage(BaseModel):
    items: list[InvalidatedSignatureView]
    # Ask again with `after` set to this for the next page; None after the last.
    next_after: int | None


PAGE_LIMIT = 500


@router.get("/velocity")
async def signing_velocity(
    campaign: StaffCampaign, session: SessionDep, window: velocity.Window = velocity.Window.HOUR
) -> VelocityView:
    """Signatures per minute over the last hour (or day), by group, and the top movers."""
    return VelocityView.of(await velocity.signing_velocity(session, campaign.id, window))


@router.post("/invalidations/count")
async def count_matching(
    criteria: InvalidationCriteria, campaign: StaffCampaign, session: SessionDep
) -> MatchCountView:
    """How many signatures a job with these criteria would invalidate now (read-only: a
    POST only because the criteria are a body)."""
    found = await invalidations.count_matching(session, campaign.id, criteria)
    return MatchCountView(matching=found.matching, up_to_signature_id=found.up_to_signature_id)


@router.post("/invalidations", status_code=status.HTTP_201_CREATED)
async def start_invalidation(
    data: invalidations.InvalidationRequest,
    campaign: StaffCampaign,
    session: SessionDep,
    staff: Editor,
) -> InvalidationJobView:
    """Confirm a count: the worker invalidates those signatures, in batches."""
    job = await invalidations.start_invalidation(
        session, campaign.id, data, started_by=staff.user_id
    )
    return InvalidationJobView.of(
        await invalidations.invalidation_detail(session, campaign.id, job.id)
    )


@router.get("/invalidations")
async def invalidation_log(
    campaign: StaffCampaign, session: SessionDep
) -> list[InvalidationJobView]:
    """The campaign's jobs, newest first: what, by whom, with which criteria and why."""
    return [
        InvalidationJobView.of(detail)
        for detail in await invalidations.invalidation_log(session, campaign.id)
    ]


@router.get("/invalidations/{job_id}")
async def read_invalidation(
    job_id: RowIdPath, campaign: StaffCampaign, session: SessionDep
) -> InvalidationJobView:
    return InvalidationJobView.of(
        await invalidations.invalidation_detail(session, campaign.id, job_id)
    )


@router.get("/invalidations/{job_id}/signatures")
async def invalidated_signatures(
    job_id: RowIdPath,
    campaign: StaffCampaign,
    session: SessionDep,
    after: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
) -> InvalidatedSignaturePage:
    """The signatures the job changed, by id, with the status each had."""
    await invalidations.invalidation_detail(session, campaign.id, job_id)
    rows = await invalidations.changed_signatures(session, job_id, after=after, limit=PAGE_LIMIT)
    items = [
        InvalidatedSignatureView(
            signature_id=row.signature_id, status_before=row.status_before, restored=row.restored
        )
        for row in rows
    ]
    next_after = items[-1].signature_id if len(items) == PAGE_LIMIT else None
    return InvalidatedSignaturePage(items=items, next_after=next_after)


@router.post("/invalidations/{job_id}/cancel")
async def cancel_invalidation(
    job_id: RowIdPath, campaign: StaffCampaign, session: SessionDep, staff: Editor
) -> InvalidationJobView:
    """Stop a running job: what it changed so far stays changed (and can be reversed)."""
    await invalidations.cancel_invalidation(
        session, campaign.id, job_id, cancelled_by=staff.user_id
    )
    return InvalidationJobView.of(
        await invalidations.invalidation_detail(session, campaign.id, job_id)
    )


@router.post("/invalidations/{job_id}/reverse")
async def reverse_invalidation(
    job_id: RowIdPath, campaign: StaffCampaign, session: SessionDep, staff: Editor
) -> InvalidationJobView:
    """Give back the statuses the job changed (the worker does it in batches), except
    where staff changed a signature by hand since."""
    await invalidations.reverse_invalidation(
        session, campaign.id, job_id, reversed_by=staff.user_id
    )
    return InvalidationJobView.of(
        await invalidations.invalidation_detail(session, campaign.id, job_id)
    )
