"""The choice of a supporter's language and Babel's formatting for it (campaign/i18n.py)."""

from __future__ import annotations

from datetime import date

import pytest
from babel.support import Translations

from campaign.i18n import (
    SUPPORTED_LANGUAGES,
    format_date,
    format_money,
    format_number,
    negotiate_language,
    preferred_languages,
    supported_language,
    translations,
)


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("fr", "fr"),
        ("fr-BE", "fr"),
        ("DE", "de"),
        ("es-419", "es"),
        ("pt-BR", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_a_tag_is_spoken_in_its_language_or_english(tag: str | None, expected: str) -> None:
    assert supported_language(tag) == expected


def test_ranges_come_most_wanted_first_and_refused_ones_are_dropped() -> None:
    header = "de;q=0.5, fr-CH, fr;q=0.9, en;q=0, es;q=0.9"
    assert preferred_languages(header) == ["fr-CH", "fr", "es", "de"]


@pytest.mark.parametrize("header", ["", "!!!", "fr;q=abc", "x" * 600, ";;;,,,"])
def test_a_malformed_header_asks_for_nothing(header: str) -> None:
    assert preferred_languages(header) == []


def test_negotiation_prefers_an_exact_tag_then_a_primary_language_then_the_default() -> None:
    available = ["en", "fr", "pt-BR"]
    assert negotiate_language("fr-CA,en;q=0.5", available, "en") == "fr"
    assert negotiate_language("pt-BR", available, "en") == "pt-BR"
    assert negotiate_language("pt-PT", available, "en") == "pt-BR"
    assert negotiate_language("de,it", available, "fr") == "fr"
    assert negotiate_language(None, available, "fr") == "fr"
    assert negotiate_language("*", available, "fr") == "fr"


def test_money_numbers_and_dates_follow_the_locale() -> None:
    assert format_money(123456, "eur", "fr") == "1\u202f234,56\xa0€"
    assert format_money(123456, "gbp", "en") == "£1,234.56"
    assert format_money(1500, "jpy", "de") == "1.500\xa0¥"
    assert format_number(12345, "de") == "12.345"
    assert format_number(12345, "en") == "12,345"
    assert format_date(date(2026, 12, 8), "es") == "8 de diciembre de 2026"


def test_every_language_but_the_source_has_its_compiled_catalogues() -> None:
    for language in SUPPORTED_LANGUAGES:
        for domain in ("pages", "emails"):
            catalogue = translations(language, domain)
            assert isinstance(catalogue, Translations) == (language != "en"), (language, domain)


def test_a_refusal_no_catalogue_words_is_said_generally_in_the_readers_language() -> None:
    from api.page_forms import translated_sentence

    reason = "the moon is not aligned for this petition"
    assert translated_sentence(reason, "en") == "The moon is not aligned for this petition."
    french = translated_sentence(reason, "fr")
    assert "moon" not in french and french.startswith("Cela n'a pas pu être accepté")
    # A reason the catalogue has is translated as itself.
    assert translated_sentence("This petition is closed.", "fr") == "Cette pétition est close."
