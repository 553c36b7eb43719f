"""Calls to action in press releases: who must act, what they must do, how strongly,
and where in the text it is said."""

from __future__ import annotations

from campaign.extraction.extractor import (
    Extractor,
    MultilingualExtractor,
    RuleExtractor,
    default_extractor,
)
from campaign.extraction.language import detect_language
from campaign.extraction.models import CallToAction, Strength, Verdict

__all__ = [
    "CallToAction",
    "Extractor",
    "MultilingualExtractor",
    "RuleExtractor",
    "Strength",
    "Verdict",
    "detect_language",
    "extract_calls_to_action",
]


def extract_calls_to_action(
    text: str, *, organisation: str | None = None, language: str | None = None
) -> list[CallToAction]:
    """The calls to action of `text`, with offsets into `text` as given. `language` ("en",
    "fr"): the release's language; None to tell it from the text."""
    return default_extractor().extract(text, organisation=organisation, language=language)
