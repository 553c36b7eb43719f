"""A petition's floods on the dashboard: how fast it is being signed and by whom, and
signatures invalidated in bulk by criteria (counted, confirmed, run by the worker,
cancelled, reversed) with the log of every job. Viewers see all of it; only editors
change anything."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.dashboard.rendering import may_edit, page, refusable, see_other
from api.deps import EditorForm, SessionDep, StaffLogin
from api.page_forms import FormState, field_errors, read_form, sentence
from api.params import RowIdPath, SlugPath
from campaign.campaigns.models import Campaign
from campaign.campaigns.service import get_campaign
from campaign.errors import CampaignError
from campaign.i18n import translations
from campaign.signatures import invalidations, velocity
from campaign.staff.sessions import ActiveSession

router = APIRouter()
# The staff workspace is shown in English; its messages are marked for the `staff` domain.
_ = translations("en", "staff").gettext

CRITERIA_FIELDS = (
    "ip_address",
    "ip_prefix",
    "email_domain",
    "country",
    "user_agent",
    "signed_from",
    "signed_until",
)
TIME_FIELDS = ("signed_from", "signed_until")
GROUPING_LABELS = {
    velocity.Grouping.IP: _("IP address"),
    velocity.Grouping.IPV4_24: _("IPv4 network (/24)"),
    velocity.Grouping.IPV6_64: _("IPv6 network (/64)"),
    velocity.Grouping.EMAIL_DOMAIN: _("Email domain"),
    velocity.Grouping.COUNTRY: _("Country"),
    velocity.Grouping.USER_AGENT: _("User agent"),
}
CRITERION_LABELS = {
    "ip_address": _("IP address"),
    "ip_prefix": _("Network"),
    "email_domain": _("Email domain"),
    "country": _("Country"),
    "user_agent": _("User agent"),
    "signed_from": _("Signed from"),
    "signed_until": _("Signed before"),
}
# Jobs' signatures listed on a job's page; the API pages through all of them.
CHANGED_SHOWN = 100


@router.get("/campaigns/{slug}/abuse")
async def velocity_page(
    slug: SlugPath, request: Request, session: SessionDep, active: StaffLogin, window: str = "hour"
) -> HTMLResponse:
    campaign = await get_campaign(session, slug)
    chosen = velocity.Window.DAY if window == velocity.Window.DAY else velocity.Window.HOUR
    found = await velocity.signing_velocity(session, campaign.id, chosen)
    return page(
        request,
        "staff/abuse_velocity.html",
        active=active,
        campaign=campaign,
        found=found,
        windows=list(velocity.Window),
        labels=GROUPING_LABELS,
        invalidate_url=lambda group: _invalidate_url(campaign, {group.criterion: group.key}),
        may_edit=may_edit(active),
    )


@router.get("/campaigns/{slug}/abuse/invalidate")
async def invalidate_page(
    slug: SlugPath, request: Request, session: SessionDep, active: StaffLogin
) -> HTMLResponse:
    campaign = await get_campaign(session, slug)
    values = {name: request.query_params.get(name, "").strip() for name in CRITERIA_FIELDS}
    return await _invalidate_page(request, session, active, campaign, values, reason="")


@router.post("/campaigns/{slug}/abuse/invalidations")
async def start_invalidation(
    slug: SlugPath, request: Request, session: SessionDep, active: EditorForm
) -> Response:
    campaign = await get_campaign(session, slug)
    form = await read_form(request)
    values = {name: form.get(name, "").strip() for name in CRITERIA_FIELDS}
    reason = form.get("reason", "")
    try:
        data = invalidations.InvalidationRequest.model_validate(
            {
                "criteria": _criteria_input(values),
                "reason": reason,
                "expected_count": form.get("expected_count", ""),
                "up_to_signature_id": form.get("up_to_signature_id", ""),
            }
        )
    except ValidationError as invalid:
        return await _invalidate_page(
            request,
            session,
            active,
            campaign,
            values,
            reason=reason,
            confirm_errors=field_errors(invalid),
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    job = None
    async with refusable(session) as refused:
        job = await invalidations.start_invalidation(
            session, campaign.id, data, started_by=active.user.id
        )
    if refused.error or job is None:
        return await _invalidate_page(
            request,
            session,
            active,
            campaign,
            values,
            reason=reason,
            refusal=refused.error,
            status_code=refused.status_code,
        )
    return see_other(f"{_log_path(campaign)}/{job.id}?started=true")


@router.get("/campaigns/{slug}/abuse/invalidations")
async def invalidation_log(
    slug: SlugPath, request: Request, session: SessionDep, active: StaffLogin
) -> HTMLResponse:
    campaign = await get_campaign(session, slug)
    return page(
        request,
        "staff/abuse_log.html",
        active=active,
        campaign=campaign,
        jobs=await invalidations.invalidation_log(session, campaign.id),
        describe=_described,
        may_edit=may_edit(active),
    )


@router.get("/campaigns/{slug}/abuse/invalidations/{job_id}")
async def job_page(
    slug: SlugPath,
    job_id: RowIdPath,
    request: Request,
    session: SessionDep,
    active: StaffLogin,
    started: bool = False,
) -> HTMLResponse:
    campaign = await get_campaign(session, slug)
    notice = (
        _("The job is started: the worker invalidates the signatures in batches.")
        if started
        else None
    )
    return await _job_page(request, session, active, campaign, job_id, notice=notice)


@router.post("/campaigns/{slug}/abuse/invalidations/{job_id}/cancel")
async def cancel_job(
    slug: SlugPath, job_id: RowIdPath, request: Request, session: SessionDep, active: EditorForm
) -> Response:
    return await _act_on_job(
        slug,
        job_id,
        request,
        session,
        active,
        lambda campaign_id: invalidations.cancel_invalidation(
            session, campaign_id, job_id, cancelled_by=active.user.id
        ),
    )


@router.post("/campaigns/{slug}/abuse/invalidations/{job_id}/reverse")
async def reverse_job(
    slug: SlugPath, job_id: RowIdPath, request: Request, session: SessionDep, active: EditorForm
) -> Response:
    return await _act_on_job(
        slug,
        job_id,
        request,
        session,
        active,
        lambda campaign_id: invalidations.reverse_invalidation(
            session, campaign_id, job_id, reversed_by=active.user.id
        ),
    )


async def _act_on_job(
    slug: str,
    job_id: int,
    request: Request,
    session: AsyncSession,
    active: ActiveSession,
    action: Callable[[int], Awaitable[object]],
) -> Response:
    """Run `action` (given the campaign's id) on a job; back to the job's page, with the
    refusal if there is one."""
    campaign = await get_campaign(session, slug)
    async with refusable(session) as refused:
        await action(campaign.id)
    if refused.error:
        return await _job_page(
            request,
            session,
            active,
            campaign,
            job_id,
            error=refused.error,
            status_code=refused.status_code,
        )
    return see_other(f"{_log_path(campaign)}/{job_id}")


async def _invalidate_page(
    request: Request,
    session: AsyncSession,
    active: ActiveSession,
    campaign: Campaign,
    values: dict[str, str],
    *,
    reason: str,
    confirm_errors: dict[str, str] | None = None,
    refusal: CampaignError | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    """The criteria form, and once criteria are given, their count counted now and the
    form that confirms it."""
    form = FormState(values)
    counted = criteria = None
    if any(values.values()):
        try:
            criteria = invalidations.InvalidationCriteria.model_validate(_criteria_input(values))
        except ValidationError as invalid:
            form.errors = field_errors(invalid)
            form.notice = form.errors.pop("form", None)
            if status_code == status.HTTP_200_OK:
                status_code = status.HTTP_422_UNPROCESSABLE_CONTENT
        else:
            counted = await invalidations.count_matching(session, campaign.id, criteria)
    confirm = FormState({"reason": reason}, dict(confirm_errors or {}))
    if refusal is not None:
        if refusal.field == "reason":
            confirm.errors["reason"] = sentence(refusal.detail)
        else:
            confirm.notice = sentence(refusal.detail)
    if confirm.errors and not confirm.notice:
        confirm.notice = _("The job was not started.")
    return page(
        request,
        "staff/abuse_invalidate.html",
        status_code=status_code,
        active=active,
        campaign=campaign,
        form=form,
        confirm=confirm,
        criteria=criteria,
        hidden=_hidden_criteria(criteria) if criteria else {},
        described=_described(criteria) if criteria else [],
        counted=counted,
        labels=CRITERION_LABELS,
        may_edit=may_edit(active),
    )


async def _job_page(
    request: Request,
    session: AsyncSession,
    active: ActiveSession,
    campaign: Campaign,
    job_id: int,
    *,
    notice: str | None = None,
    error: CampaignError | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    detail = await invalidations.invalidation_detail(session, campaign.id, job_id)
    changed = await invalidations.changed_signatures(session, job_id, limit=CHANGED_SHOWN)
    return page(
        request,
        "staff/abuse_job.html",
        status_code=status_code,
        active=active,
        campaign=campaign,
        detail=detail,
        job=detail.job,
        described=_described(invalidations.criteria_of(detail.job)),
        changed=changed,
        shown=CHANGED_SHOWN,
        notice=notice,
        error=sentence(error.detail) if error else None,
        may_edit=may_edit(active),
    )


def _criteria_input(values: dict[str, str]) -> dict[str, str]:
    """The form's criteria as the service takes them. Times are typed in UTC without an
    offset (a datetime-local field): they are given one."""
    given = {name: value for name, value in values.items() if value}
    for name in TIME_FIELDS:
        value = given.get(name)
        if value and not _has_offset(value):
            given[name] = f"{value}+00:00"
    return given


def _has_offset(value: str) -> bool:
    clock = value.partition("T")[2]
    return clock.endswith(("Z", "z")) or "+" in clock or "-" in clock


def _hidden_criteria(criteria: invalidations.InvalidationCriteria) -> dict[str, str]:
    return {
        name: value.isoformat() if hasattr(value, "isoformat") else str(value)
        for name, value in criteria.model_dump(exclude_none=True).items()
    }


def _described(criteria: invalidations.InvalidationCriteria | Any) -> list[tuple[str, str]]:
    """The criteria given, as (label, value) for a page."""
    if isinstance(criteria, invalidations.InvalidationJob):
        criteria = invalidations.criteria_of(criteria)
    described = []
    for name, value in invalidations.describe_criteria(criteria):
        if hasattr(value, "strftime"):
            value = value.strftime("%Y-%m-%d %H:%M UTC")
        described.append((CRITERION_LABELS[name], str(value)))
    return described


def _invalidate_url(campaign: Campaign, criteria: dict[str, str]) -> str:
    return f"/staff/campaigns/{campaign.slug}/abuse/invalidate?{urlencode(criteria)}"


def _log_path(campaign: Campaign) -> str:
    return f"/staff/campaigns/{campaign.slug}/abuse/invalidations"
