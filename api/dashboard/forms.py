"""The staff dashboard's forms: posted fields turned into the services' inputs, and what
was wrong with them worded for the page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar, cast

from fastapi import UploadFile
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as PostedFile

from api.page_forms import FormState, sentence
from api.uploads import read_upload, release_submission_from_form
from campaign.errors import CampaignError, InvalidInput
from campaign.i18n import translations
from campaign.releases.schemas import (
    CallMerge,
    CallSelection,
    CallUpdate,
    DraftRequest,
    ReleaseSubmission,
    ReleaseUpdate,
)

# The staff workspace is shown in English; its messages are marked for the `staff` domain.
_ = translations("en", "staff").gettext

# How the release forms label their fields, for messages about them.
RELEASE_FIELD_LABELS = {
    "sentence": _("Passage"),
    "start": _("Start"),
    "end": _("End"),
    "targets": _("Who must act"),
    "action": _("Action"),
    "strength": _("Strength"),
    "call_ids": _("Calls"),
    "kind": _("Kind"),
    "content": _("Text"),
    "format": _("Pasted as"),
    "file": _("File"),
    "title": _("Title"),
    "organisation": _("Organisation"),
    "published_on": _("Published on"),
    "language": _("Language"),
}

# What to say when a field's value is not one the service takes, where the validator's
# own words would be about types ("Input should be a valid date").
_INVALID = {
    "content": _("paste the release's text or its HTML, or upload its file"),
    "format": _("choose plain text, Markdown or HTML"),
    "published_on": _("enter a date such as 2026-03-01"),
    "strength": _("choose one of the strengths listed"),
    "action": _("say what the call asks for"),
    "kind": _("choose a petition or a letter"),
    "language": _("enter a language tag such as en, fr or pt-BR"),
}
_TICKED = {
    "call_ids": _("tick two or more calls to merge (up to 20)"),
}
DRAFT_ERRORS = {
    "call_ids": _("tick one call, or several calls to the same target (up to 20)"),
    "kind": _INVALID["kind"],
}

# The validator's words that say what is wrong as well as ours would ("String should
# have at most 200 characters").
_SAID_WELL_ENOUGH = frozenset({"string_too_long", "too_long"})

Input = TypeVar("Input", bound=BaseModel)


def _validated(
    schema: type[Input], given: dict[str, Any], *, field: str, messages: dict[str, str]
) -> Input:
    """The form's fields as the service's input, or the first thing wrong with them as an
    error naming its field (the form's own name for it)."""
    try:
        return schema.model_validate(given)
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else field
        message = str(first["msg"])
        if message.startswith("Value error, "):  # the type's own words, made for people
            detail = message.removeprefix("Value error, ")
        elif first["type"] in _SAID_WELL_ENOUGH:
            detail = message
        else:
            detail = messages.get(name, message)
        raise InvalidInput(detail, field=name) from error


def _text(form: FormData | dict[str, str], name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _names(value: str) -> list[str]:
    """Who must act, as typed: names separated by commas."""
    return [name.strip() for name in value.split(",") if name.strip()]


def call_selection_from_form(form: dict[str, str]) -> CallSelection:
    """The add-call form as the API's input. A field left empty is not given, so the
    extractor reads it from the passage; names of who must act are separated by commas."""
    given: dict[str, Any] = {
        name: form[name]
        for name in ("sentence", "start", "end", "action", "strength")
        if form.get(name, "").strip()
    }
    names = _names(form.get("targets", ""))
    if names:
        given["targets"] = names
    return _validated(CallSelection, given, field="sentence", messages={})


def call_update_from_form(form: dict[str, str]) -> CallUpdate:
    """A call's edit form as the API's PATCH: what it shows is what the call becomes, so
    who must act left empty is nobody named. A field the form did not post is left as
    it is."""
    given: dict[str, Any] = {name: form[name] for name in ("action", "strength") if name in form}
    if "targets" in form:
        given["targets"] = _names(form["targets"])
    return _validated(CallUpdate, given, field="action", messages=_INVALID)


def _ticked_ids(form: FormData) -> list[str]:
    return [value for value in form.getlist("call_ids") if isinstance(value, str)]


def call_merge_from_form(form: FormData) -> CallMerge:
    """The ticked calls, to be merged into one."""
    given = {"call_ids": _ticked_ids(form)}
    return _validated(CallMerge, given, field="call_ids", messages=_TICKED)


def draft_request_from_form(form: FormData) -> DraftRequest:
    """The draft form as the API's input: the ticked calls and the kind of campaign."""
    given = {"call_ids": _ticked_ids(form), "kind": _text(form, "kind") or "petition"}
    return _validated(DraftRequest, given, field="call_ids", messages=DRAFT_ERRORS)


def ticked_calls(form: FormData) -> frozenset[str]:
    """The calls ticked on the release page, to tick them again when it is shown back."""
    return frozenset(_ticked_ids(form))


# A release's details besides its text, given when it is submitted or afterwards.
_RELEASE_DETAILS = ("title", "organisation", "published_on", "language")


def release_update_from_form(form: dict[str, str]) -> ReleaseUpdate:
    """A release's details form as the API's PATCH: a title left empty is the release's
    headline again, an organisation or date left empty is none."""
    given: dict[str, Any] = {
        name: form[name].strip() or None for name in _RELEASE_DETAILS if name in form
    }
    return _validated(ReleaseUpdate, given, field="title", messages=_INVALID)


def chosen_file(form: FormData) -> PostedFile | None:
    """The file uploaded with the form, if one was: a browser posts an empty part, with
    no name, for a file field left alone."""
    value = form.get("file")
    if isinstance(value, PostedFile) and (value.filename or value.size):
        return value
    return None


async def release_submission_from_page(
    form: FormData, *, with_details: bool = True
) -> ReleaseSubmission:
    """The new-release form as the API's input: the pasted text in the format chosen, or
    an uploaded file whose extension says its format, as the API's upload does. Without
    the details, only what the text is (all a headline needs)."""
    details = {name: _text(form, name) for name in _RELEASE_DETAILS} if with_details else {}
    given = {name: value for name, value in details.items() if value.strip()}
    pasted = _text(form, "content")
    upload = chosen_file(form)
    if upload is None:
        given |= {"content": pasted, "format": _text(form, "format") or "text"}
        return _validated(ReleaseSubmission, given, field="content", messages=_INVALID)
    if pasted.strip():
        raise InvalidInput(_("upload a file or paste the text, not both"), field="file")
    # The dashboard's form parser hands over Starlette's UploadFile; FastAPI's adds only
    # its schema to it, and read_upload uses neither.
    content = await read_upload(cast(UploadFile, upload))
    if not content.strip():
        raise InvalidInput(_("the file is empty"), field="file")
    try:
        return release_submission_from_form(
            content=content, filename=upload.filename or "", **given
        )
    except InvalidInput as error:
        # What is wrong with the text of the file is wrong with the file.
        field = "file" if error.field in (None, "content") else error.field
        detail = error.detail if field == "file" else _INVALID.get(field, error.detail)
        raise InvalidInput(detail, field=field) from error


def refused_release(form: FormData, error: CampaignError) -> RefusedForm:
    """The new-release form shown back with its error beside the field at fault: what is
    wrong with the text of an uploaded file is wrong with the file."""
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    at = "file" if error.field == "content" and chosen_file(form) is not None else None
    fields = {name: name for name in ("content", "format", "file", *_RELEASE_DETAILS)}
    return refused_form(
        "new-release", error, values, field_ids=fields, form_id="new-release-form", at=at
    )


def refused_ticked(
    name: str, error: CampaignError, form: FormData, *, field_ids: dict[str, str]
) -> RefusedForm:
    """A form of ticked calls (merging them, drafting from them) shown back: nothing is
    typed in it, and the calls stay ticked as they were sent."""
    return refused_form(
        name, error, {}, field_ids=field_ids, form_id=name, ticked=ticked_calls(form)
    )


@dataclass(frozen=True)
class RefusedForm:
    """The form of the release page that was refused, shown again as it was sent: its
    error beside the field at fault, or at the top of the form when the error is about
    none of its fields (the call's status, say)."""

    name: str
    state: FormState
    # For the alert at the top of the page, which links to where the error is shown.
    message: str
    anchor: str
    status_code: int
    ticked: frozenset[str] = frozenset()


def refused_form(
    name: str,
    error: CampaignError,
    values: dict[str, str],
    *,
    field_ids: dict[str, str],
    form_id: str,
    ticked: frozenset[str] = frozenset(),
    at: str | None = None,
) -> RefusedForm:
    """`field_ids`: the form's fields, by name, and the ids they have on the page; `at`:
    the field to show the error beside, when the form knows better than the error."""
    at = at or error.field
    field = at if at in field_ids else None
    detail = sentence(error.detail)
    state = FormState(values, errors={field: detail}) if field else FormState(values, notice=detail)
    anchor = field_ids[field] if field else form_id
    return RefusedForm(name, state, error_text(error, at), anchor, error.status, ticked)


def add_call_error_field(form: dict[str, str], field: str | None) -> str | None:
    """A passage pasted in, not given by offsets, is where a fault with it is shown."""
    offsets_given = form.get("start", "").strip() or form.get("end", "").strip()
    if field == "start" and form.get("sentence", "").strip() and not offsets_given:
        return "sentence"
    return field


def error_text(error: CampaignError, field: str | None = None) -> str:
    """The error as the page shows it: the label of the field at fault (the error's own
    unless the form knows better), then what is wrong."""
    label = RELEASE_FIELD_LABELS.get(field or error.field or "")
    if not label:
        return error.detail
    return _("%(label)s: %(detail)s") % {"label": label, "detail": error.detail}
