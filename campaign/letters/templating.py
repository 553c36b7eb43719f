"""Placeholders in letter templates: `{{official_name}}`, `{{official_title}}`,
`{{activist_name}}`, `{{activist_locality}}` (the drafts made from releases use them). A
fixed list filled by plain substitution, never a template language: an activist edits
the body, and their text must not run code."""

from __future__ import annotations

import re

# What each placeholder stands for, as staff setting up a letter read it.
PLACEHOLDER_MEANINGS = {
    "official_name": "the official's name, as the directory has it",
    "official_title": "the official's title, such as 'Member of Parliament for Riverside'",
    "activist_name": "the activist's given and family name",
    "activist_locality": "the activist's town, which the letter form then asks for",
}
PLACEHOLDERS = frozenset(PLACEHOLDER_MEANINGS)
# What the staff preview of a letter fills the activist's placeholders with.
SAMPLE_ACTIVIST = {"activist_name": "Jordan Sample", "activist_locality": "Sampleton"}
SUBJECT_LIMIT = 300
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]+)\s*\}\}")


def unknown_placeholders(text: str) -> list[str]:
    return sorted({name for name in _PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})


def uses_placeholder(text: str, name: str) -> bool:
    return name in _PLACEHOLDER.findall(text)


def fill(text: str, values: dict[str, str]) -> str:
    """One pass, left to right: a value that contains a placeholder stays as typed."""
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def addressed(
    subject: str,
    body: str,
    *,
    official_name: str,
    official_title: str,
    activist_name: str,
    activist_locality: str,
) -> tuple[str, str]:
    """A letter's subject and body as one official receives them: what a delivery
    stores and sends, and what the staff preview shows."""
    values = {
        "official_name": official_name,
        "official_title": official_title,
        "activist_name": activist_name,
        "activist_locality": activist_locality,
    }
    return one_line(fill(subject, values))[:SUBJECT_LIMIT], fill(body, values)


# How the placeholders read on the public letter form, where the activist edits the
# letter: in words anyone understands, turned back into placeholders when the form is
# sent, so the letter is filled in for each official all the same.
_IN_WORDS = {
    "official_name": "[official's name]",
    "official_title": "[official's title]",
    "activist_name": "[your name]",
    "activist_locality": "[your town]",
}
_WORDS = re.compile(
    "|".join(
        re.escape(words).replace("\\ ", r"\s+").replace("'", "['’]") for words in _IN_WORDS.values()
    ),
    re.IGNORECASE,
)
_PLACEHOLDER_OF_WORDS = {" ".join(words.split()): name for name, words in _IN_WORDS.items()}


def in_words(text: str) -> str:
    """The placeholders a reader sees: "Dear [official's name]," for "Dear
    {{official_name}},"; unknown ones are left as they are."""
    return _PLACEHOLDER.sub(lambda m: _IN_WORDS.get(m.group(1), m.group(0)), text)


def from_words(text: str) -> str:
    """Back from what `in_words` shows to the placeholders, whatever the case and spacing
    the activist left them in."""
    return _WORDS.sub(
        lambda m: "{{" + _PLACEHOLDER_OF_WORDS[_as_written(m.group(0))] + "}}",
        text,
    )


def _as_written(words: str) -> str:
    return " ".join(words.lower().replace("’", "'").split())


def one_line(text: str) -> str:
    """Subjects go into a header: any run of whitespace, line breaks included, is a space."""
    return " ".join(text.split())
