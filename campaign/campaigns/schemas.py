"""What staff send to create and change campaigns."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

from campaign.campaigns.models import CampaignKind, PostcodeMode
from campaign.letters.schemas import BodyTemplate, SubjectTemplate
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


def canonical_language(value: str) -> str:
    """ "FR" and "fr" name one version: the primary language in lower case, a region in
    upper case ("pt-BR"), as browsers send them."""
    primary, _, rest = value.partition("-")
    return f"{primary.lower()}-{rest.upper()}" if rest else primary.lower()


VersionLanguage = Annotated[LanguageTag, AfterValidator(canonical_language)]


class CampaignVersionCreate(BaseModel):
    """A campaign's texts in one more language. A letter campaign's suggested letter
    is optional: without it the letter setup's own is suggested."""

    model_config = ConfigDict(extra="forbid")

    language: VersionLanguage
    title: Title
    summary: Summary
    body_markdown: MarkdownText
    share_text: ShareText | None = None
    letter_subject: SubjectTemplate | None = None
    letter_body: BodyTemplate | None = None


class CampaignVersionUpdate(BaseModel):
    """Only the fields given change; `null` removes the share text or a suggested letter."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    summary: Summary | None = None
    body_markdown: MarkdownText | None = None
    share_text: ShareText | None = None
    letter_subject: SubjectTemplate | None = None
    letter_body: BodyTemplate | None = None
