"""Who is speaking: quotations in a paragraph and the people they are attributed to.

A release quotes its own spokespeople and also ministers, companies and experts. A
demand inside a quotation is the organisation's only when the quotation is its own:
'"Parliament must reject this bill," said the interior minister' is reported speech.
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token

OPENING_QUOTES = "“«„"
CLOSING_QUOTES = "”»"
STRAIGHT_QUOTES = '"'
# Verbs that attribute a quotation to its speaker.
ATTRIBUTING_VERBS = {
    "say", "add", "state", "tell", "warn", "note", "write", "declare", "argue", "explain",
    "insist", "stress", "comment", "continue", "conclude", "respond", "reply", "urge",
}  # fmt: skip
PRONOUN_SPEAKERS = {"he", "she", "they", "i", "we"}


@dataclass(frozen=True)
class Attribution:
    """The speakers a paragraph names outside its quotation marks."""

    named: list[Token]  # names and noun phrases: "Karl Hansen", "a spokesperson"
    pronouns: list[Token]  # "he said", "she added"


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """Character ranges inside quotation marks. Curly and guillemet quotes pair up;
    straight double quotes toggle. An unclosed quotation runs to the end: a quote
    that goes on into the next paragraph opens it again there."""
    spans: list[tuple[int, int]] = []
    opened: int | None = None
    for i, char in enumerate(text):
        if opened is None and (char in OPENING_QUOTES or char in STRAIGHT_QUOTES):
            opened = i
        elif opened is not None and (char in CLOSING_QUOTES or char in STRAIGHT_QUOTES):
            spans.append((opened, i + 1))
            opened = None
    if opened is not None:
        spans.append((opened, len(text)))
    return spans


def is_quoted(sentence: Span, spans: list[tuple[int, int]]) -> bool:
    """Whether most of the sentence lies inside quotation marks."""
    start, end = sentence.start_char, sentence.end_char
    inside = sum(max(0, min(end, b) - max(start, a)) for a, b in spans)
    return inside * 2 > end - start


def attribution_of(doc: Doc, spans: list[tuple[int, int]]) -> Attribution:
    """The subjects of verbs of saying that stand outside the quotation marks, and
    what "according to" names."""
    named: list[Token] = []
    pronouns: list[Token] = []
    for token in doc:
        if _inside(token, spans):
            continue
        speaker: Token | None = None
        if token.lemma_.lower() in ATTRIBUTING_VERBS and token.pos_ == "VERB":
            speaker = next((c for c in token.children if c.dep_ == "nsubj"), None)
        elif token.lower_ == "according":
            to = next((c for c in token.children if c.lower_ == "to"), None)
            speaker = next((c for c in to.children if c.dep_ == "pobj"), None) if to else None
        if speaker is None or _inside(speaker, spans):
            continue
        (pronouns if speaker.lower_ in PRONOUN_SPEAKERS else named).append(speaker)
    return Attribution(named, pronouns)


def _inside(token: Token, spans: list[tuple[int, int]]) -> bool:
    return any(a <= token.idx < b for a, b in spans)
