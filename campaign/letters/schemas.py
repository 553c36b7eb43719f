"""What staff send to set up a letter campaign, and what an activist sends to write."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from campaign.letters.models import OverLimit
from campaign.letters.templating import PLACEHOLDER_MEANINGS, unknown_placeholders
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


def _known_placeholders(value: str) -> str:
    unknown = unknown_placeholders(value)
    if unknown:
        known = ", ".join("{{" + name + "}}" for name in PLACEHOLDER_MEANINGS)
        raise ValueError(f"unknown placeholder {{{{{unknown[0]}}}}}: the placeholders are {known}")
    return value


SubjectTemplate = Annotated[LetterSubject, AfterValidator(_known_placeholders)]
BodyTemplate = Annotated[LetterBody, AfterValidator(_known_placeholders)]
MinLength = Annotated[int, Field(ge=0, le=20_000)]
MaxLength = Annotated[int, Field(ge=1, le=20_000)]
RequiredPhrases = Annotated[list[Phrase], Field(max_length=20)]
HourlyLimit = Annotated[int, Field(ge=1, le=100_000)]
DailyLimit = Annotated[int, Field(ge=1, le=1_000_000)]


class LetterTemplateInput(BaseModel):
    """The letter an activist starts from, placeholders and all."""

    model_config = ConfigDict(extra="forbid")

    subject_template: SubjectTemplate
    body_template: BodyTemplate


class LetterLimitsInput(BaseModel):
    """How far an activist may change the letter, and how many letters an official gets."""

    model_config = ConfigDict(extra="forbid")

    subject_editable: bool = True
    min_length: MinLength = 0
    max_length: MaxLength = 5000
    required_phrases: RequiredPhrases = []
    per_official_hourly_limit: HourlyLimit | None = None
    per_official_daily_limit: DailyLimit | None = None
    over_limit: OverLimit = OverLimit.QUEUE

    # Field validators, so that an error names the field at fault.
    @field_validator("max_length")
    @classmethod
    def _not_below_min_length(cls, value: int, info: ValidationInfo) -> int:
        if value < info.data.get("min_length", 0):
            raise ValueError("must be at least the minimum length")
        return value


# The template's fields come first (the bases' fields are gathered from the last base
# back), so the limits' validators below see the body they are checked against.
class LetterSetupInput(LetterLimitsInput, LetterTemplateInput):
    """A whole setup: who the letter goes to, its template and its limits."""

    model_config = ConfigDict(extra="forbid")

    targets: TargetRule

    @field_validator("required_phrases")
    @classmethod
    def _phrases_in_the_template(cls, value: list[str], info: ValidationInfo) -> list[str]:
        template = info.data.get("body_template", "").casefold()
        for phrase in value:
            if phrase.casefold() not in template:
                raise ValueError(f"this passage is not in the body template: {phrase!r}")
        return value


class TargetChoice(BaseModel):
    """Who the letter goes to, as the setup page chooses it: a kind, and the body or role
    of a rule. A fixed list is made official by official."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["fixed", "division", "role"]
    organisation: TargetName | None = None
    role: RoleKey | None = None


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
