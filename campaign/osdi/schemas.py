"""What OSDI clients send: a person (the signup helper), a signature (the record
signature helper), a petition, a tag, a tagging. Fields we do not keep (phone numbers,
languages) are accepted and ignored, as OSDI asks of a receiving system; fields we
keep are validated as everywhere else in the API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from campaign.errors import InvalidInput
from campaign.people.addresses import EmailAddress
from campaign.signatures.schemas import Email, SignatureInput
from campaign.types import Comment, Referrer, UtmValue

_OPEN = ConfigDict(extra="ignore")
# What a person's custom_fields may hold: short text, a few hundred keys at most.
MAX_CUSTOM_FIELDS = 200


class EmailAddressIn(BaseModel):
    model_config = _OPEN

    address: Email
    primary: bool | None = None
    status: Literal["subscribed", "unsubscribed"] | None = None


class PostalAddressIn(BaseModel):
    model_config = _OPEN

    postal_code: str | None = Field(default=None, max_length=16)
    country: str | None = Field(default=None, min_length=2, max_length=2)
    locality: str | None = Field(default=None, max_length=100)


class PersonIn(BaseModel):
    model_config = _OPEN

    given_name: str | None = Field(default=None, max_length=100)
    family_name: str | None = Field(default=None, max_length=100)
    email_addresses: list[EmailAddressIn] = Field(min_length=1, max_length=10)
    postal_addresses: list[PostalAddressIn] = Field(default_factory=list, max_length=10)
    custom_fields: dict[str, str] = Field(default_factory=dict, max_length=MAX_CUSTOM_FIELDS)

    def primary(self) -> EmailAddressIn:
        return next((e for e in self.email_addresses if e.primary), self.email_addresses[0])

    def primary_email(self) -> EmailAddress:
        return self.primary().address

    def email_status(self) -> bool | None:
        status = self.primary().status
        return None if status is None else status == "subscribed"

    def signer(self, *, field_prefix: str) -> SignatureInput:
        """The person as a signer, validated as the public signing API validates one;
        an error names the OSDI field at fault."""
        postal = self.postal_addresses[0] if self.postal_addresses else PostalAddressIn()
        fields = {
            "given_name": self.given_name,
            "family_name": self.family_name,
            "email": self.primary_email().typed,
            "country": postal.country,
            "postcode": postal.postal_code or None,
            "consent": {"email_updates": bool(self.email_status())},
        }
        names = {
            "country": "postal_addresses.0.country",
            "postcode": "postal_addresses.0.postal_code",
        }
        try:
            return SignatureInput.model_validate(fields)
        except ValidationError as error:
            first = error.errors()[0]
            where = str(first["loc"][0]) if first["loc"] else "person"
            field = f"{field_prefix}.{names.get(where, where)}"
            raise InvalidInput(f"{field}: {first['msg']}", field=field) from None


class PersonSignupIn(BaseModel):
    model_config = _OPEN

    person: PersonIn
    add_tags: list[str] = Field(default_factory=list, max_length=100)


class ReferrerDataIn(BaseModel):
    model_config = _OPEN

    source: UtmValue | None = None
    referrer: UtmValue | None = None
    website: Referrer | None = None
    url: Referrer | None = None


class AutoresponseIn(BaseModel):
    model_config = _OPEN

    enabled: bool = True


class TriggersIn(BaseModel):
    model_config = _OPEN

    autoresponse: AutoresponseIn | None = None


class SignatureIn(BaseModel):
    model_config = _OPEN

    person: PersonIn
    comments: Comment | None = None
    add_tags: list[str] = Field(default_factory=list, max_length=100)
    referrer_data: ReferrerDataIn | None = None
    triggers: TriggersIn | None = None

    def autoresponse_enabled(self) -> bool:
        if self.triggers is None or self.triggers.autoresponse is None:
            return True
        return self.triggers.autoresponse.enabled


class TargetIn(BaseModel):
    model_config = _OPEN

    name: str = Field(min_length=1, max_length=200)


class PetitionIn(BaseModel):
    model_config = _OPEN

    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, min_length=1, max_length=1000)
    petition_text: str | None = Field(default=None, min_length=1, max_length=50_000)
    # Action Network takes a list of {name}; Parsons sends a plain string.
    target: list[TargetIn] | str | None = None

    def target_name(self) -> str | None:
        if isinstance(self.target, str):
            return self.target.strip()[:200] or None
        if self.target:
            return self.target[0].name
        return None


class TagIn(BaseModel):
    model_config = _OPEN

    name: str = Field(min_length=1, max_length=200)


class TaggingIn(BaseModel):
    """A tagging names its person by a link, as OSDI has it: `_links.osdi:person.href`,
    or by `person_id`, ours."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    links: dict[str, Any] = Field(default_factory=dict, alias="_links")
    person_id: int | None = Field(default=None, ge=1, le=2**63 - 1)

    def person(self) -> int:
        if self.person_id is not None:
            return self.person_id
        link = self.links.get("osdi:person")
        href = link.get("href") if isinstance(link, dict) else None
        if isinstance(href, str):
            last = href.rstrip("/").rsplit("/", 1)[-1]
            if last.isdigit() and 0 < int(last) < 2**63:
                return int(last)
        raise InvalidInput(
            "name the person by _links['osdi:person'].href (a people/<id> link)",
            field="_links.osdi:person",
        )
