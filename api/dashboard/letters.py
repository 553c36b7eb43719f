"""A letter campaign's setup on the dashboard: who it is sent to, the template and its
preview for a real official, the writing limits, and the per-official limits. Each part
is its own form; each saves through campaign.letters.setup, as the JSON API does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.dashboard.rendering import may_edit, page, refusable, see_other
from api.deps import EditorForm, SessionDep, StaffLogin
from api.page_forms import FormState, read_form, sentence
from api.params import RowIdPath, RowIdQuery, SlugPath
from campaign.campaigns import service as campaigns
from campaign.campaigns.models import Campaign
from campaign.errors import CampaignError, InvalidInput
from campaign.i18n import translations
from campaign.letters import setup as letter_setup
from campaign.letters.models import OverLimit
from campaign.letters.schemas import (
    DivisionTargets,
    LetterLimitsInput,
    LetterSetupInput,
    LetterTemplateInput,
    TargetChoice,
)
from campaign.letters.templating import PLACEHOLDER_MEANINGS, SAMPLE_ACTIVIST
from campaign.staff.sessions import ActiveSession

router = APIRouter()
# The staff workspace is shown in English; its messages are marked for the `staff` domain.
_ = translations("en", "staff").gettext

SearchText = Annotated[str, Query(max_length=200)]
PreviewId = RowIdQuery


# Each form on the page and the fields it shows; an error about another field (or about
# the campaign itself) is shown above the page.
_FORM_FIELDS = {
    "targets": ("kind", "organisation", "role"),
    "officials": ("official_id",),
    "template": ("subject_template", "body_template"),
    "limits": (
        "min_length",
        "max_length",
        "required_phrases",
        "subject_locked",
        "per_official_hourly_limit",
        "per_official_daily_limit",
        "daily_digest",
    ),
}
# The services' names for what a form field sets, where they differ.
_FIELD_OF_SERVICE = {
    "targets": "kind",
    "targets.organisation": "organisation",
    "targets.role": "role",
    "targets.official_ids": "official_id",
    "subject_editable": "subject_locked",
    "over_limit": "daily_digest",
}
_SAVED = {
    "targets": _("Saved: who the letter goes to."),
    "officials": _("Saved: the list of officials."),
    "template": _("Saved: the letter."),
    "limits": _("Saved: the limits."),
}


@router.get("/campaigns/{slug}/letter")
async def letter_setup_page(
    slug: SlugPath,
    request: Request,
    session: SessionDep,
    active: StaffLogin,
    q: SearchText = "",
    preview: PreviewId = None,
    saved: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    campaign = await campaigns.get_campaign(session, slug)
    return await _setup_page(
        request, session, active, campaign, search=q, preview=preview, notice=_SAVED.get(saved)
    )


@router.get("/campaigns/{slug}/letter/officials")
async def official_search_results(
    slug: SlugPath, request: Request, session: SessionDep, active: StaffLogin, q: SearchText = ""
) -> HTMLResponse:
    """The directory search's results alone, for the page's script to show as staff
    type; the page itself shows the same for a search sent without it."""
    campaign = await campaigns.get_campaign(session, slug)
    return page(
        request,
        "staff/letter_setup_results.html",
        active=active,
        campaign=campaign,
        may_edit=may_edit(active),
        search=await letter_setup.search_directory(session, campaign, q),
    )


@router.post("/campaigns/{slug}/letter/targets")
async def save_targets(
    slug: SlugPath, request: Request, session: SessionDep, active: EditorForm
) -> Response:
    return await _save_part(
        slug, request, session, active, "targets", _target_choice, letter_setup.choose_targets
    )


@router.post("/campaigns/{slug}/letter/officials")
async def add_official(
    slug: SlugPath, request: Request, session: SessionDep, active: EditorForm
) -> Response:
    return await _save_part(
        slug,
        request,
        session,
        active,
        "officials",
        _official_id,
        letter_setup.add_listed_official,
        keeps_search=True,
    )


@router.post("/campaigns/{slug}/letter/officials/{official_id}/remove")
async def remove_official(
    slug: SlugPath,
    official_id: RowIdPath,
    request: Request,
    session: SessionDep,
    active: EditorForm,
) -> Response:
    return await _save_part(
        slug,
        request,
        session,
        active,
        "officials",
        lambda form: official_id,
        letter_setup.remove_listed_official,
    )


@router.post("/campaigns/{slug}/letter/template")
async def save_template(
    slug: SlugPath, request: Request, session: SessionDep, active: EditorForm
) -> Response:
    return await _save_part(
        slug, request, session, active, "template", _template_input, letter_setup.change_template
    )


@router.post("/campaigns/{slug}/letter/limits")
async def save_limits(
    slug: SlugPath, request: Request, session: SessionDep, active: EditorForm
) -> Response:
    return await _save_part(
        slug, request, session, active, "limits", _limits_input, letter_setup.change_limits
    )


_Change = TypeVar("_Change")


async def _save_part(
    slug: str,
    request: Request,
    session: AsyncSession,
    active: ActiveSession,
    part: str,
    read: Callable[[Mapping[str, str]], _Change],
    save: Callable[[AsyncSession, Campaign, _Change], Awaitable[object]],
    *,
    keeps_search: bool = False,
) -> Response:
    """Each part of the setup is saved the same way. Reading the form runs inside
    `refusable` too, so a field it gets wrong is refused as a service's refusal is: the
    page shows that part's form as typed, the error beside its field. `keeps_search`: the
    officials found by a search are added from its results, which stay on the page."""
    campaign = await campaigns.get_campaign(session, slug)
    form = await read_form(request)
    search = form.get("q", "")[:200] if keeps_search else ""
    async with refusable(session) as refused:
        await save(session, campaign, read(form))
    if refused.error:
        return await _setup_page(
            request,
            session,
            active,
            campaign,
            search=search,
            refused=_Refused(part, form, refused.error),
        )
    return _saved(slug, part, q=search)


# -- The page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Refused:
    """A form the services refused: which, what was typed in it, and why."""

    form: str
    values: dict[str, str]
    error: CampaignError


async def _setup_page(
    request: Request,
    session: AsyncSession,
    active: ActiveSession,
    campaign: Campaign,
    *,
    search: str = "",
    preview: int | None = None,
    notice: str | None = None,
    refused: _Refused | None = None,
) -> HTMLResponse:
    overview = await letter_setup.setup_overview(
        session, campaign, search=search, preview_official_id=preview
    )
    forms = _forms_of(overview.setup.data)
    page_error = None
    if refused is not None:
        errors, page_error = _errors_for(refused.form, refused.error)
        # As typed: a box left unticked is not sent, and shows unticked.
        typed = {name: refused.values.get(name, "") for name in _FORM_FIELDS[refused.form]}
        forms[refused.form] = FormState(values=typed, errors=errors)
    return page(
        request,
        "staff/letter_setup.html",
        status_code=refused.error.status if refused else 200,
        active=active,
        campaign=campaign,
        may_edit=may_edit(active),
        overview=overview,
        targets=overview.setup.data.targets,
        not_ready=_why_not(overview.publishing_refusal),
        preview_error=_why_not(overview.preview_error),
        search=overview.search,
        forms=forms,
        notice=notice,
        page_error=page_error,
        placeholders=PLACEHOLDER_MEANINGS,
        sample_activist=SAMPLE_ACTIVIST,
    )


def _forms_of(data: LetterSetupInput) -> dict[str, FormState]:
    """Each form filled in with the setup as it stands."""
    targets = data.targets
    return {
        "targets": FormState(
            values={
                "kind": targets.kind,
                "organisation": targets.organisation
                if isinstance(targets, DivisionTargets)
                else "",
                "role": getattr(targets, "role", "") or "",
            }
        ),
        "officials": FormState(),
        "template": FormState(
            values={
                "subject_template": data.subject_template,
                "body_template": data.body_template,
            }
        ),
        "limits": FormState(
            values={
                "min_length": str(data.min_length),
                "max_length": str(data.max_length),
                "required_phrases": "\n".join(data.required_phrases),
                "subject_locked": "" if data.subject_editable else "on",
                "per_official_hourly_limit": _blank_or(data.per_official_hourly_limit),
                "per_official_daily_limit": _blank_or(data.per_official_daily_limit),
                "daily_digest": "on" if data.over_limit == OverLimit.DIGEST else "",
            }
        ),
    }


def _why_not(refusal: CampaignError | None) -> str | None:
    return sentence(refusal.detail) if refusal else None


def _blank_or(number: int | None) -> str:
    return "" if number is None else str(number)


def _errors_for(form: str, error: CampaignError) -> tuple[dict[str, str], str | None]:
    """The refusal beside the fields it is about, or above the page when it is about
    none of the form's fields."""
    if isinstance(error, FormRefused):
        return error.errors, None
    field = _FIELD_OF_SERVICE.get(error.field or "", error.field or "")
    if field in _FORM_FIELDS[form]:
        return {field: sentence(error.detail)}, None
    return {}, sentence(error.detail)


def _saved(slug: str, part: str, **query: str) -> Response:
    anchor = {"officials": "fixed-list"}.get(part, part)
    query = {"saved": part, **{k: v for k, v in query.items() if v}}
    return see_other(f"/staff/campaigns/{slug}/letter?{urlencode(query)}#{anchor}")


# -- The forms as the services' inputs -------------------------------------------------------


_Input = TypeVar("_Input", bound=BaseModel)


class FormRefused(InvalidInput):
    """A form whose fields are wrong before any service sees them: every field's
    message at once."""

    def __init__(self, errors: dict[str, str]) -> None:
        field, message = next(iter(errors.items()))
        super().__init__(message, field=field)
        self.errors = errors


def _target_choice(form: Mapping[str, str]) -> TargetChoice:
    kind = form.get("kind", "")
    values: dict[str, Any] = {"kind": kind}
    # Only the chosen rule's field counts: the other list keeps whatever it shows.
    if kind == "division" and form.get("organisation", "").strip():
        values["organisation"] = form["organisation"]
    if kind == "role" and form.get("role", "").strip():
        values["role"] = form["role"]
    return _parsed(TargetChoice, values, {"kind": _("Choose who the letter goes to.")})


def _official_id(form: Mapping[str, str]) -> int:
    value = form.get("official_id", "").strip()
    if not value.isdigit() or not 1 <= int(value) < 2**63:
        raise FormRefused({"official_id": _("Choose an official from the search results.")})
    return int(value)


def _template_input(form: Mapping[str, str]) -> LetterTemplateInput:
    return _parsed(
        LetterTemplateInput,
        {
            "subject_template": form.get("subject_template", ""),
            "body_template": _unix_lines(form.get("body_template", "")),
        },
    )


def _limits_input(form: Mapping[str, str]) -> LetterLimitsInput:
    passages = [line.strip() for line in _unix_lines(form.get("required_phrases", "")).split("\n")]
    return _parsed(
        LetterLimitsInput,
        {
            "subject_editable": not form.get("subject_locked"),
            "min_length": form.get("min_length", "").strip(),
            "max_length": form.get("max_length", "").strip(),
            "required_phrases": [passage for passage in passages if passage],
            "per_official_hourly_limit": form.get("per_official_hourly_limit", "").strip() or None,
            "per_official_daily_limit": form.get("per_official_daily_limit", "").strip() or None,
            "over_limit": OverLimit.DIGEST if form.get("daily_digest") else OverLimit.QUEUE,
        },
    )


def _unix_lines(text: str) -> str:
    # A browser sends a textarea's line breaks as CRLF; letters are stored with LF.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _parsed(
    model: type[_Input], values: dict[str, Any], missing: Mapping[str, str] | None = None
) -> _Input:
    try:
        return model.model_validate(values)
    except ValidationError as invalid:
        errors: dict[str, str] = {}
        for item in invalid.errors():
            names = [str(part) for part in item["loc"] if isinstance(part, str)]
            name = _FIELD_OF_SERVICE.get(names[0], names[0]) if names else "form"
            errors.setdefault(name, (missing or {}).get(name) or _message(item))
        raise FormRefused(errors) from invalid


def _message(item: Any) -> str:
    """A validation error as the page says it, beside its field."""
    kind, context = item.get("type", ""), item.get("ctx") or {}
    if kind in ("missing", "string_too_short") or (kind == "literal_error" and not item["input"]):
        return _("This can't be empty.")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("Enter a whole number, such as 50.")
    if kind == "greater_than_equal":
        return _("This must be %(limit)s or more.") % {"limit": context["ge"]}
    if kind == "less_than_equal":
        return _("This must be %(limit)s or less.") % {"limit": context["le"]}
    if kind == "string_too_long":
        return _("This must be at most %(limit)s characters.") % {"limit": context["max_length"]}
    if kind == "too_long":
        return _("Give at most %(limit)s.") % {"limit": context["max_length"]}
    message = str(item.get("msg", "is not valid")).removeprefix("Value error, ")
    return sentence(f"This {message}" if message.startswith(("must ", "is ")) else message)
