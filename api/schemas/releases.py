"""How releases and their calls to action look to staff."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from api.schemas.campaigns import StaffCampaignView
from api.schemas.letters import LetterSetupView


class CallView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    release_id: int
    sentence: str
    start: int
    end: int
    targets: list[str]
    resolved_targets: list[str]
    action: str
    strength: str
    confidence: float
    reason: str
    status: str
    edited: bool
    merged_into_id: int | None
    campaign_id: int | None


class ReleaseView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str | None
    organisation: str | None
    published_on: date | None
    language: str
    source_format: str
    source_url: str | None
    text: str
    created_at: datetime


class ReleaseSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str | None
    organisation: str | None
    published_on: date | None
    created_at: datetime


class IngestedRelease(BaseModel):
    release: ReleaseView
    # False when this text was submitted before: the stored release and its calls.
    created: bool
    calls_to_action: list[CallView]


class DraftedCampaign(BaseModel):
    campaign: StaffCampaignView
    calls_to_action: list[CallView]
    # A letter campaign's setup, drafted with it: targets proposed for staff to confirm.
    letter: LetterSetupView | None = None
    # How many officials in the directory the proposed targets find today (0: none yet,
    # the rule names who to add or staff choose another).
    officials_found: int | None = None
