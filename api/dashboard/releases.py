"""Releases on the dashboard: a new one pasted or uploaded, its text with the calls to
action marked, their review (accept, edit, reject, promote, merge), calls added by
selecting a passage, and drafts made from the ticked calls."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.dashboard.forms import (
    RefusedForm,
    add_call_error_field,
    call_merge_from_form,
    call_selection_from_form,
    call_update_from_form,
    draft_request_from_form,
    error_text,
    refused_form,
    refused_release,
    refused_ticked,
    release_submission_from_page,
    release_update_from_form,
)
from api.dashboard.rendering import may_edit, page, refusable, see_other
from api.deps import (
    EditorForm,
    ReleaseExtractor,
    SessionDep,
    StaffLogin,
    requires_staff_login,
)
from api.page_forms import FormState, read_form
from api.params import RowIdPath, RowIdQuery
from api.uploads import MAX_UPLOAD_BYTES
from campaign.errors import CampaignError
from campaign.extraction.models import Strength
from campaign.releases import service as releases
from campaign.releases.models import CallToActionRecord
from campaign.staff import dashboard
from campaign.staff.models import Role
from campaign.staff.sessions import ActiveSession

router = APIRouter()

# The page with the new-release form: only those who may submit one are shown it.
EditorLogin = Annotated[ActiveSession, Depends(requires_staff_login(Role.EDITOR))]

# Each form of the release page, by name: its fields and the ids they have on the page.
_ADD_CALL_FIELDS = {
    name: name for name in ("sentence", "start", "end", "targets", "action", "strength")
}
_RELEASE_FIELDS = {
    name: f"release-{name}" for name in ("title", "organisation", "published_on", "language")
}
_MERGE_FIELDS = {"call_ids": "merge"}
_DRAFT_FIELDS = {"call_ids": "draft", "kind": "kind-petition"}


def _call_fields(call_id: int) -> dict[str, str]:
    return {name: f"call-{call_id}-{name}" for name in ("targets", "action", "strength")}


@router.get("/releases")
async def release_list(request: Request, session: SessionDep, active: StaffLogin) -> HTMLResponse:
    found = await releases.list_releases(session, limit=200, offset=0)
    return page(
        request, "staff/releases.html", active=active, releases=found, may_edit=may_edit(active)
    )


@router.get("/releases/new")
async def new_release(request: Request, active: EditorLogin) -> HTMLResponse:
    return _new_release_page(request, active, FormState(values={}))


@router.post("/releases")
async def submit_release(
    request: Request, session: SessionDep, active: EditorForm, extractor: ReleaseExtractor
) -> Response:
    """Pasted text or HTML, or an uploaded file, in through the API's own service: on to
    the release's page and the calls found in it."""
    form = await request.form()
    async with refusable(session) as refused:
        data = await release_submission_from_page(form)
        release, created = await releases.ingest_release(session, data, extractor)
    if refused.error:
        shown = refused_release(form, refused.error)
        return _new_release_page(request, active, shown.state, shown)
    return see_other(f"/staff/releases/{release.id}" + ("" if created else "?submitted=before"))


@router.post("/releases/headline")
async def suggest_title(request: Request, _staff: EditorForm) -> JSONResponse:
    """The title the release in the new-release form would get from its headline, for the
    form's script to fill in before it is sent: the rule is the server's alone."""
    try:
        data = await release_submission_from_page(await request.form(), with_details=False)
        # HTML is reduced to its article first, which takes a while on a large page.
        title = await asyncio.to_thread(releases.suggested_title, data.content, data.format)
    except CampaignError as error:
        answer = {"title": None, "field": error.field, "error": error_text(error)}
        return JSONResponse(answer, status_code=error.status, headers=_NO_STORE)
    return JSONResponse({"title": title}, headers=_NO_STORE)


_NO_STORE = {"Cache-Control": "no-store"}


def _new_release_page(
    request: Request,
    active: ActiveSession,
    form: FormState,
    refused: RefusedForm | None = None,
) -> HTMLResponse:
    return page(
        request,
        "staff/release_new.html",
        status_code=refused.status_code if refused else status.HTTP_200_OK,
        active=active,
        form=form,
        refused=refused,
        max_upload_kb=MAX_UPLOAD_BYTES // 1024,
    )


@router.get("/releases/{release_id}")
async def release_page(
    release_id: RowIdPath,
    request: Request,
    session: SessionDep,
    active: StaffLogin,
    merged: RowIdQuery = None,
    submitted: Annotated[Literal["before"] | None, Query()] = None,
) -> HTMLResponse:
    """`merged`: the call the ticked calls were just merged into; `submitted=before`: the
    text staff sent had been submitted already, and this is the release it made."""
    return await _release_page(
        request, session, active, release_id, merged=merged, seen_before=submitted is not None
    )


@router.post("/releases/{release_id}/details")
async def update_release(
    release_id: RowIdPath, request: Request, session: SessionDep, active: EditorForm
) -> Response:
    release = await releases.get_release(session, release_id)
    form = await read_form(request)
    async with refusable(session) as refused:
        await releases.update_release(session, release, release_update_from_form(form))
    if refused.error:
        shown = refused_form(
            "release",
            refused.error,
            form,
            field_ids=_RELEASE_FIELDS,
            form_id="release-details-form",
        )
        return await _release_page(request, session, active, release_id, shown)
    return see_other(f"/staff/releases/{release_id}")


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
        shown = refused_form(
            "add-call",
            refused.error,
            form,
            field_ids=_ADD_CALL_FIELDS,
            form_id="add-call-form",
            at=add_call_error_field(form, refused.error.field),
        )
        return await _release_page(request, session, active, release_id, shown)
    return _back_to_release(release_id, f"call-{call.id}")


@router.post("/releases/{release_id}/merge")
async def merge_calls(
    release_id: RowIdPath, request: Request, session: SessionDep, active: EditorForm
) -> Response:
    """The ticked calls become one; the page then shows what it became."""
    release = await releases.get_release(session, release_id)
    form = await request.form()
    async with refusable(session) as refused:
        kept = await releases.merge_calls(session, call_merge_from_form(form), of_release=release)
    if refused.error:
        shown = refused_ticked("merge", refused.error, form, field_ids=_MERGE_FIELDS)
        return await _release_page(request, session, active, release_id, shown)
    return see_other(f"/staff/releases/{release_id}?merged={kept.id}#call-row-{kept.id}")


@router.post("/releases/{release_id}/drafts")
async def draft_campaign(
    release_id: RowIdPath, request: Request, session: SessionDep, active: EditorForm
) -> Response:
    """A draft petition or letter from the ticked calls; staff review it on its page and
    publish it there."""
    release = await releases.get_release(session, release_id)
    form = await request.form()
    async with refusable(session) as refused:
        drafted = await releases.draft_campaign(session, release, draft_request_from_form(form))
    if refused.error:
        shown = refused_ticked("draft", refused.error, form, field_ids=_DRAFT_FIELDS)
        return await _release_page(request, session, active, release_id, shown)
    return see_other(f"/staff/campaigns/{drafted.campaign.slug}")


@router.post("/calls/{call_id}/edit")
async def edit_call(
    call_id: RowIdPath, request: Request, session: SessionDep, active: EditorForm
) -> Response:
    call = await releases.get_call(session, call_id)
    release_id = call.release_id
    form = await read_form(request)
    async with refusable(session) as refused:
        await releases.update_call(session, call, call_update_from_form(form))
    if refused.error:
        shown = refused_form(
            f"call-{call_id}",
            refused.error,
            form,
            field_ids=_call_fields(call_id),
            # A call no longer under review has no edit form: its row has the error.
            form_id=f"call-row-{call_id}",
        )
        return await _release_page(request, session, active, release_id, shown)
    return _back_to_release(release_id, f"call-row-{call_id}")


@router.post("/calls/{call_id}/accept")
async def accept_call(
    call_id: RowIdPath, request: Request, session: SessionDep, active: EditorForm
) -> Response:
    call = await releases.get_call(session, call_id)
    return await _review_call(
        request, session, active, call, releases.accept_call, f"call-row-{call.id}"
    )


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
    """Back to the release where the call now stands, or its page with why not (beside
    the call's buttons)."""
    release_id, call_id = call.release_id, call.id
    async with refusable(session) as refused:
        await review(session, call)
    if refused.error:
        shown = refused_form(
            f"review-{call_id}", refused.error, {}, field_ids={}, form_id=f"call-row-{call_id}"
        )
        return await _release_page(request, session, active, release_id, shown)
    return _back_to_release(release_id, anchor)


async def _release_page(
    request: Request,
    session: SessionDep,
    active: ActiveSession,
    release_id: int,
    refused: RefusedForm | None = None,
    *,
    merged: int | None = None,
    seen_before: bool = False,
) -> HTMLResponse:
    release = await releases.get_release(session, release_id)
    calls = await releases.calls_of(session, release.id)
    review = dashboard.release_review(release.text, calls)
    lines = {line.call.id: line for line in [*review.proposed, *review.possible, *review.reviewed]}
    return page(
        request,
        "staff/release.html",
        status_code=refused.status_code if refused else status.HTTP_200_OK,
        active=active,
        release=release,
        calls=calls,
        review=review,
        numbers={call_id: line.number for call_id, line in lines.items()},
        merged=lines.get(merged) if merged else None,
        seen_before=seen_before,
        campaign_slugs=await releases.drafted_campaign_slugs(session, calls),
        may_edit=may_edit(active),
        strengths=list(Strength),
        refused=refused,
        blank=FormState(),
    )


def _back_to_release(release_id: int, anchor: str) -> RedirectResponse:
    return see_other(f"/staff/releases/{release_id}#{anchor}")
