"""What staff send to write a mailing and to send it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from campaign.mailings.models import Audience
from campaign.types import (
    CountryCode,
    MailingSubject,
    MarkdownText,
    SenderName,
    SourceName,
    TagName,
)


class MailingInput(BaseModel):
    """A whole mailing: what it says, who signs it, and who gets it. `tags` are tag
    names, each one that exists; a person with any of them is in."""

    model_config = ConfigDict(extra="forbid")

    subject: MailingSubject
    body_markdown: MarkdownText
    sender_name: SenderName | None = None
    audience: Audience = Audience.SIGNERS
    tags: Annotated[list[TagName], Field(max_length=50)] = []
    country: CountryCode | None = None
    source: SourceName | None = None

    @field_validator("audience")
    @classmethod
    def _chosen_in_the_editor(cls, audience: Audience) -> Audience:
        if audience == Audience.RESPONSE_SIGNERS:
            raise ValueError("a petition's response goes to its signers when it is published")
        return audience


class MailingSend(BaseModel):
    """When to send: now if `send_at` is omitted or has passed."""

    model_config = ConfigDict(extra="forbid")

    send_at: AwareDatetime | None = None

    def starts_at(self, now: datetime) -> datetime | None:
        return self.send_at if self.send_at is not None and self.send_at > now else None
