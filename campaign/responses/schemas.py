"""What staff send: a petition's thresholds, and the target's response to it."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, UrlConstraints, field_validator

from campaign.responses.models import LINK_LENGTH
from campaign.types import MarkdownText

# A count of confirmed signatures: a positive number no petition could pass by accident.
Threshold = Annotated[int, Field(ge=1, le=1_000_000_000)]
MAX_THRESHOLDS = 20
ResponseLink = Annotated[HttpUrl, UrlConstraints(max_length=LINK_LENGTH)]


class ThresholdsInput(BaseModel):
    """Every threshold the petition has, replacing the ones it had."""

    model_config = ConfigDict(extra="forbid")

    thresholds: Annotated[list[Threshold], Field(max_length=MAX_THRESHOLDS)]

    @field_validator("thresholds")
    @classmethod
    def _each_once(cls, thresholds: list[int]) -> list[int]:
        if len(set(thresholds)) != len(thresholds):
            raise ValueError("each threshold may be given once")
        return sorted(thresholds)


class ResponseInput(BaseModel):
    """The target's response: what they said (Markdown), when, and where it can be read
    in full."""

    model_config = ConfigDict(extra="forbid")

    body_markdown: MarkdownText
    responded_on: date
    link: ResponseLink | None = None
