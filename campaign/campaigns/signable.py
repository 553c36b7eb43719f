"""What signing and writing need to know about a campaign: a small frozen copy of the
campaign row, cheap to keep and safe to share between requests."""

from __future__ import annotations

from dataclasses import dataclass, fields

from campaign.campaigns.models import Campaign


@dataclass(frozen=True)
class SignableCampaign:
    id: int
    kind: str
    slug: str
    title: str
    language: str
    state: str
    postcode_mode: str
    consent_text_id: int
    ask_signers_to_be_named: bool

    @classmethod
    def of(cls, campaign: Campaign) -> SignableCampaign:
        return cls(**{field.name: getattr(campaign, field.name) for field in fields(cls)})
