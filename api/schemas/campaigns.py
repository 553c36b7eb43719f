"""How campaigns look to staff and to the public."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, computed_field

from campaign.campaigns.models import Campaign, CampaignVersion
from campaign.campaigns.rendering import render_markdown
from campaign.consents.models import ConsentText
from campaign.letters.templating import in_words
from campaign.metrics.counts import public_signature_count
from campaign.signatures.schemas import SignatureCounts


class PublicCounts(BaseModel):
    """Confirmed signatures only. A pending count would rise for a new address and not
    for one that signed before, telling anyone watching it who has signed."""

    confirmed: int


class StaffCounts(BaseModel):
    """Confirmed and pending are reported apart, never summed into one number."""

    confirmed: int
    pending: int
    fraudulent: int
    invalidated: int


class ConsentWording(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    version: int
    language: str
    text: str


class PublicVersionView(BaseModel):
    """The campaign in one more language: its texts and consent wording there. A
    signature made on it names its `language` (the signing input's `language`)."""

    language: str
    title: str
    summary: str
    body_html: str
    share_text: str | None
    consent: ConsentWording

    @classmethod
    def of(cls, version: CampaignVersion, consent: ConsentText) -> PublicVersionView:
        return cls(
            language=version.language,
            title=version.title,
            summary=in_words(version.summary),
            body_html=render_markdown(in_words(version.body_markdown)),
            share_text=version.share_text,
            consent=ConsentWording.model_validate(consent),
        )


class PublicCampaignView(BaseModel):
    kind: str
    slug: str
    title: str
    summary: str
    body_html: str
    target: str
    share_text: str | None
    signature_goal: int | None
    language: str
    state: str
    postcode: str
    # Whether a signer may say their name can be given to their representative
    # (the signing input's `consent.name_may_be_given`).
    ask_signers_to_be_named: bool
    consent: ConsentWording
    counts: PublicCounts
    published_at: datetime | None
    closed_at: datetime | None
    # The campaign's other language versions; the fields above are its own (primary).
    versions: list[PublicVersionView] = []

    @classmethod
    def of(
        cls,
        campaign: Campaign,
        counts: SignatureCounts,
        consent: ConsentText,
        versions: list[PublicVersionView] | None = None,
    ) -> PublicCampaignView:
        return cls(
            kind=campaign.kind,
            slug=campaign.slug,
            title=campaign.title,
            # Never a letter's raw placeholders, whatever staff put in the text.
            summary=in_words(campaign.summary),
            body_html=render_markdown(in_words(campaign.body_markdown)),
            target=campaign.target,
            share_text=campaign.share_text,
            signature_goal=campaign.signature_goal,
            language=campaign.language,
            state=campaign.state,
            postcode=campaign.postcode_mode,
            ask_signers_to_be_named=campaign.ask_signers_to_be_named,
            consent=ConsentWording.model_validate(consent),
            counts=PublicCounts(confirmed=public_signature_count(counts)),
            published_at=campaign.published_at,
            closed_at=campaign.closed_at,
            versions=versions or [],
        )


class StaffCampaignView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    slug: str
    title: str
    summary: str
    body_markdown: str
    target: str
    share_text: str | None
    signature_goal: int | None
    language: str
    state: str
    postcode_mode: str
    ask_signers_to_be_named: bool
    consent_text_id: int
    release_id: int | None
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    first_published_at: datetime | None
    closed_at: datetime | None
    # Only when reading one campaign: counting every campaign of a list costs too much.
    counts: StaffCounts | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def body_html(self) -> str:
        return render_markdown(self.body_markdown)

    @classmethod
    def of(cls, campaign: Campaign, counts: SignatureCounts | None = None) -> StaffCampaignView:
        view = cls.model_validate(campaign)
        if counts is not None:
            view.counts = StaffCounts(**vars(counts))
        return view


class CampaignPage(BaseModel):
    items: list[StaffCampaignView]
    limit: int
    offset: int


class CampaignVersionView(BaseModel):
    """A campaign's texts in one more language, and the signatures made on it."""

    model_config = ConfigDict(from_attributes=True)

    language: str
    title: str
    summary: str
    body_markdown: str
    share_text: str | None
    letter_subject: str | None
    letter_body: str | None
    created_at: datetime
    updated_at: datetime
    counts: StaffCounts | None = None

    @classmethod
    def of(
        cls, version: CampaignVersion, counts: SignatureCounts | None = None
    ) -> CampaignVersionView:
        view = cls.model_validate(version)
        if counts is not None:
            view.counts = StaffCounts(**vars(counts))
        return view


class CampaignVersionList(BaseModel):
    """A campaign's versions: the primary one (the campaign's own texts and language)
    and the others; one count, split by the version each signature was made on."""

    primary_language: str
    primary_counts: StaffCounts
    items: list[CampaignVersionView]
