"""Releases on the dashboard: the text with its calls to action marked, their review,
calls added by selecting a passage, and drafts made from the ticked calls."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.dashboard.forms import call_selection_from_form, draft_request_from_form, error_text
from api.dashboard.rendering import may_edit, page, refusable, see_other
from api.deps import EditorForm, ReleaseExtractor, RowIdPath, SessionDep, StaffLogin
from api.page_forms import read_form
from campaign.errors import CampaignError
from campaign.extraction.models import Strength
from campaign.releases import service as releases
from campaign.releases.models import CallToActionRecord
from campaign.staff import dashboard
from campaign.staff.sessions import ActiveSession

router = APIRouter()


@router.get("/releases")
async def release_list(request: Request, session: SessionDep, active: StaffLogin) -> HTMLResponse:
    found = await releases.list_releases(session, limit=200, offset=0)
    return page(request, "staff/releases.html", active=active, releases=found)


@router.get("/releases/{release_id}")
async def release_page(
    release_id: RowIdPath, request: Request, session: SessionDep, active: StaffLogin
) -> HTMLResponse:
    return await _release_page(request, session, active, release_id)


@router.post("/releases/{release_id}/calls")
async def add_call(
    release_id: RowIdPath,
    request: Request,
    session: SessionDep,
    active: EditorForm,
    extractor: ReleaseExtractor,
) -> Response:
    release = await releases.get_release(session, release_id)
    form = await read_form(request)
    async with refusable(session) as refused:
        call = await releases.add_call(session, release, call_selection_from_form(form), extractor)
    if refused.error:
        return await _release_page(request, session, active, release_id, refused.error, form)
    return _back_to_release(release_id, f"call-{call.id}")


@router.post("/releases/{release_id}/drafts")
async def draft_campaign(
    release_id: RowIdPath, request: Request, session: SessionDep, active: EditorForm
) -> Response:
    """A draft petition or letter from the ticked calls; staff review it on its page and
    publish it there."""
    release = await releases.get_release(session, release_id)
    async with refusable(session) as refused:
        data = draft_request_from_form(await request.form())
        drafted = await releases.draft_campaign(session, release, data)
    if refused.error:
        return await _release_page(request, session, active, release_id, refused.error)
    return see_other(f"/staff/campaigns/{drafted.campaign.slug}")


@router.post("/calls/{call_id}/reject")
async def reject_call(
    call_id: RowIdPath, request: Request, session: SessionDep, active: EditorForm
) -> Response:
    call = await releases.get_call(session, call_id)
    return await _review_call(request, session, active, call, releases.reject_call, "reviewed")


@router.post("/calls/{call_id}/promote")
async def promote_call(
    call_id: RowIdPath, request: Request, session: SessionDep, active: EditorForm
) -> Response:
    call = await releases.get_call(session, call_id)
    return await _review_call(
        request, session, active, call, releases.promote_call, f"call-{call.id}"
    )


async def _review_call(
    request: Request,
    session: SessionDep,
    active: ActiveSession,
    call: CallToActionRecord,
    review: Callable[[AsyncSession, CallToActionRecord], Awaitable[CallToActionRecord]],
    anchor: str,
) -> Response:
    """Back to the release where the call now stands, or its page with why not."""
    release_id = call.release_id
    async with refusable(session) as refused:
        await review(session, call)
    if refused.error:
        return await _release_page(request, session, active, release_id, refused.error)
    return _back_to_release(release_id, anchor)


async def _release_page(
    request: Request,
    session: SessionDep,
    active: ActiveSession,
    release_id: int,
    error: CampaignError | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    release = await releases.get_release(session, release_id)
    calls = await releases.calls_of(session, release.id)
    return page(
        request,
        "staff/release.html",
        status_code=error.status if error else status.HTTP_200_OK,
        active=active,
        release=release,
        calls=calls,
        review=dashboard.release_review(release.text, calls),
        may_edit=may_edit(active),
        strengths=list(Strength),
        error=error_text(error) if error else None,
        error_field=error.field if error else None,
        form=form or {},
    )


def _back_to_release(release_id: int, anchor: str) -> RedirectResponse:
    return see_other(f"/staff/releases/{release_id}#{anchor}")
