"""Splitting a release into blocks: headline lines, bulleted items and paragraphs, each
with its character offsets in the text as given. Paragraphs are split into sentences
later, by the parser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# Quotation marks around a unit are not part of it: a quoted spokesperson's sentence
# is the organisation's own words.
QUOTES = "\"'“”‘’«»„"
# Markdown headings ("## Title") are headlines without their marks.
_HEADING = re.compile(r"^\s*#{1,6}\s+(?=\S)")
_BULLET = re.compile(r"^\s*(?:[-*•‣▪–—]\s*|(?:\(?\d{1,2}[.)]|\(?[a-z][.)])\s+)(?=\w)")
_SOURCE_LINE = re.compile(r"^SOURCE:", re.IGNORECASE)


@dataclass(frozen=True)
class Block:
    start: int
    end: int
    kind: str  # "headline", "item" or "paragraph"


def split_blocks(text: str) -> Iterator[Block]:
    """The blocks of the text, with hard-wrapped paragraphs (plain-text email style)
    joined back into one block."""
    previous: Block | None = None
    for block in _line_blocks(text):
        if previous is not None and _continues(text, previous, block):
            previous = Block(previous.start, block.end, "paragraph")
            continue
        if previous is not None:
            yield previous
        previous = block
    if previous is not None:
        yield previous


def _continues(text: str, previous: Block, block: Block) -> bool:
    """A line that goes on with the sentence of the line just before it: it starts in
    lower case, with no blank line between them."""
    between = text[previous.end : block.start]
    return (
        previous.kind in {"paragraph", "headline"}
        and block.kind in {"paragraph", "headline"}
        and between.count("\n") == 1
        and not between.strip()
        and text[block.start].islower()
    )


def _line_blocks(text: str) -> Iterator[Block]:
    offset = 0
    in_list = False
    lead_in_pending = False
    for line in text.splitlines(keepends=True):
        start = offset
        offset += len(line)
        stripped = line.strip()
        if not stripped or _SOURCE_LINE.match(stripped):
            # A blank line ends a list, but not the gap between a lead-in and its items.
            in_list = in_list and lead_in_pending
            continue
        lead_in_pending = stripped.endswith(":")
        heading = _HEADING.match(line)
        bullet = _BULLET.match(line)
        if heading:
            yield Block(start + heading.end(), start + len(line.rstrip()), "headline")
        elif bullet:
            in_list = True
            yield Block(start + bullet.end(), start + len(line.rstrip()), "item")
        elif in_list and len(stripped) <= 300:
            # A list whose items have no bullet: the lines after a lead-in ending in ":".
            yield Block(start, start + len(line.rstrip()), "item")
        elif _looks_like_headline(stripped):
            yield Block(start, start + len(line.rstrip()), "headline")
        else:
            yield Block(start, start + len(line.rstrip()), "paragraph")
        in_list = in_list or stripped.endswith(":")


def _looks_like_headline(line: str) -> bool:
    # Short, and not ending the way a sentence of running text does.
    return len(line) <= 200 and not line.endswith((".", "?", "!", ":", ";", "”", "»", '"', ","))


def trim_quotes(text: str, start: int, end: int) -> tuple[int, int]:
    """Narrow a span so that it neither starts nor ends with space or quotation marks."""
    while start < end and (text[start].isspace() or text[start] in QUOTES):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in QUOTES):
        end -= 1
    return start, end
