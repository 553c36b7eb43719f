"""Input types shared by every domain's schemas: bounded, trimmed text that the
database can store (no NUL or other control characters) and standard codes."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

import pycountry
from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\r\n\u2028\u2029]")


def _normalise_text(value: object) -> object:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value).strip()
    return value


def _reject_control_characters(value: str) -> str:
    # PostgreSQL refuses NUL in text and other control characters only hide things.
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _reject_line_breaks(value: str) -> str:
    # Single-line values end up in email headers and page titles.
    if _LINE_BREAK.search(value):
        raise ValueError("must be a single line")
    return value


# Validators of every free-text field, in order: NFC and trim, no control characters.
_TEXT = (BeforeValidator(_normalise_text), AfterValidator(_reject_control_characters))
_LINE = (*_TEXT, AfterValidator(_reject_line_breaks))


def _country_code(value: str) -> str:
    code = value.upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError("must be an ISO 3166-1 alpha-2 country code, such as GB or FR")
    return code


def _language_tag(value: str) -> str:
    primary = value.split("-", 1)[0].lower()
    if pycountry.languages.get(alpha_2=primary) is None:
        raise ValueError("must be a language tag such as en, fr or pt-BR")
    return value


CountryCode = Annotated[str, BeforeValidator(_normalise_text), AfterValidator(_country_code)]
LanguageTag = Annotated[
    str,
    BeforeValidator(_normalise_text),
    StringConstraints(pattern=r"^[A-Za-z]{2}(-[A-Za-z0-9]{2,8})?$"),
    AfterValidator(_language_tag),
]
Slug = Annotated[
    str,
    BeforeValidator(_normalise_text),
    StringConstraints(min_length=3, max_length=80, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$"),
]
Title = Annotated[str, StringConstraints(min_length=1, max_length=200), *_LINE]
Summary = Annotated[str, StringConstraints(min_length=1, max_length=1000), *_TEXT]
TargetName = Annotated[str, StringConstraints(min_length=1, max_length=200), *_LINE]
ShareText = Annotated[str, StringConstraints(min_length=1, max_length=500), *_TEXT]
MarkdownText = Annotated[str, StringConstraints(min_length=1, max_length=50_000), *_TEXT]
PersonName = Annotated[str, StringConstraints(min_length=1, max_length=100), *_LINE]
Postcode = Annotated[str, StringConstraints(min_length=1, max_length=16), *_LINE]
Comment = Annotated[str, StringConstraints(max_length=2000), *_TEXT]
TokenName = Annotated[str, StringConstraints(min_length=1, max_length=100), *_LINE]
UtmValue = Annotated[str, StringConstraints(max_length=200), *_LINE]
SignatureGoal = Annotated[int, Field(ge=1, le=1_000_000_000)]
MailingSubject = Annotated[str, StringConstraints(min_length=1, max_length=200), *_LINE]
SenderName = Annotated[str, StringConstraints(min_length=1, max_length=100), *_LINE]
TagName = Annotated[str, StringConstraints(min_length=1, max_length=200), *_LINE]
SourceName = Annotated[str, StringConstraints(min_length=1, max_length=200), *_LINE]
# A row's id as a client may send it: the databases hold 64-bit signed integers.
RowId = Annotated[int, Field(ge=1, le=2**63 - 1)]
ReleaseContent = Annotated[str, StringConstraints(min_length=1, max_length=500_000), *_TEXT]
ActionText = Annotated[str, StringConstraints(min_length=1, max_length=2000), *_TEXT]
LetterSubject = Annotated[str, StringConstraints(min_length=1, max_length=300), *_LINE]
LetterBody = Annotated[str, StringConstraints(min_length=1, max_length=20_000), *_TEXT]
Phrase = Annotated[str, StringConstraints(min_length=1, max_length=500), *_TEXT]
Locality = Annotated[str, StringConstraints(min_length=1, max_length=100), *_LINE]
ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=300), *_LINE]
OfficialTitle = Annotated[str, StringConstraints(min_length=1, max_length=300), *_LINE]
DivisionIdText = Annotated[str, StringConstraints(max_length=300), *_LINE]
Referrer = Annotated[str, StringConstraints(max_length=500), *_LINE]
SourceText = Annotated[str, StringConstraints(min_length=1, max_length=500), *_LINE]


def _as_stored(value: object) -> object:
    # A passage is looked up in a release's text exactly as stored: line breaks as the
    # release has them (a browser posts a textarea's as CRLF), and no Unicode
    # normalisation, which could change characters the text holds unnormalised.
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n").strip()
    return value


# A passage of a release, to be found in its text.
Passage = Annotated[
    str,
    BeforeValidator(_as_stored),
    StringConstraints(min_length=1, max_length=50_000),
    AfterValidator(_reject_control_characters),
]
# A character offset into a release's text (which is at most 500,000 characters).
TextOffset = Annotated[int, Field(ge=0, le=1_000_000)]
