"""What signing and writing need to know about a campaign: a small frozen copy of the
campaign row, cheap to keep and safe to share between requests."""

from __future__ import annotations

from collections.abc import Mapping
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
    # Each language version a signature may name, the campaign's own language first,
    # with the consent text its form shows. Only the primary when not loaded.
    consent_texts: tuple[tuple[str, int], ...] = ()

    @classmethod
    def of(
        cls, campaign: Campaign, consent_texts: Mapping[str, int] | None = None
    ) -> SignableCampaign:
        own = {
            field.name: getattr(campaign, field.name)
            for field in fields(cls)
            if field.name != "consent_texts"
        }
        others = {
            language: text
            for language, text in (consent_texts or {}).items()
            if language != campaign.language
        }
        ordered = ((campaign.language, campaign.consent_text_id), *others.items())
        return cls(**own, consent_texts=ordered)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(language for language, _ in self.consent_texts)

    def consent_text_in(self, language: str) -> int:
        """The consent text the form shows in a version of this campaign."""
        return dict(self.consent_texts).get(language, self.consent_text_id)
