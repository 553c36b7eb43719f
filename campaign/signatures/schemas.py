"""What a supporter sends to sign, and what the request adds about where it came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainValidator, WithJsonSchema

from campaign.people.addresses import EmailAddress, InvalidEmail, parse_email
from campaign.signatures.models import SignatureChannel
from campaign.types import (
    Comment,
    CountryCode,
    LanguageTag,
    PersonName,
    Postcode,
    Referrer,
    UtmValue,
)


def _email(value: object) -> EmailAddress:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    if len(value) > 320:
        raise ValueError("must be at most 320 characters")
    try:
        return parse_email(value)
    except InvalidEmail as error:
        raise ValueError(str(error)) from error


Email = Annotated[
    EmailAddress,
    PlainValidator(_email),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": 320}),
]


class ConsentChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Required and never defaulted: consent is an explicit yes or no.
    email_updates: bool


class SigningConsent(ConsentChoice):
    # Whether the signer's name may be given to their representative; heard only where
    # the petition asks, and no unless they say yes.
    name_may_be_given: bool = False


class Tracking(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: UtmValue | None = None
    medium: UtmValue | None = None
    campaign: UtmValue | None = None
    referrer: Referrer | None = None


class SignatureInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    given_name: PersonName
    family_name: PersonName
    email: Email
    country: CountryCode
    postcode: Postcode | None = None
    comment: Comment | None = None
    consent: SigningConsent
    tracking: Tracking | None = None
    # The language version signed, one of the campaign's; its own language if not given.
    language: LanguageTag | None = None


@dataclass(frozen=True)
class SigningContext:
    """Facts about the request, decided by the API layer."""

    channel: SignatureChannel
    ip_address: str | None
    user_agent: str | None = None
    # The signing page's hidden field, which people never see and bots fill in: the
    # signature is answered as usual and held as fraudulent.
    honeypot_filled: bool = False


@dataclass(frozen=True)
class SignatureCounts:
    confirmed: int = 0
    pending: int = 0
    fraudulent: int = 0
    invalidated: int = 0
