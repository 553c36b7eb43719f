"""What staff send to set up a letter campaign, and what an activist sends to write."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from campaign.letters.models import OverLimit
from campaign.letters.templating import unknown_placeholders
from campaign.signatures.schemas import ConsentChoice, Email
from campaign.targets.schemas import RoleKey
from campaign.types import (
    CountryCode,
    LetterBody,
    LetterSubject,
    Locality,
    PersonName,
    Phrase,
    Postcode,
    TargetName,
)


class FixedTargets(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["fixed"]
    official_ids: Annotated[list[int], Field(min_length=1, max_length=100)]


class DivisionTargets(BaseModel):
    """The members of one body (a legislature) for the activist's division."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["division"]
    organisation: TargetName


class RoleTargets(BaseModel):
    """Whoever holds a role in the activist's country ("foreign_minister")."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["role"]
    role: RoleKey


TargetRule = Annotated[FixedTargets | DivisionTargets | RoleTargets, Field(discriminator="kind")]


class LetterSetupInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    targets: TargetRule
    subject_template: LetterSubject
    body_template: LetterBody
    subject_editable: bool = True
    min_length: Annotated[int, Field(ge=0, le=20_000)] = 0
    max_length: Annotated[int, Field(ge=1, le=20_000)] = 5000
    required_phrases: Annotated[list[Phrase], Field(max_length=20)] = []
    per_official_hourly_limit: Annotated[int, Field(ge=1, le=100_000)] | None = None
    per_official_daily_limit: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    over_limit: OverLimit = OverLimit.QUEUE

    # Field validators, so that an error names the field at fault.
    @field_validator("subject_template", "body_template")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        unknown = unknown_placeholders(value)
        if unknown:
            raise ValueError(f"unknown placeholder(s): {', '.join(unknown)}")
        return value

    @field_validator("max_length")
    @classmethod
    def _not_below_min_length(cls, value: int, info: ValidationInfo) -> int:
        if value < info.data.get("min_length", 0):
            raise ValueError("must be at least min_length")
        return value

    @field_validator("required_phrases")
    @classmethod
    def _phrases_in_the_template(cls, value: list[str], info: ValidationInfo) -> list[str]:
        template = info.data.get("body_template", "").casefold()
        for phrase in value:
            if phrase.casefold() not in template:
                raise ValueError(f"not in body_template: {phrase!r}")
        return value


class LetterInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    given_name: PersonName
    family_name: PersonName
    email: Email
    country: CountryCode
    postcode: Postcode | None = None
    locality: Locality | None = None
    # Left out: the campaign's own subject and body are sent as they are.
    subject: LetterSubject | None = None
    body: LetterBody | None = None
    consent: ConsentChoice
