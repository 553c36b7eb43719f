"""The public pages' forms: posted fields turned into the domain's inputs, and what was
wrong with them turned back into messages for the fields at fault."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from pydantic import ValidationError

from api.languages import page_messages
from campaign.errors import CampaignError
from campaign.i18n import SOURCE_LANGUAGE
from campaign.i18n import gettext_noop as _
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

# What to do about each field left empty, whole: a sentence put together from pieces
# would not translate.
_WHEN_MISSING = {
    "given_name": _("Enter your given name."),
    "family_name": _("Enter your family name."),
    "email": _("Enter your email address."),
    "country": _("Enter your country."),
    "postcode": _("Enter your postcode."),
    "comment": _("Enter a comment."),
    "email_updates": _("Choose yes or no."),
    "locality": _("Enter your town."),
    "subject": _("Enter a subject."),
    "body": _("Enter your letter."),
    "amount": _("Enter an amount."),
    "frequency": _("Enter how often to give."),
}
# What to do about a field whose text is refused for a reason the catalogue cannot word
# (an email address checker's own explanation, a length in the message): in any language
# but English, which shows the reason itself.
_WHEN_INVALID = {
    "given_name": _("Check your given name."),
    "family_name": _("Check your family name."),
    "email": _("Enter your email address in the form name@example.org."),
    "country": _("Choose your country from the list."),
    "postcode": _("Check your postcode."),
    "comment": _("Check your comment."),
    "locality": _("Check your town."),
    "subject": _("Check the subject."),
    "body": _("Check your letter."),
    "amount": _("Enter an amount, such as 5 or 12.50."),
    "frequency": _("Choose how often to give."),
}
NOT_VALID = _("This is not valid.")


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


def field_errors(invalid: ValidationError, language: str = SOURCE_LANGUAGE) -> dict[str, str]:
    """One message per field, in the form's order of fields, worded for people in the
    page's language."""
    errors: dict[str, str] = {}
    for item in invalid.errors():
        location = [part for part in item["loc"] if isinstance(part, str)]
        name = location[-1] if location else "form"
        errors.setdefault(name, error_message(name, item, language))
    return errors


def error_message(name: str, item: Any, language: str = SOURCE_LANGUAGE) -> str:
    messages = page_messages(language)
    kind = item.get("type", "")
    if kind == "missing" or (kind == "string_too_short" and not item.get("input")):
        if name in _WHEN_MISSING:
            return messages.gettext(_WHEN_MISSING[name])
        return messages.gettext("Enter %(field)s.") % {"field": name.replace("_", " ")}
    if kind == "string_too_long":
        limit = int(item["ctx"]["max_length"])
        return messages.ngettext(
            "This must be at most %(count)s character.",
            "This must be at most %(count)s characters.",
            limit,
        ) % {"count": limit}
    if kind in ("int_parsing", "int_type"):
        return messages.gettext(_WHEN_INVALID["amount"])
    message = str(item.get("msg", "is not valid")).removeprefix("Value error, ")
    if message.startswith(("must", "is ")):
        message = f"This {message}"
    return translated_sentence(message, language, fallback=_WHEN_INVALID.get(name, NOT_VALID))


# Said in a language other than English of a refusal its catalogue cannot word and no
# field explains: general, but in the reader's language rather than in English.
_ANY_REFUSAL = _("This could not be accepted. Check what you entered and try again.")


def translated_sentence(text: str, language: str, *, fallback: str | None = None) -> str:
    """A message of the domain (a service's refusal, a schema's reason) as a sentence in
    the page's language: its catalogue's translation when it has one; else, in a
    language other than English, the fallback's when one is given, or a general one."""
    if language == SOURCE_LANGUAGE:
        return sentence(text)
    messages = page_messages(language)
    for candidate in (text, sentence(text)):
        translated = messages.gettext(candidate)
        if translated != candidate:
            return sentence(translated)
    return sentence(messages.gettext(fallback or _ANY_REFUSAL))


def translated_detail(detail: str, language: str) -> str:
    """A service's reason on a page that shows it as worded: in English as it is, in
    another language as a sentence of its catalogue (as it is if it has none)."""
    return detail if language == SOURCE_LANGUAGE else translated_sentence(detail, language)


def sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else f"{text}."


def state_for_service_error(
    form: dict[str, str],
    error: CampaignError,
    *,
    whole_form: tuple[str, ...],
    language: str = SOURCE_LANGUAGE,
) -> FormState:
    """A domain error names its field: shown next to it, or above the form when the field
    is not one of the form's own (the campaign itself, or the lookup's answer)."""
    fallback = _WHEN_INVALID.get(error.field or "")
    message = translated_sentence(error.detail, language, fallback=fallback)
    if error.field is None or error.field in whole_form:
        return FormState(values=form, notice=message)
    return FormState(values=form, errors={error.field: message})


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
