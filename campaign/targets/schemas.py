"""What goes into the target directory: one official, from a file row or from staff,
and the changes staff make to one."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    model_validator,
)

from campaign.people.addresses import InvalidEmail, parse_email
from campaign.types import (
    CountryCode,
    DivisionIdText,
    ExternalId,
    OfficialTitle,
    SourceText,
    TargetName,
)

OCD_DIVISION_PREFIX = "ocd-division/"
_NOT_ROLE_KEY = re.compile(r"[^a-z0-9]+")
_ROLE_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
# An OCD id is lower-case words joined by "/" and ":"; here only its prefix and the
# absence of spaces are checked, since sources differ in what else they allow.
_DIVISION_ID = re.compile(r"^ocd-division/\S+$")


def role_key(value: str) -> str:
    """The key campaign rules match on: "Foreign Minister" becomes "foreign_minister",
    "Député" becomes "depute"."""
    decomposed = unicodedata.normalize("NFKD", value.lower())
    unaccented = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_ROLE_KEY.sub("_", unaccented).strip("_")


def _role_key_of_text(value: object) -> object:
    return role_key(value) if isinstance(value, str) else value


def _valid_role_key(value: str) -> str:
    if not _ROLE_KEY.match(value):
        raise ValueError("must be Latin letters, digits and underscores, such as foreign_minister")
    return value


def valid_division_id(value: str) -> str:
    if not _DIVISION_ID.match(value):
        raise ValueError(f"must be an Open Civic Data id starting with {OCD_DIVISION_PREFIX}")
    return value


def _valid_official_email(value: str) -> str:
    try:
        # As email-validator normalises it (domain in lower case); no DNS look-up.
        return parse_email(value).typed
    except InvalidEmail as error:
        raise ValueError("not a valid address") from error


RoleKey = Annotated[
    str,
    BeforeValidator(_role_key_of_text),
    # An empty key ("!!" has no letters) is refused by the pattern, in words that say why.
    StringConstraints(max_length=60),
    AfterValidator(_valid_role_key),
]
OfficialEmail = Annotated[
    str, StringConstraints(min_length=3, max_length=320), AfterValidator(_valid_official_email)
]
DivisionId = Annotated[DivisionIdText, AfterValidator(valid_division_id)]


class OfficialRow(BaseModel):
    """One official as a CSV row, a Popolo membership or a staff request gives it.
    Without a title, the role as written stands in ("Foreign Minister")."""

    model_config = ConfigDict(extra="forbid")

    external_id: ExternalId
    name: TargetName
    title: OfficialTitle
    role: RoleKey
    organisation: TargetName
    email: OfficialEmail
    country: CountryCode
    division_id: DivisionId | None = None
    party: TargetName | None = None
    source: SourceText | None = None

    @model_validator(mode="before")
    @classmethod
    def _title_defaults_to_role(cls, data: Any) -> Any:
        if isinstance(data, dict) and _is_blank(data.get("title")) and "role" in data:
            return {**data, "title": data["role"]}
        return data


class OfficialSearch(BaseModel):
    """What staff look for in the directory: every field given must match. Name and body
    are parts of the text in any case; the rest match exactly (a role as its key)."""

    model_config = ConfigDict(extra="forbid")

    name: TargetName | None = None
    role: RoleKey | None = None
    organisation: TargetName | None = None
    country: CountryCode | None = None
    division_id: DivisionId | None = None
    active: bool | None = None


class OfficialUpdate(BaseModel):
    """Only the fields given change; optional ones can be cleared with null."""

    model_config = ConfigDict(extra="forbid")

    external_id: ExternalId | None = None
    name: TargetName | None = None
    title: OfficialTitle | None = None
    role: RoleKey | None = None
    organisation: TargetName | None = None
    email: OfficialEmail | None = None
    country: CountryCode | None = None
    division_id: DivisionId | None = None
    party: TargetName | None = None
    source: SourceText | None = None
    active: bool | None = None


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
