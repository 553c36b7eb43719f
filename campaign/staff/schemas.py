"""Inputs to the staff services."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, SecretStr, field_validator

from campaign.people.addresses import InvalidEmail, parse_email
from campaign.staff.models import Role
from campaign.staff.passwords import password_problem
from campaign.types import PersonName


class StaffInvitation(BaseModel):
    """Who to invite: they choose their own password through the emailed link."""

    model_config = ConfigDict(extra="forbid")

    email: str
    name: PersonName
    role: Role

    @field_validator("email")
    @classmethod
    def _valid_email(cls, value: str) -> str:
        try:
            return normalise_staff_email(parse_email(value).typed)
        except InvalidEmail as error:
            raise ValueError(str(error)) from error


class StaffUserCreate(StaffInvitation):
    # A SecretStr, so that printing or logging the model never shows it.
    password: SecretStr

    @field_validator("password")
    @classmethod
    def _strong_enough(cls, value: SecretStr) -> SecretStr:
        return _strong_enough(value)


class NewPassword(BaseModel):
    """A password chosen through an invitation or reset link: the rules of create-user."""

    model_config = ConfigDict(extra="forbid")

    password: SecretStr

    @field_validator("password")
    @classmethod
    def _strong_enough(cls, value: SecretStr) -> SecretStr:
        return _strong_enough(value)


class RoleChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role


def _strong_enough(value: SecretStr) -> SecretStr:
    problem = password_problem(value.get_secret_value())
    if problem:
        raise ValueError(problem)
    return value


def normalise_staff_email(address: str) -> str:
    # Trimmed and lower case only: unlike supporters' addresses, +tags and dots are kept,
    # since a work address is typed the same way every time.
    return address.strip().lower()
