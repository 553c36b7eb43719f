"""The languages supporters read: gettext catalogues, the choice of language, and Babel's
formatting of numbers, dates and money for a locale.

Messages are written in English in the code and templates; English is the source and
needs no catalogue. Each other language has one compiled catalogue per domain under
campaign/locale/<language>/LC_MESSAGES/<domain>.mo, built from the .po files by
`make catalogues` (and by the install targets, the CI and the container build):

- `pages`: the public pages and their forms' messages (api/templates/*.html, api/*.py)
- `emails`: everything sent to supporters and officials (emails/templates, emails/*.py)
- `staff`: the staff workspace, marked for translation but shown in English for now

`make messages` extracts every marked message into the templates (.pot) and merges them
into each language's .po file.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _babel_format_date
from babel.dates import format_datetime as _babel_format_datetime
from babel.numbers import format_currency, format_decimal
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
SOURCE_LANGUAGE = "en"
# The languages supporters can be spoken to in, the source first.
SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "fr", "es", "de")
Domain = Literal["pages", "emails", "staff"]
DOMAINS: tuple[Domain, ...] = ("pages", "emails", "staff")

# "fr-CA;q=0.8": a language range and its weight (RFC 9110 section 12.5.4).
_LANGUAGE_RANGE = re.compile(
    r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$"
)
# A header longer than this is someone's experiment, not a browser's preference.
_MAX_ACCEPT_LANGUAGE = 500


class MissingCatalogue(RuntimeError):
    """A supported language's compiled catalogue is not there: `make catalogues` was not run."""


def gettext_noop(message: str) -> str:
    """Marks a message for extraction where it is defined (imported as `_`); it is
    translated where it is shown, in the reader's language."""
    return message


def supported_language(language: str | None) -> str:
    """The supported language a tag such as "fr-BE" or "FR" is spoken in; English otherwise."""
    if not language:
        return SOURCE_LANGUAGE
    primary = language.split("-", 1)[0].strip().lower()
    return primary if primary in SUPPORTED_LANGUAGES else SOURCE_LANGUAGE


@cache
def translations(language: str, domain: Domain) -> NullTranslations:
    """The compiled catalogue of one domain in one language, loaded once per process.

    English is the source language: its messages are shown as written. For any other
    supported language a missing catalogue is an error, not a silent fall back to English,
    so a build that forgot to compile them fails at its first page.
    """
    language = supported_language(language)
    if language == SOURCE_LANGUAGE or domain == "staff":
        return NullTranslations()
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.mo"
    if not path.is_file():
        raise MissingCatalogue(f"{path} is missing: run `make catalogues`")
    with path.open("rb") as file:
        return Translations(file, domain=domain)


def preferred_languages(accept_language: str | None) -> list[str]:
    """The language ranges of an Accept-Language header, most wanted first.

    Ranges with q=0 are refused, not wanted; a malformed range is skipped, and a header
    that is too long is ignored altogether.
    """
    if not accept_language or len(accept_language) > _MAX_ACCEPT_LANGUAGE:
        return []
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        match = _LANGUAGE_RANGE.match(part)
        if not match:
            continue
        try:
            weight = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        if 0 < weight <= 1:
            weighted.append((-weight, position, match.group(1)))
    return [language for _, _, language in sorted(weighted)]


def negotiate_language(accept_language: str | None, available: list[str], default: str) -> str:
    """Which of the available language versions a browser asks for, or the default.

    `available` holds language tags as campaigns store them ("fr", "pt-BR"); a range
    matches a tag with the same primary language when no tag matches it exactly.
    """
    by_tag = {tag.lower(): tag for tag in available}
    by_primary: dict[str, str] = {}
    for tag in available:
        by_primary.setdefault(tag.split("-", 1)[0].lower(), tag)
    for wanted in preferred_languages(accept_language):
        wanted = wanted.lower()
        if wanted == "*":
            return default
        if wanted in by_tag:
            return by_tag[wanted]
        if wanted.split("-", 1)[0] in by_primary:
            return by_primary[wanted.split("-", 1)[0]]
    return default


@lru_cache(maxsize=64)
def babel_locale(language: str | None) -> Locale:
    """Babel's locale for a campaign's language tag ("fr", "pt-BR"); English if unknown."""
    try:
        return Locale.parse((language or SOURCE_LANGUAGE).replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse(SOURCE_LANGUAGE)


def language_name(language: str) -> str:
    """A language's name as its own speakers write it, for a link to a page in it:
    "Français", "Español", "Deutsch", "Português (Brasil)"."""
    locale = babel_locale(language)
    name = locale.get_display_name(locale) or language
    return name[:1].upper() + name[1:]


def format_number(value: int | float | Decimal, language: str | None) -> str:
    """A count as people of the language write it: 12,345 / 12 345 / 12.345."""
    return format_decimal(value, locale=babel_locale(language))


def format_money(amount: int, currency: str, language: str | None) -> str:
    """An amount in the currency's minor unit (as Stripe counts it), for the locale."""
    from campaign.donations.money import minor_units_per_major

    major = Decimal(amount) / minor_units_per_major(currency)
    return format_currency(major, currency.upper(), locale=babel_locale(language))


def format_date(value: date | datetime, language: str | None, style: str = "long") -> str:
    """A date for the locale: "8 December 2026", "8 décembre 2026", "8. Dezember 2026"."""
    if isinstance(value, datetime):
        value = value.date()
    return _babel_format_date(value, format=style, locale=babel_locale(language))


def format_datetime(value: datetime, language: str | None, style: str = "medium") -> str:
    return _babel_format_datetime(value, format=style, locale=babel_locale(language))
