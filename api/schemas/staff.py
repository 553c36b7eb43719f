"""Staff views of users (never a password hash), tokens (the secret appears once, in the
creation answer) and consent wording."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from api.schemas.campaigns import ConsentWording
from campaign.staff.models import LinkPurpose, Role, UserStatus
from campaign.types import TokenName


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: TokenName
    role: Role


class TokenView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    role: str
    prefix: str
    # The staff user the token acts for; none for tokens made without one (the CLI).
    user_id: int | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class CreatedToken(TokenView):
    token: str


class StaffUserView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str
    role: Role
    status: UserStatus
    created_at: datetime
    last_login_at: datetime | None
    deactivated_at: datetime | None


class PasswordLinkSent(BaseModel):
    """A link is on its way: an invitation if the user never set a password, else a reset."""

    user: StaffUserView
    purpose: LinkPurpose


class ConsentTextView(ConsentWording):
    purpose: str
    created_at: datetime
