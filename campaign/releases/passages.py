"""Where a passage staff chose stands in a release's text: offsets checked against the
text, or an exact passage looked up in it; and whether it repeats a call already there."""

from __future__ import annotations

from dataclasses import dataclass

from campaign.errors import InvalidInput


@dataclass(frozen=True)
class Span:
    start: int
    end: int

    def __len__(self) -> int:
        return self.end - self.start


def span_at(text: str, start: int, end: int) -> Span:
    """The passage text[start:end], without the whitespace a selection drags along."""
    if start >= len(text):
        raise InvalidInput(f"start must be less than the text's length, {len(text)}", field="start")
    if end > len(text):
        raise InvalidInput(f"end must be at most the text's length, {len(text)}", field="end")
    if end <= start:
        raise InvalidInput("end must be greater than start", field="end")
    return _trimmed(text, Span(start, end), field="start")


def span_of(text: str, passage: str) -> Span:
    """Where the exact passage stands in the text; found twice, it names no one place."""
    first = text.find(passage)
    if first < 0:
        raise InvalidInput("this passage is not in the release's text", field="sentence")
    if text.find(passage, first + 1) >= 0:
        raise InvalidInput(
            "this passage is in the text more than once: send start and end instead",
            field="sentence",
        )
    return _trimmed(text, Span(first, first + len(passage)), field="sentence")


def _trimmed(text: str, span: Span, *, field: str) -> Span:
    passage = text[span.start : span.end]
    if not passage.strip():
        raise InvalidInput("the passage is only whitespace", field=field)
    leading = len(passage) - len(passage.lstrip())
    trailing = len(passage) - len(passage.rstrip())
    return Span(span.start + leading, span.end - trailing)


def repeats(span: Span, other: Span) -> bool:
    """True when more than half of either passage is the other: the same call, chosen
    again, whichever of the two is the longer."""
    shared = min(span.end, other.end) - max(span.start, other.start)
    return shared > 0 and 2 * shared > min(len(span), len(other))
