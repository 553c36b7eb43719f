"""What staff send to publish new consent wording."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from campaign.types import LanguageTag, MarkdownText


class ConsentTextCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: LanguageTag
    text: MarkdownText
