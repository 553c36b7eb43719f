"""The staff dashboard's forms: posted fields turned into the services' inputs, and what
was wrong with them worded for the page."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from campaign.errors import CampaignError, InvalidInput
from campaign.releases.schemas import CallSelection, DraftRequest

# How the add-call form labels its fields, for messages about them.
CALL_FIELD_LABELS = {
    "sentence": "Passage",
    "start": "Start",
    "end": "End",
    "targets": "Who must act",
    "action": "Action",
    "strength": "Strength",
    "call_ids": "Calls",
    "kind": "Kind",
}


def call_selection_from_form(form: dict[str, str]) -> CallSelection:
    """The add-call form as the API's input. A field left empty is not given, so the
    extractor reads it from the passage; names of who must act are separated by commas."""
    given: dict[str, Any] = {
        name: form[name]
        for name in ("sentence", "start", "end", "action", "strength")
        if form.get(name, "").strip()
    }
    names = [name.strip() for name in form.get("targets", "").split(",") if name.strip()]
    if names:
        given["targets"] = names
    try:
        return CallSelection.model_validate(given)
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "sentence"
        raise InvalidInput(str(first["msg"]).removeprefix("Value error, "), field=field) from error


def error_text(error: CampaignError) -> str:
    """The error as the page shows it: the field's label, then what is wrong."""
    label = CALL_FIELD_LABELS.get(error.field or "")
    return f"{label}: {error.detail}" if label else error.detail


def draft_request_from_form(form: FormData) -> DraftRequest:
    """The draft form as the API's input: the ticked calls and the kind of campaign."""
    ids = [value for value in form.getlist("call_ids") if isinstance(value, str)]
    kind = form.get("kind")
    try:
        return DraftRequest.model_validate(
            {"call_ids": ids, "kind": kind if isinstance(kind, str) else "petition"}
        )
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "call_ids"
        raise InvalidInput(DRAFT_ERRORS.get(field, str(first["msg"])), field=field) from error


DRAFT_ERRORS = {
    "call_ids": "tick one call, or several calls to the same target (up to 20)",
    "kind": "choose a petition or a letter",
}
