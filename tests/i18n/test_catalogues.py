"""Every message a supporter can be shown has a translation in each catalogue, with the
same placeholders, and no catalogue keeps entries the code no longer has.

The messages are extracted here, in-process, with the extraction maps `make messages`
uses (campaign/locale/<domain>.cfg), so a message marked but never merged into the .po
files fails as surely as one left untranslated."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from campaign.i18n import LOCALE_DIR, SUPPORTED_LANGUAGES, Domain

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [language for language in SUPPORTED_LANGUAGES if language != "en"]
CHECKED_DOMAINS: tuple[Domain, ...] = ("pages", "emails")

# What must come through a translation unchanged: gettext's %(name)s (and a bare %s),
# Jinja's {{ name }}, and str.format's {name}.
_PLACEHOLDERS = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\{\s*[\w.]+\s*\}\}|\{\w+\}")

MessageId = str | tuple[str, ...]


@cache
def extracted(domain: Domain) -> dict[MessageId, str | None]:
    """The domain's marked messages, each with its context, as `make messages` finds them."""
    with (LOCALE_DIR / f"{domain}.cfg").open() as mapping:
        method_map, options_map = parse_mapping_cfg(mapping)
    messages: dict[MessageId, str | None] = {}
    for _filename, _line, message, _comments, context in extract_from_dir(
        ROOT, method_map, options_map, keywords=DEFAULT_KEYWORDS
    ):
        messages[message] = context
    return messages


@cache
def catalogue(domain: Domain, language: str) -> Catalog:
    with (LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po").open("rb") as po:
        return read_po(po, locale=language, domain=domain)


def placeholders(text: str) -> set[str]:
    return {"".join(found.split()) for found in _PLACEHOLDERS.findall(text)}


def forms(message: Message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple | list) else [message.string]


def sources(message_id: MessageId) -> list[str]:
    return list(message_id) if isinstance(message_id, tuple) else [message_id]


def untranslated(domain: Domain, language: str) -> list[str]:
    found = catalogue(domain, language)
    problems = []
    for message_id, context in extracted(domain).items():
        key = message_id[0] if isinstance(message_id, tuple) else message_id
        entry = found.get(key, context)
        if entry is None:
            problems.append(f"not in the catalogue: {message_id!r}")
        elif entry.fuzzy or not all(form.strip() for form in forms(entry)):
            problems.append(f"untranslated or fuzzy: {message_id!r}")
    return problems


def placeholder_mismatches(domain: Domain, language: str) -> list[str]:
    problems = []
    for entry in catalogue(domain, language):
        if not entry.id or not entry.string:
            continue
        wanted = set().union(*(placeholders(text) for text in sources(entry.id)))
        for form in forms(entry):
            if form and placeholders(form) != wanted:
                problems.append(f"{entry.id!r}: {form!r} has {placeholders(form)}, not {wanted}")
    return problems


def stale_entries(domain: Domain, language: str) -> list[str]:
    found = catalogue(domain, language)
    in_code = {
        (message_id[0] if isinstance(message_id, tuple) else message_id, context)
        for message_id, context in extracted(domain).items()
    }
    problems = [f"obsolete (#~): {entry.id!r}" for entry in found.obsolete.values()]
    problems += [
        f"no longer in the code: {entry.id!r}"
        for entry in found
        if entry.id and (sources(entry.id)[0], entry.context) not in in_code
    ]
    return problems


# The emails domain may have no marked messages yet: its tests then have nothing to
# check and pass, as they should; they check every message as soon as there are some.
@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("domain", CHECKED_DOMAINS)
def test_every_message_is_translated(domain: Domain, language: str) -> None:
    assert untranslated(domain, language) == []


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("domain", CHECKED_DOMAINS)
def test_translations_keep_the_placeholders_of_their_message(domain: Domain, language: str) -> None:
    assert placeholder_mismatches(domain, language) == []


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("domain", CHECKED_DOMAINS)
def test_no_catalogue_keeps_messages_the_code_no_longer_has(domain: Domain, language: str) -> None:
    assert stale_entries(domain, language) == []


def test_the_pages_domain_has_messages_to_check() -> None:
    """The checks above would pass on an extraction that found nothing."""
    assert len(extracted("pages")) > 100
    assert ("Sign this petition" in extracted("pages")) and (
        "Enter your email address." in extracted("pages")
    )


def test_a_dropped_placeholder_is_caught() -> None:
    """The placeholder check can fail: a translation that loses a name is reported."""
    assert placeholders("Bonjour") != placeholders("Hello %(name)s")
    assert placeholders("Hallo {{ name }}") == placeholders("Hello {{name}}")
    assert placeholders("Hi {name} and {other}") == {"{name}", "{other}"}
    assert placeholders("%(count)s sur %(goal)s") == {"%(count)s", "%(goal)s"}
