"""Placeholders in letter templates: `{{official_name}}`, `{{official_title}}`,
`{{activist_name}}`, `{{activist_locality}}` (the drafts made from releases use them). A
fixed list filled by plain substitution, never a template language: an activist edits
the body, and their text must not run code."""

from __future__ import annotations

import re

PLACEHOLDERS = frozenset({"official_name", "official_title", "activist_name", "activist_locality"})
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]+)\s*\}\}")


def unknown_placeholders(text: str) -> list[str]:
    return sorted({name for name in _PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})


def uses_placeholder(text: str, name: str) -> bool:
    return name in _PLACEHOLDER.findall(text)


def fill(text: str, values: dict[str, str]) -> str:
    """One pass, left to right: a value that contains a placeholder stays as typed."""
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def one_line(text: str) -> str:
    """Subjects go into a header: any run of whitespace, line breaks included, is a space."""
    return " ".join(text.split())
