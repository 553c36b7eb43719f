"""A campaign's supporters on the dashboard: signers and letter writers, searched and
paged, and signatures marked fraudulent or invalid."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.dashboard.rendering import may_edit, page, refusable, see_other
from api.deps import EditorForm, SessionDep, StaffLogin, public_counts
from api.page_forms import FormState, field_errors, read_form, state_for_service_error
from api.params import RowIdPath, RowIdQuery, SlugPath
from campaign.campaigns.models import Campaign, CampaignKind
from campaign.campaigns.service import get_campaign
from campaign.errors import NotFound
from campaign.i18n import translations
from campaign.letters.models import LetterStatus
from campaign.metrics.letters import letter_numbers
from campaign.signatures import queries, review
from campaign.signatures.models import SignatureStatus
from campaign.staff.sessions import ActiveSession
from campaign.tags import service as tags

router = APIRouter()
# The staff workspace is shown in English; its messages are marked for the `staff` domain.
_ = translations("en", "staff").gettext

# An id to page from, bounded like ids in paths.
PageFrom = RowIdQuery


SEARCH_FIELDS = ("email", "name", "status", "country", "tag", "source")
MARK_FIELDS = ("status", "reason")
# Errors about these are not about one of the mark form's fields: shown above it.
_WHOLE_FORM = ("signature_id",)


@router.get("/campaigns/{slug}/supporters")
async def supporter_list(
    slug: SlugPath,
    request: Request,
    session: SessionDep,
    active: StaffLogin,
    before: PageFrom = None,
    after: PageFrom = None,
) -> HTMLResponse:
    campaign = await get_campaign(session, slug)
    petition = campaign.kind == CampaignKind.PETITION
    fields = SEARCH_FIELDS if petition else SEARCH_FIELDS[:-1]  # letters have no source
    values = {name: request.query_params.get(name, "").strip() for name in fields}
    given = {name: value for name, value in values.items() if value}
    context: dict[str, Any] = {
        "active": active,
        "campaign": campaign,
        "petition": petition,
        "statuses": list(SignatureStatus) if petition else list(LetterStatus),
        "searched": bool(given),
        "paged": before is not None or after is not None,
        "first_url": _list_url(campaign, given),
        "may_edit": may_edit(active),
    }
    if petition:
        context["counts"] = await public_counts(request).get(session, campaign.id)
    else:
        context["letters_by_status"] = (
            await letter_numbers(session, campaign.id)
        ).letters_by_status
    keyset = queries.Keyset(before=before, after=after if before is None else None)
    try:
        if petition:
            found: Any = await queries.signature_page(
                session, campaign.id, queries.SignatureSearch.model_validate(given), keyset
            )
        else:
            found = await queries.letter_page(
                session, campaign.id, queries.LetterSearch.model_validate(given), keyset
            )
    except ValidationError as invalid:
        return page(
            request,
            "staff/supporters.html",
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            form=FormState(values, field_errors(invalid)),
            found=None,
            **context,
        )
    return page(
        request,
        "staff/supporters.html",
        form=FormState(values),
        found=found,
        newer_url=_list_url(campaign, given, found.newer) if found.newer else None,
        older_url=_list_url(campaign, given, found.older) if found.older else None,
        **context,
    )


@router.get("/campaigns/{slug}/supporters/{signature_id}")
async def signature_page(
    slug: SlugPath,
    signature_id: RowIdPath,
    request: Request,
    session: SessionDep,
    active: StaffLogin,
    marked: bool = False,
) -> HTMLResponse:
    campaign = await get_campaign(session, slug)
    notice = _("The signature is marked.") if marked else None
    return await _signature_page(
        request, session, active, campaign, signature_id, FormState(), notice=notice
    )


@router.post("/campaigns/{slug}/supporters/{signature_id}/mark")
async def mark_signature(
    slug: SlugPath,
    signature_id: RowIdPath,
    request: Request,
    session: SessionDep,
    active: EditorForm,
) -> Response:
    campaign = await get_campaign(session, slug)
    form = await read_form(request)
    values = {name: form.get(name, "") for name in MARK_FIELDS}
    try:
        mark = review.SignatureMark.model_validate(values)
    except ValidationError as invalid:
        state = FormState(values, field_errors(invalid))
        return await _signature_page(
            request,
            session,
            active,
            campaign,
            signature_id,
            state,
            status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    async with refusable(session) as refused:
        await review.mark_signature(
            session, signature_id, mark, reviewed_by=active.user.id, campaign_id=campaign.id
        )
    if refused.error:
        state = state_for_service_error(values, refused.error, whole_form=_WHOLE_FORM)
        return await _signature_page(
            request, session, active, campaign, signature_id, state, refused.status_code
        )
    return see_other(f"{_signature_path(campaign, signature_id)}?marked=true")


@router.post("/campaigns/{slug}/supporters/{signature_id}/undo")
async def undo_mark(
    slug: SlugPath,
    signature_id: RowIdPath,
    request: Request,
    session: SessionDep,
    active: EditorForm,
) -> Response:
    campaign = await get_campaign(session, slug)
    async with refusable(session) as refused:
        await review.undo_mark(
            session, signature_id, undone_by=active.user.id, campaign_id=campaign.id
        )
    if refused.error:
        return await _signature_page(
            request,
            session,
            active,
            campaign,
            signature_id,
            FormState(),
            refused.status_code,
            error=refused.error.detail,
        )
    return see_other(_signature_path(campaign, signature_id))


async def _signature_page(
    request: Request,
    session: SessionDep,
    active: ActiveSession,
    campaign: Campaign,
    signature_id: int,
    form: FormState,
    status_code: int = status.HTTP_200_OK,
    *,
    notice: str | None = None,
    error: str | None = None,
    tag_form: FormState | None = None,
) -> HTMLResponse:
    detail = await _detail(session, campaign, signature_id)
    if not form.values:
        # The form starts from the standing mark, so changing it is one edit.
        line = detail.line
        form.values = {
            "status": line.status if line.status_before_review else "",
            "reason": line.review_reason or "",
        }
    return page(
        request,
        "staff/supporters_signature.html",
        status_code=status_code,
        active=active,
        campaign=campaign,
        detail=detail,
        form=form,
        marks=review.MARKS,
        may_edit=may_edit(active),
        notice=notice,
        error=error,
        person_tags=await tags.tags_on_person(session, detail.person_id),
        tag_form=tag_form or FormState(),
    )


@router.post("/campaigns/{slug}/supporters/{signature_id}/tags")
async def tag_supporter(
    slug: SlugPath,
    signature_id: RowIdPath,
    request: Request,
    session: SessionDep,
    active: EditorForm,
) -> Response:
    campaign = await get_campaign(session, slug)
    detail = await _detail(session, campaign, signature_id)
    form = await read_form(request)
    name = form.get("tag", "")
    async with refusable(session) as refused:
        await tags.tag_person_by_names(session, detail.person_id, [name], field="tag")
    if refused.error or not name.strip():
        state = FormState({"tag": name}, {"tag": _("Enter a tag of up to 200 characters.")})
        return await _signature_page(
            request, session, active, campaign, signature_id, FormState(), 422, tag_form=state
        )
    return see_other(_signature_path(campaign, signature_id))


@router.post("/campaigns/{slug}/supporters/{signature_id}/tags/{tag_id}/remove")
async def untag_supporter(
    slug: SlugPath,
    signature_id: RowIdPath,
    tag_id: RowIdPath,
    session: SessionDep,
    _active: EditorForm,
) -> Response:
    campaign = await get_campaign(session, slug)
    detail = await _detail(session, campaign, signature_id)
    await tags.untag_person(session, tag_id, detail.person_id)
    return see_other(_signature_path(campaign, signature_id))


async def _detail(session: AsyncSession, campaign: Campaign, signature_id: int) -> Any:
    detail = await queries.signature_detail(session, campaign.id, signature_id)
    if detail is None:
        raise NotFound(
            _("no signature with id %(id)s in this campaign") % {"id": signature_id},
            field="signature_id",
        )
    return detail


def _list_url(
    campaign: Campaign, given: dict[str, str], keyset: queries.Keyset | None = None
) -> str:
    """The list with the same search, from a keyset (or its first page without one)."""
    parameters = dict(given)
    if keyset is not None:
        if keyset.before is not None:
            parameters["before"] = str(keyset.before)
        if keyset.after is not None:
            parameters["after"] = str(keyset.after)
    path = f"/staff/campaigns/{campaign.slug}/supporters"
    return f"{path}?{urlencode(parameters)}" if parameters else path


def _signature_path(campaign: Campaign, signature_id: int) -> str:
    return f"/staff/campaigns/{campaign.slug}/supporters/{signature_id}"
