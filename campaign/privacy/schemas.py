"""Inputs to the data-rights services: an address, and for erasure the same address typed
again as its confirmation."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from campaign.people.addresses import InvalidEmail, normalise_email, parse_email


def _valid_address(value: str) -> str:
    try:
        return parse_email(value).typed
    except InvalidEmail as error:
        raise ValueError(str(error)) from error


class AddressInput(BaseModel):
    """Whose data: an email address, as they would type it."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=320)

    @field_validator("email")
    @classmethod
    def _valid_email(cls, value: str) -> str:
        return _valid_address(value)


class ErasureInput(AddressInput):
    """An erasure names the address twice, so a slip of the keyboard erases nobody."""

    confirm_email: str = Field(max_length=320)

    @field_validator("confirm_email")
    @classmethod
    def _typed_twice(cls, value: str, info: ValidationInfo) -> str:
        email = info.data.get("email")
        if email is None:
            return value  # the address itself is wrong, and its own error says so
        if normalise_email(value.strip()) != normalise_email(email):
            raise ValueError("must be the same address again, to confirm the erasure")
        return value.strip()
