"""What staff send: a release to read, changes to a call to action, drafts to make."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from campaign.campaigns.models import CampaignKind
from campaign.extraction.models import Strength
from campaign.releases.models import ReleaseFormat
from campaign.types import (
    ActionText,
    LanguageTag,
    Passage,
    ReleaseContent,
    RowId,
    Slug,
    TargetName,
    TextOffset,
    Title,
)


class ReleaseSubmission(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: ReleaseContent
    format: ReleaseFormat = ReleaseFormat.TEXT
    title: Title | None = None
    organisation: TargetName | None = None
    published_on: date | None = None
    # None: told from the text (English or French), and given to the campaigns drafted
    # from the release.
    language: LanguageTag | None = None
    source_url: HttpUrl | None = None


class ReleaseUpdate(BaseModel):
    """A release's details, corrected by staff: a field left out stays as it is. A title
    sent as null is the release's headline again (as when it was submitted without one);
    an organisation or a date sent as null is cleared. The text never changes: it is what
    the calls were found in."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    organisation: TargetName | None = None
    published_on: date | None = None
    language: LanguageTag | None = None


class CallUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    targets: Annotated[list[TargetName], Field(max_length=20)] | None = None
    action: ActionText | None = None
    strength: Strength | None = None


class CallSelection(BaseModel):
    """A call staff add themselves: a passage of the release, by its offsets into the
    text (start and end) or as its exact wording (sentence), and what it asks of whom.
    What is left out, the extractor reads from the passage."""

    model_config = ConfigDict(extra="forbid")

    start: TextOffset | None = None
    end: TextOffset | None = None
    sentence: Passage | None = None
    targets: Annotated[list[TargetName], Field(max_length=20)] | None = None
    action: ActionText | None = None
    strength: Strength | None = None


class CallMerge(BaseModel):
    model_config = ConfigDict(extra="forbid")

    call_ids: Annotated[list[RowId], Field(min_length=2, max_length=20)]


class DraftRequest(BaseModel):
    """One call, or several addressed to the same target, become one draft campaign."""

    model_config = ConfigDict(extra="forbid")

    call_ids: Annotated[list[RowId], Field(min_length=1, max_length=20)]
    kind: CampaignKind = CampaignKind.PETITION
    slug: Slug | None = None
