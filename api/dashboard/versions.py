"""A campaign's language versions on the dashboard: the versions with the signatures made
on each, a form to add one, each version's texts to edit, and removing one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.dashboard.rendering import may_edit, page, refusable, see_other
from api.deps import EditorForm, SessionDep, StaffLogin
from api.page_forms import FormState, read_form, refused_state, worded_field_errors
from api.params import LanguagePath, SlugPath
from campaign.campaigns import service as campaigns
from campaign.campaigns import versions
from campaign.campaigns.models import Campaign, CampaignKind, CampaignState, CampaignVersion
from campaign.campaigns.schemas import CampaignVersionCreate, CampaignVersionUpdate
from campaign.i18n import SUPPORTED_LANGUAGES, language_name, translations
from campaign.metrics.counts import signature_counts_by_version
from campaign.signatures.schemas import SignatureCounts
from campaign.staff.sessions import ActiveSession

router = APIRouter()
# The staff workspace is shown in English; its messages are marked for the `staff` domain.
_ = translations("en", "staff").gettext

# The texts a version has; a petition's form leaves out the letter's two.
_TEXTS = ("title", "summary", "body_markdown", "share_text", "letter_subject", "letter_body")
_OPTIONAL = frozenset({"share_text", "letter_subject", "letter_body"})
_LETTER_TEXTS = frozenset({"letter_subject", "letter_body"})

_WHEN_EMPTY = {
    "language": _("Enter a language, such as fr or de."),
    "title": _("Enter a title."),
    "summary": _("Enter a summary."),
    "body_markdown": _("Enter the campaign's text."),
}
_BAD_FORMAT = {"language": _("Enter a language tag, such as fr, de or pt-BR.")}


@router.get("/campaigns/{slug}/versions")
async def versions_page(
    slug: SlugPath, request: Request, session: SessionDep, active: StaffLogin
) -> HTMLResponse:
    campaign = await campaigns.get_campaign(session, slug)
    return await _versions_page(request, session, active, campaign, FormState())


@router.post("/campaigns/{slug}/versions")
async def add_version(
    slug: SlugPath, request: Request, session: SessionDep, active: EditorForm
) -> Response:
    campaign = await campaigns.get_campaign(session, slug)
    form = await read_form(request)
    try:
        data = CampaignVersionCreate.model_validate(_fields(form, campaign, creating=True))
    except ValidationError as invalid:
        state = FormState(
            values=form, errors=worded_field_errors(invalid, _WHEN_EMPTY, _BAD_FORMAT)
        )
        return await _versions_page(request, session, active, campaign, state, status_code=422)
    async with refusable(session) as refused:
        version = await versions.add_version(session, campaign, data)
    if refused.error:
        state = refused_state(form, refused.error)
        return await _versions_page(
            request, session, active, campaign, state, status_code=refused.status_code
        )
    return see_other(f"/staff/campaigns/{slug}/versions/{version.language}?saved=1")


@router.get("/campaigns/{slug}/versions/{language}")
async def version_page(
    slug: SlugPath,
    language: LanguagePath,
    request: Request,
    session: SessionDep,
    active: StaffLogin,
    saved: bool = False,
) -> HTMLResponse:
    campaign = await campaigns.get_campaign(session, slug)
    version = await versions.get_version(session, campaign, language)
    form = FormState(values=_values_of(version))
    return _version_page(request, active, campaign, version, form, saved=saved)


@router.post("/campaigns/{slug}/versions/{language}")
async def save_version(
    slug: SlugPath,
    language: LanguagePath,
    request: Request,
    session: SessionDep,
    active: EditorForm,
) -> Response:
    campaign = await campaigns.get_campaign(session, slug)
    version = await versions.get_version(session, campaign, language)
    form = await read_form(request)
    try:
        data = CampaignVersionUpdate.model_validate(_fields(form, campaign, creating=False))
    except ValidationError as invalid:
        state = FormState(
            values=form, errors=worded_field_errors(invalid, _WHEN_EMPTY, _BAD_FORMAT)
        )
        return _version_page(request, active, campaign, version, state, status_code=422)
    async with refusable(session) as refused:
        await versions.update_version(session, campaign, version, data)
    if refused.error:
        state = refused_state(form, refused.error)
        return _version_page(
            request, active, campaign, version, state, status_code=refused.status_code
        )
    return see_other(f"/staff/campaigns/{slug}/versions/{version.language}?saved=1")


@router.post("/campaigns/{slug}/versions/{language}/remove")
async def remove_version(
    slug: SlugPath,
    language: LanguagePath,
    request: Request,
    session: SessionDep,
    active: EditorForm,
) -> Response:
    campaign = await campaigns.get_campaign(session, slug)
    version = await versions.get_version(session, campaign, language)
    async with refusable(session) as refused:
        await versions.remove_version(session, campaign, version)
    if refused.error:
        state = refused_state({}, refused.error)
        return await _versions_page(
            request, session, active, campaign, state, status_code=refused.status_code
        )
    return see_other(f"/staff/campaigns/{slug}/versions?removed={version.language}")


# -- Building the pages -------------------------------------------------------------------


def _fields(form: dict[str, str], campaign: Campaign, *, creating: bool) -> dict[str, Any]:
    """The form as the service's input: the texts the form shows, an optional one left
    empty removed (none); a letter's two only for a letter campaign."""
    shown = [
        name for name in _TEXTS if name not in _LETTER_TEXTS or campaign.kind == CampaignKind.LETTER
    ]
    fields: dict[str, Any] = {}
    for name in shown:
        value = form.get(name, "")
        fields[name] = (value if value.strip() else None) if name in _OPTIONAL else value
    if creating:
        fields["language"] = form.get("language", "")
    return fields


def _values_of(version: CampaignVersion) -> dict[str, str]:
    return {name: getattr(version, name) or "" for name in ("language", *_TEXTS)}


async def _versions_page(
    request: Request,
    session: AsyncSession,
    active: ActiveSession,
    campaign: Campaign,
    form: FormState,
    *,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    found = await versions.list_versions(session, campaign.id)
    counts = await signature_counts_by_version(session, campaign.id)
    taken = {campaign.language, *(version.language for version in found)}
    return page(
        request,
        "staff/campaign_versions.html",
        status_code=status_code,
        active=active,
        campaign=campaign,
        versions=[
            {
                "language": version.language,
                "name": language_name(version.language),
                "title": version.title,
                "counts": counts.get(version.language, SignatureCounts()),
            }
            for version in found
        ],
        primary={
            "language": campaign.language,
            "name": language_name(campaign.language),
            "counts": counts.get(campaign.language, SignatureCounts()),
        },
        # Languages the workspace suggests for a new version; any tag may be typed.
        suggested=[
            (language, language_name(language))
            for language in SUPPORTED_LANGUAGES
            if language not in taken
        ],
        form=form,
        removed=request.query_params.get("removed"),
        may_change=may_edit(active) and campaign.state != CampaignState.CLOSED,
        letter=campaign.kind == CampaignKind.LETTER,
    )


def _version_page(
    request: Request,
    active: ActiveSession,
    campaign: Campaign,
    version: CampaignVersion,
    form: FormState,
    *,
    saved: bool = False,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    return page(
        request,
        "staff/campaign_version.html",
        status_code=status_code,
        active=active,
        campaign=campaign,
        version=version,
        version_name=language_name(version.language),
        form=form,
        saved=saved,
        may_change=may_edit(active) and campaign.state != CampaignState.CLOSED,
        letter=campaign.kind == CampaignKind.LETTER,
    )
