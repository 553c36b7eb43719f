"""Staff views of tokens (the secret appears once, in the creation answer) and consent wording."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from api.schemas.campaigns import ConsentWording
from campaign.consents.models import ConsentText
from campaign.staff.models import ApiToken, Role
from campaign.types import TokenName


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: TokenName
    role: Role


class TokenView(BaseModel):
    id: int
    name: str
    role: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, token: ApiToken) -> TokenView:
        return cls(
            id=token.id,
            name=token.name,
            role=token.role,
            prefix=token.prefix,
            created_at=token.created_at,
            last_used_at=token.last_used_at,
            revoked_at=token.revoked_at,
        )


class CreatedToken(TokenView):
    token: str


class ConsentTextView(ConsentWording):
    purpose: str
    created_at: datetime

    @classmethod
    def of(cls, text: ConsentText) -> ConsentTextView:
        return cls(
            id=text.id,
            version=text.version,
            language=text.language,
            text=text.text,
            purpose=text.purpose,
            created_at=text.created_at,
        )
