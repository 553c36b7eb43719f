"""What staff send to create and change campaigns."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from campaign.campaigns.models import CampaignKind, PostcodeMode
from campaign.types import (
    LanguageTag,
    MarkdownText,
    RowId,
    ShareText,
    SignatureGoal,
    Slug,
    Summary,
    TargetName,
    Title,
)


class CampaignCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug
    kind: CampaignKind = CampaignKind.PETITION
    title: Title
    summary: Summary
    body_markdown: MarkdownText
    target: TargetName
    share_text: ShareText | None = None
    signature_goal: SignatureGoal | None = None
    language: LanguageTag = "en"
    postcode_mode: PostcodeMode = PostcodeMode.OPTIONAL
    # Ask signers whether their name may be given to their representative.
    ask_signers_to_be_named: bool = False
    # The consent wording shown on the form; the newest for the language when omitted.
    consent_text_id: RowId | None = None


class CampaignUpdate(BaseModel):
    """Only the fields given change; `null` removes the goal or the share text. The slug
    can change only while a draft, because published links point at it."""

    model_config = ConfigDict(extra="forbid")

    slug: Slug | None = None
    title: Title | None = None
    summary: Summary | None = None
    body_markdown: MarkdownText | None = None
    target: TargetName | None = None
    share_text: ShareText | None = None
    signature_goal: SignatureGoal | None = None
    language: LanguageTag | None = None
    postcode_mode: PostcodeMode | None = None
    ask_signers_to_be_named: bool | None = None
    consent_text_id: RowId | None = None
