"""What staff send to set up donations, and what a supporter sends to give."""

from __future__ import annotations

from typing import Annotated

import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from campaign.donations.models import Frequency
from campaign.signatures.schemas import Email
from campaign.types import CountryCode, PersonName


def _currency(value: str) -> str:
    code = value.strip().lower()
    if pycountry.currencies.get(alpha_3=code.upper()) is None:
        raise ValueError("must be an ISO 4217 currency code, such as gbp or eur")
    return code


Currency = Annotated[str, AfterValidator(_currency)]
# In the currency's minor unit (pence, cents), as Stripe counts: 500 is £5.00.
Amount = Annotated[int, Field(ge=1, le=100_000_000)]
RequestId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-]{8,100}$")]


class DonationSetupInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    currency: Currency
    minimum_amount: Amount = 100
    maximum_amount: Amount = 1_000_000
    suggested_amounts: Annotated[list[Amount], Field(max_length=8)] = []
    allow_one_off: bool = True
    allow_monthly: bool = True
    enabled: bool = True

    @field_validator("maximum_amount")
    @classmethod
    def _not_below_minimum(cls, value: int, info: ValidationInfo) -> int:
        if value < info.data.get("minimum_amount", 1):
            raise ValueError("must be at least the minimum amount")
        return value

    @field_validator("suggested_amounts")
    @classmethod
    def _within_range(cls, value: list[int], info: ValidationInfo) -> list[int]:
        low, high = info.data.get("minimum_amount", 1), info.data.get("maximum_amount", 0)
        for amount in value:
            if not low <= amount <= high:
                raise ValueError("each must be from the minimum to the maximum amount")
        return value

    @field_validator("allow_monthly")
    @classmethod
    def _some_frequency(cls, value: bool, info: ValidationInfo) -> bool:
        if not value and not info.data.get("allow_one_off", True):
            raise ValueError("allow one-off or monthly donations, or both")
        return value


class DonationInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Amount
    frequency: Frequency
    given_name: PersonName
    family_name: PersonName
    email: Email
    country: CountryCode
    # Made once per form by the page: a double click sends the same one and gets the
    # same payment page. Without it, the same donation within ten minutes is the same.
    request_id: RequestId | None = None
