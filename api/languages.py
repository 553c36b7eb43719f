"""Which language a public page speaks, and its messages in that language.

A campaign's pages speak the language of the campaign's version they show (chosen once
per request by api/routers/pages.py `page_version`: a ?lang= or posted `lang`, else the
browser's Accept-Language among the campaign's versions, else the campaign's own); pages
that belong to no campaign (the front page, /my-data, an address that names nothing)
speak the language the browser asks for among those supporters can be spoken to in.
"""

from __future__ import annotations

from babel.support import NullTranslations
from fastapi import Request

from campaign.campaigns.models import Campaign
from campaign.campaigns.versions import VersionChoice
from campaign.i18n import (
    SOURCE_LANGUAGE,
    SUPPORTED_LANGUAGES,
    negotiate_language,
    supported_language,
    translations,
)


def page_language(request: Request, campaign: Campaign) -> str:
    """The language of a campaign's public page: that of the version this request chose
    to show, if it has chosen one; the campaign's own otherwise."""
    choice = getattr(request.state, "campaign_version", None)
    if isinstance(choice, VersionChoice):
        return supported_language(choice.shown.language)
    return supported_language(campaign.language)


def request_language(request: Request) -> str:
    """The language of a page tied to no campaign: the browser's choice among those
    supported, English when it asks for none of them."""
    accept_language = request.headers.get("accept-language")
    return negotiate_language(accept_language, list(SUPPORTED_LANGUAGES), SOURCE_LANGUAGE)


def page_messages(language: str) -> NullTranslations:
    """The public pages' catalogue in a language, for messages worded in Python."""
    return translations(language, "pages")
