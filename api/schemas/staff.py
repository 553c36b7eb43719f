"""Staff views of tokens (the secret appears once, in the creation answer) and consent wording."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from api.schemas.campaigns import ConsentWording
from campaign.staff.models import Role
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
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class CreatedToken(TokenView):
    token: str


class ConsentTextView(ConsentWording):
    purpose: str
    created_at: datetime
