"""Which language a public page speaks, and its messages in that language.

A campaign's pages speak the campaign's language; pages that belong to no campaign (the
front page, /my-data, an address that names nothing) speak the language the browser asks
for among those supporters can be spoken to in. The choice for a campaign is made in
`page_language` alone, so that choosing among a campaign's language versions by the
browser's Accept-Language has one place to go.
"""

from __future__ import annotations

from babel.support import NullTranslations
from fastapi import Request

from campaign.campaigns.models import Campaign
from campaign.i18n import (
    SOURCE_LANGUAGE,
    SUPPORTED_LANGUAGES,
    negotiate_language,
    supported_language,
    translations,
)


def page_language(request: Request, campaign: Campaign) -> str:
    """The language of a campaign's public pages (the request will choose among the
    campaign's language versions once it has several)."""
    del request  # not consulted while a campaign has one language
    return supported_language(campaign.language)


def request_language(request: Request) -> str:
    """The language of a page tied to no campaign: the browser's choice among those
    supported, English when it asks for none of them."""
    accept_language = request.headers.get("accept-language")
    return negotiate_language(accept_language, list(SUPPORTED_LANGUAGES), SOURCE_LANGUAGE)


def page_messages(language: str) -> NullTranslations:
    """The public pages' catalogue in a language, for messages worded in Python."""
    return translations(language, "pages")
