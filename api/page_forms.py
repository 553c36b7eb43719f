"""The public pages' forms: posted fields turned into the domain's inputs, and what was
wrong with them turned back into messages for the fields at fault."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from pydantic import ValidationError

from campaign.errors import CampaignError
from campaign.letters.templating import from_words
from campaign.signatures.schemas import Tracking

# Where a visitor came from: the page's utm_* parameters and the Referer it was asked
# with, carried in hidden fields of the form to the signature, as the API's `tracking`.
TRACKING_FIELDS = {
    "utm_source": "source",
    "utm_medium": "medium",
    "utm_campaign": "campaign",
    "referrer": "referrer",
}

# How each field is named in an error message, after "Enter".
_FIELD_NAMES = {
    "given_name": "your given name",
    "family_name": "your family name",
    "email": "your email address",
    "country": "your country",
    "postcode": "your postcode",
    "comment": "a comment",
    "email_updates": "yes or no",
    "locality": "your town",
    "subject": "a subject",
    "body": "your letter",
    "amount": "an amount",
    "frequency": "how often to give",
}


@dataclass
class FormState:
    """What a visitor typed, what was wrong with it, and a message about the whole form."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    notice: str | None = None

    @property
    def refused(self) -> bool:
        return bool(self.errors or self.notice)


async def read_form(request: Request) -> dict[str, str]:
    """The posted fields as text; anything else (a file smuggled in) is ignored."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def text_values(values: Any) -> dict[str, str]:
    return {str(key): str(value) for key, value in values.items()}


def blank_is_none(value: str | None) -> str | None:
    return value if value and value.strip() else None


def consent_choice(form: dict[str, str]) -> dict[str, bool]:
    # No default either way: consent is an explicit yes or no, as in the API.
    answer = form.get("email_updates")
    return {"email_updates": answer == "yes"} if answer in ("yes", "no") else {}


def name_choice(form: dict[str, str]) -> dict[str, bool]:
    # A box left unticked sends nothing: that is a no.
    return {"name_may_be_given": form.get("name_may_be_given") == "yes"}


def signature_fields(form: dict[str, str]) -> dict[str, Any]:
    return {
        "given_name": form.get("given_name", ""),
        "family_name": form.get("family_name", ""),
        "email": form.get("email", ""),
        "country": form.get("country", ""),
        "postcode": blank_is_none(form.get("postcode")),
        "comment": blank_is_none(form.get("comment")),
        "consent": {**consent_choice(form), **name_choice(form)},
        "tracking": tracking(form),
        # The language version the form was shown in (the page's hidden field).
        "language": blank_is_none(form.get("lang")),
    }


def tracking_values(query: Any, referrer: str | None) -> dict[str, str]:
    """The tracking fields for a new form, from the page's address and Referer."""
    values = {name: str(query[name]) for name in TRACKING_FIELDS if name in query}
    if referrer and "referrer" not in values:
        values["referrer"] = referrer
    return values


def tracking(form: dict[str, str]) -> Tracking | None:
    """Where the signer came from, if the form says. Never a reason to refuse a
    signature: values the API would refuse (too long, several lines) are dropped."""
    values = {key: form[name] for name, key in TRACKING_FIELDS.items() if form.get(name)}
    if not values:
        return None
    try:
        return Tracking.model_validate(values)
    except ValidationError:
        return None


def letter_fields(form: dict[str, str]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "given_name": form.get("given_name", ""),
        "family_name": form.get("family_name", ""),
        "email": form.get("email", ""),
        "country": form.get("country", ""),
        "postcode": blank_is_none(form.get("postcode")),
        "locality": blank_is_none(form.get("locality")),
        # The page shows placeholders in words ("[official's name]"): back to placeholders.
        "body": from_words(form.get("body", "")),
        "consent": consent_choice(form),
    }
    # A fixed subject is not in the form; sending none keeps the campaign's.
    if "subject" in form:
        fields["subject"] = from_words(form["subject"])
    return fields


def field_errors(invalid: ValidationError) -> dict[str, str]:
    """One message per field, in the form's order of fields, worded for people."""
    errors: dict[str, str] = {}
    for item in invalid.errors():
        location = [part for part in item["loc"] if isinstance(part, str)]
        name = location[-1] if location else "form"
        errors.setdefault(name, error_message(name, item))
    return errors


def error_message(name: str, item: Any) -> str:
    kind = item.get("type", "")
    label = _FIELD_NAMES.get(name, name.replace("_", " "))
    if kind == "missing" or (kind == "string_too_short" and not item.get("input")):
        return "Choose yes or no." if name == "email_updates" else f"Enter {label}."
    if kind == "string_too_long":
        return f"This must be at most {item['ctx']['max_length']} characters."
    if kind in ("int_parsing", "int_type"):
        return "Enter an amount, such as 5 or 12.50."
    message = str(item.get("msg", "is not valid")).removeprefix("Value error, ")
    if message.startswith(("must", "is ")):
        message = f"This {message}"
    return sentence(message)


def sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else f"{text}."


def state_for_service_error(
    form: dict[str, str], error: CampaignError, *, whole_form: tuple[str, ...]
) -> FormState:
    """A domain error names its field: shown next to it, or above the form when the field
    is not one of the form's own (the campaign itself, or the lookup's answer)."""
    if error.field is None or error.field in whole_form:
        return FormState(values=form, notice=sentence(error.detail))
    return FormState(values=form, errors={error.field: sentence(error.detail)})


def worded_field_errors(
    invalid: ValidationError,
    when_empty: Mapping[str, str],
    bad_format: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """One message per field, worded for a staff page: what to do when it was left empty
    or is not one of the choices offered, or when its text is not of the form it must
    have (`bad_format`), else what is wrong with it. A list item's error is its list's."""
    errors: dict[str, str] = {}
    for item in invalid.errors():
        location = [part for part in item["loc"] if isinstance(part, str)]
        name = location[0] if location else "form"
        kind = item["type"]
        empty = kind in ("missing", "enum") or not str(item.get("input") or "").strip()
        if empty and name in when_empty:
            errors.setdefault(name, when_empty[name])
        elif (
            bad_format and name in bad_format and kind in ("string_pattern_mismatch", "int_parsing")
        ):
            errors.setdefault(name, bad_format[name])
        else:
            errors.setdefault(name, error_message(name, item))
    return errors


def refused_state(values: dict[str, str], error: CampaignError) -> FormState:
    """A service's refusal beside the field it names, or above the form."""
    if error.field in values:
        return FormState(values=values, errors={error.field: sentence(error.detail)})
    return FormState(values=values, notice=sentence(error.detail))
