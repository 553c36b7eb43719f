"""The text calls to action are found in, from what staff submitted."""

from __future__ import annotations

import hashlib
import re

import trafilatura

from campaign.errors import InvalidInput
from campaign.releases.models import ReleaseFormat


def text_of(submitted: str, source_format: ReleaseFormat) -> str:
    """Plain text with one block per line. HTML is reduced to its article (navigation,
    scripts and boilerplate dropped) by trafilatura; text and Markdown are kept as
    written, so offsets point into what staff see."""
    if source_format == ReleaseFormat.HTML:
        article = trafilatura.extract(
            submitted, include_comments=False, include_tables=False, favor_precision=True
        )
        if not article or not article.strip():
            raise InvalidInput("no article text was found in this HTML", field="content")
        return _normalised_newlines(article)
    return _normalised_newlines(submitted.removeprefix("\ufeff"))


def _normalised_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip("\n") + "\n"


def content_hash(text: str) -> str:
    """Equal for the same release however it was spaced or wrapped."""
    canonical = re.sub(r"\s+", " ", text).strip().lower()
    return hashlib.sha256(canonical.encode()).hexdigest()


# A line of its own that names where the text came from, or what kind of page it was
# on: never the headline, which follows it.
_SOURCE_LINE = re.compile(r"^source\s*:", re.IGNORECASE)
_LABEL_LINE = re.compile(
    r"^(press releases?|news( releases?)?|media releases?|statements?|for immediate release\b.*)$",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(19|20)\d\d\b")
_MARKUP = re.compile(r"^#{1,6}\s+|^\*\*(.*)\*\*$|^__(.*)__$")
HEADLINE_LIMIT = 200
# How running text ends, and a headline does not: a full stop, a comma, a colon (the
# lead-in of a quotation), or a word that needs one after it.
_RUNNING_TEXT_ENDINGS = (".", ",", ";", ":")
_UNFINISHED = frozenset({"a", "an", "the", "and", "or", "of", "to", "in", "for", "on", "with"})


def headline_of(text: str) -> str | None:
    """The release's headline: its first line, after an optional "SOURCE: ..." line (and
    a label such as "Press releases" or a date line), if it looks like one: short, and
    not ending as running text does. None when it doesn't."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and _SOURCE_LINE.match(lines[0]):
        lines = lines[1:]
    lines = _without_labels(lines)
    if not lines:
        return None
    line = _without_markup(lines[0])
    return line if _looks_like_a_headline(line) else None


def _without_labels(lines: list[str]) -> list[str]:
    # At most a few: a page with nothing but labels has no headline to find.
    for skipped, line in enumerate(lines[:3]):
        if not (_LABEL_LINE.match(line) or _is_date_line(line)):
            return lines[skipped:]
    return lines[3:]


def _is_date_line(line: str) -> bool:
    """ "June 13, 2016", "26th March 2024, 16:26:48 UTC", "Published 06. Sep 2017"."""
    return bool(_YEAR.search(line)) and len(line.split()) <= 6 and not line.endswith(".")


def _without_markup(line: str) -> str:
    match = _MARKUP.match(line)
    if match is None:
        return line
    inner = next((group for group in match.groups() if group), None)
    return (inner if inner is not None else line[match.end() :]).strip()


def _looks_like_a_headline(line: str) -> bool:
    words = line.split()
    return (
        0 < len(line) <= HEADLINE_LIMIT
        and len(words) >= 2
        and not line.endswith(_RUNNING_TEXT_ENDINGS)
        and words[-1].lower() not in _UNFINISHED
        and not line[:1].islower()
    )
