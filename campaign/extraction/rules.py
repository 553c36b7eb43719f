"""Finding calls to action in parsed sentences with general grammatical rules.

A call to action is a unit in which the publishing organisation (or its spokesperson)
demands that an actor act: a deontic modal on an actor ("States must halt ..."), a
performative call by the organisation ("We call on X to ...", "urges X to ..."), a call
with no addressee ("calls for an end to ..."), or a passive obligation ("... should be
freed at once"). Reported demands of third parties, counterfactual and epistemic modals,
conditions, questions and requirements on things are not calls to action.

The rules read the dependency parse; they never look for particular words of particular
releases, only for the grammar of demands.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from spacy.tokens import Span, Token

from campaign.extraction.models import Strength
from campaign.extraction.names import is_proper_noun, looks_like_person_name

# Performative verbs and the strength each gives. The performative decides over a modal.
PERFORMATIVES = {
    "call": Strength.CALL,
    "ask": Strength.CALL,
    "appeal": Strength.CALL,
    "urge": Strength.URGE,
    "demand": Strength.DEMAND,
}
DEONTIC_MODALS = {"must": Strength.MUST, "should": Strength.SHOULD, "ought": Strength.SHOULD}
SPEECH_VERBS = {"say", "add", "state", "tell", "warn", "note", "write", "declare", "argue"}
FIRST_PERSON = {"we", "i", "us"}
PERSONAL_PRONOUNS = {"they", "he", "she", "it", "them"}
# Common nouns that name actors who can be asked to act (heads of subjects).
AGENT_NOUNS = {
    "administration", "agency", "army", "authority", "bank", "body", "business",
    "chancellor", "company", "congress", "corporation", "council", "country", "court",
    "donor", "force", "government", "governor", "industry", "institution", "investor",
    "lawmaker", "leader", "legislator", "legislature", "manufacturer", "member", "military",
    "minister", "ministry", "nation", "official", "parliament", "party", "police", "politician",
    "president", "prime", "regime", "regulator", "senate", "senator", "side", "state",
    "supplier", "union", "world", "community", "operator", "producer", "group",
    "board", "councillor", "councilor", "cabinet", "city", "commissioner", "county",
    "department", "municipality",
    "province", "region", "mayor", "secretary", "prosecutor", "ambassador", "envoy",
    "delegate", "negotiator", "representative", "mp", "mep", "candidate", "chair", "chief",
    "director", "executive", "ceo", "employer", "landlord", "retailer", "supermarket", "brand",
    "airline", "utility", "platform", "fund", "developer", "owner", "provider", "insurer",
    "lender", "shareholder", "importer", "exporter", "trader", "firm", "university", "school",
    "hospital", "federation", "league", "coalition", "alliance", "organisation",
    "organization", "ally", "partner", "signatory", "actor", "people", "citizen",
}  # fmt: skip
# Heads of callers whose demands the organisation only reports.
THIRD_PARTY_CALLERS = {
    "court", "judge", "panel", "report", "resolution", "assembly", "committee", "commission",
    "community", "protester", "rapporteur", "tribunal", "study", "petition", "letter",
    "ruling", "order", "statement", "expert", "scientist", "resident", "family",
}  # fmt: skip
PREDICTIVE_MODALS = {"will", "would", "may", "might", "could", "can", "shall"}
CONDITIONAL_MARKERS = {"if", "unless", "whether", "when", "once", "until", "while"}


@dataclass
class Finding:
    strength: Strength
    targets: list[Token] = field(default_factory=list)  # heads of the addressee phrases
    action_tokens: list[Token] = field(default_factory=list)
    confidence: float = 0.0
    reason: str = ""


@dataclass
class Publisher:
    """How the publishing organisation is named in the release, and who speaks for it."""

    names: set[str] = field(default_factory=set)
    spokespeople: set[str] = field(default_factory=set)
    # Head words of the actors its calls have addressed so far ("airport" after "urges
    # the airport to ..."): a later "The airport should ..." names an actor too.
    addressed: set[str] = field(default_factory=set)

    def includes(self, phrase: str) -> bool:
        phrase = phrase.lower()
        return any(name in phrase or phrase in name for name in self.names | self.spokespeople)

    def is_called_by_short_name(self, subject: Token) -> bool:
        """ "The union" for the Northfold Tenants Union, "the Alliance" for Harvest Table
        Alliance: the last word of its name with nothing but a determiner."""
        if any(c.dep_ != "det" or c.lower_ not in {"the", "our"} for c in subject.children):
            return False
        return any(name.split()[-1:] == [subject.lower_] for name in self.names)

    def is_described(self, subject: Token) -> bool:
        """ "Coastal groups" for the Coastal Peoples Network, "Tenants union" for the
        Northfold Tenants Union: a common noun whose modifier is a word of its name."""
        if subject.pos_ != "NOUN":
            return False
        words = {w for name in self.names for w in name.split()} - {"of", "the", "for", "and"}
        return any(c.dep_ in {"amod", "compound"} and c.lower_ in words for c in subject.children)


def find_call_to_action(sentence: Span, publisher: Publisher) -> Finding | None:
    if sentence.text.rstrip(" ”\"'’").endswith("?"):
        return None
    for rule in (_performative, _deontic_modal):
        for token in sentence:
            finding = rule(token, publisher)
            if finding is not None:
                return finding
    return _we_need_someone_to(sentence)


# --- performative calls: "X calls on Y to", "urges Y to", "demands that Y" ------------


def _performative(token: Token, publisher: Publisher) -> Finding | None:
    strength = PERFORMATIVES.get(token.lemma_.lower())
    if strength is None or token.pos_ != "VERB" or not _caller_is_publisher(token, publisher):
        return None
    if _in_subordinate_clause(token) and token.dep_ not in {"xcomp", "advcl", "conj"}:
        return None
    targets: list[Token] = []
    action: list[Token] = []
    # "calls for a moratorium on licences": an "on" after "for" belongs to the call's
    # object, not to its addressee.
    for_index = min((c.i for c in token.children if c.lower_ == "for"), default=len(token.doc))
    for child in token.children:
        addressed = {"on", "upon"} | ({"to"} if token.lemma_.lower() == "appeal" else set())
        # "calling on X": the parser reads "on" as a preposition or as a particle.
        if (
            child.dep_ in {"prep", "prt"}
            and child.lower_ in addressed
            and child.i < for_index
            and not targets
        ):
            targets = [t for t in child.children if t.dep_ == "pobj"]
        elif child.dep_ == "prep" and child.lower_ == "for":
            # "calls for an end to ...": a call with no addressee.
            action = [t for t in child.subtree]
        elif child.dep_ in {"dobj", "dative"} and token.lemma_.lower() in {"urge", "ask"}:
            targets = [child]
        elif child.dep_ == "dobj" and token.lemma_.lower() in {"demand", "call"}:
            action = list(child.subtree)
    verb = _complement_verb(token)
    if verb is not None:
        subject = _subject_of(verb)
        if not targets and subject is not None and subject.lower_ not in FIRST_PERSON:
            targets = [subject]  # "demands that the government ...", "urges that X ..."
        action = _verb_phrase(verb, exclude=targets)
    lead_in = token.sent.text.rstrip().endswith(":")
    if not action and not (lead_in and targets):
        return None
    return Finding(strength, targets, action, 0.9, f"performative:{token.lemma_.lower()}")


def _complement_verb(token: Token) -> Token | None:
    for child in token.children:
        if child.dep_ in {"xcomp", "ccomp"} and child.pos_ in {"VERB", "AUX"}:
            return child
    for child in token.children:
        if child.dep_ == "prep":
            for grandchild in child.children:
                for verb in grandchild.children:
                    if verb.dep_ in {"acl", "relcl", "xcomp"} and verb.pos_ == "VERB":
                        return verb
    return None


def _caller_is_publisher(token: Token, publisher: Publisher) -> bool:
    subject = _subject_of(token)
    if subject is None:
        # A participle ("..., urging him to") takes the caller of the verb it hangs on.
        if token.dep_ in {"advcl", "xcomp", "conj", "acl"} and token.head.i != token.i:
            return _caller_is_publisher(token.head, publisher)
        return token.dep_ == "ROOT"  # a headline: "Calls on states to ..."
    if subject.lower_ in FIRST_PERSON | PERSONAL_PRONOUNS - {"it"}:
        # In a release, "they are calling on" and "she urged" are its own people.
        return True
    if subject.lemma_.lower() in THIRD_PARTY_CALLERS:
        return False
    phrase = _phrase_text(subject)
    if publisher.includes(phrase) or publisher.is_called_by_short_name(subject):
        return True
    if publisher.is_described(subject):
        return True
    # With no publisher to compare with, a person named as the caller is taken to be its
    # spokesperson.
    return not publisher.names and looks_like_person_name(subject)


# --- deontic modals: "X must / should / needs to / has to VP" --------------------------


def _deontic_modal(token: Token, publisher: Publisher) -> Finding | None:
    trigger = _modal_trigger(token)
    if trigger is None:
        return None
    verb, clause, strength = trigger
    if _is_counterfactual_or_epistemic(verb):
        return None
    subject = _subject_of(verb)
    if token.tag_ == "MD" and subject is not None and token.i < subject.i:
        return None  # "Should they fail to ...": an inverted conditional, not a demand
    if not _is_main_clause(clause, publisher):
        return None
    passive = any(c.dep_ == "auxpass" for c in verb.children) or (
        subject is not None and subject.dep_ == "nsubjpass"
    )
    if passive:
        agent = _passive_agent(verb)
        if verb.tag_ != "VBN":
            return None
        targets = [agent] if agent is not None else []
        action = _verb_phrase(verb, exclude=[subject] if subject is not None else [])
        confidence = 0.75 if agent is not None else 0.6
        return Finding(strength, targets, action, confidence, "modal:passive")
    if subject is None or not _is_agent(subject, publisher):
        return None
    if verb.lemma_ == "be" and not any(c.dep_ in {"attr"} for c in verb.children):
        return None  # "X must be substantial": a requirement on a thing
    action = _verb_phrase(verb, exclude=[subject])
    return Finding(strength, [subject], action, 0.85, f"modal:{strength.value}")


def _modal_trigger(token: Token) -> tuple[Token, Token, Strength] | None:
    """The verb of the demanded action, the verb whose clause carries the obligation,
    and the strength."""
    lemma = token.lemma_.lower()
    if token.tag_ == "MD" and lemma in DEONTIC_MODALS and token.dep_ == "aux":
        verb = token.head
        if lemma == "ought":
            verb = next((c for c in token.children if c.dep_ == "xcomp"), verb)
        return verb, verb, DEONTIC_MODALS[lemma]
    if token.tag_ == "MD" and lemma == "ought":
        # "They ought to VP" parsed with "ought" as the head of its clause.
        complement = next((c for c in token.children if c.dep_ == "xcomp"), None)
        if complement is not None:
            return complement, token, Strength.SHOULD
    if lemma in {"need", "have"} and token.pos_ in {"VERB", "AUX"}:
        # "need(s) to VP", "has to VP": the complement carries the action.
        for child in token.children:
            to_verb = child.dep_ == "xcomp" and any(
                g.dep_ == "aux" and g.lower_ == "to" for g in child.children
            )
            not_yet = any(g.lower_ == "yet" for g in token.children)  # "has yet to sign"
            # "will have to", "would need to": a prediction or a hypothesis, not a demand.
            predicted = any(
                g.dep_ == "aux" and g.lemma_.lower() in PREDICTIVE_MODALS for g in token.children
            )
            if to_verb and not not_yet and not predicted and _subject_of(token) is not None:
                return child, token, Strength.MUST
    return None


def _is_counterfactual_or_epistemic(verb: Token) -> bool:
    auxiliaries = [c for c in verb.children if c.dep_ in {"aux", "auxpass"}]
    # "should have acted", "must have known": retrospective, not a demand.
    return any(a.lemma_ == "have" for a in auxiliaries) and verb.tag_ == "VBN"


def _is_main_clause(verb: Token, publisher: Publisher) -> bool:
    if _reported_by_someone_else(verb, publisher):
        return False
    node = verb
    while node.dep_ == "conj":
        node = node.head
    if node.dep_ == "ROOT":
        return True
    if node.dep_ in {"ccomp", "parataxis"}:
        speaker = _subject_of(node.head)
        if node.head.lemma_.lower() in SPEECH_VERBS:
            return (
                speaker is None
                or speaker.lower_ in FIRST_PERSON
                or publisher.includes(_phrase_text(speaker))
            )
        return node.head.lemma_.lower() in {"believe", "think", "insist", "stress"} and (
            speaker is not None and speaker.lower_ in FIRST_PERSON
        )
    return False


def _reported_by_someone_else(verb: Token, publisher: Publisher) -> bool:
    """Whether a verb of saying above this clause has a speaker other than the publisher
    ("... notes that President X is stating that Israel should ...")."""
    for ancestor in verb.ancestors:
        if ancestor.lemma_.lower() in SPEECH_VERBS | {"state", "claim", "insist"}:
            speaker = _subject_of(ancestor)
            if speaker is not None and not (
                speaker.lower_ in FIRST_PERSON or publisher.includes(_phrase_text(speaker))
            ):
                return True
    return False


def _is_agent(subject: Token, publisher: Publisher) -> bool:
    word = subject.lower_
    if word in FIRST_PERSON:
        return False  # "we must": the organisation's own commitment, or nobody in particular
    if word in PERSONAL_PRONOUNS - {"it"}:
        return True
    if word == "it":
        # "Should Israel wish to ..., it must not": "it" stands for an actor named before,
        # in the same sentence or as the subject of the one before ("Greystone needs to
        # ... . It should ...").
        return any(is_proper_noun(t) for t in subject.sent if t.i < subject.i) or (
            _previous_subject_is_agent(subject.sent, publisher)
        )
    if subject.pos_ == "PROPN":
        return True
    lemma = subject.lemma_.lower()
    return lemma in AGENT_NOUNS or lemma in publisher.addressed


def _previous_subject_is_agent(sentence: Span, publisher: Publisher) -> bool:
    if sentence.start == 0:
        return False
    previous = sentence.doc[sentence.start - 1].sent
    subject = _subject_of(previous.root)
    return subject is not None and subject.lower_ != "it" and _is_agent(subject, publisher)


def _passive_agent(verb: Token) -> Token | None:
    for child in verb.children:
        if child.dep_ == "agent":
            for grandchild in child.children:
                if grandchild.dep_ == "pobj":
                    return grandchild
    return None


# --- "we need X to VP" ------------------------------------------------------------------


def _we_need_someone_to(sentence: Span) -> Finding | None:
    for token in sentence:
        if token.lemma_ != "need" or token.pos_ != "VERB":
            continue
        subject = _subject_of(token)
        if subject is None or subject.lower_ not in FIRST_PERSON:
            continue
        for child in token.children:
            if child.dep_ in {"ccomp", "xcomp"}:
                addressee = _subject_of(child)
                if addressee is not None and _is_agent(addressee, Publisher()):
                    action = _verb_phrase(child, exclude=[addressee])
                    return Finding(Strength.OTHER, [addressee], action, 0.6, "need-someone-to")
    return None


# --- shared helpers -----------------------------------------------------------------------


def _subject_of(verb: Token) -> Token | None:
    subjects = [c for c in verb.children if c.dep_ in {"nsubj", "nsubjpass", "expl"}]
    if subjects:
        # Two subjects mean a misparse, most often of a dateline ("LONDON, 3 May - The
        # union has demanded ..."): the one nearest the verb is the real one.
        nearest = min(subjects, key=lambda s: abs(s.i - verb.i))
        return nearest if nearest.dep_ != "expl" else None
    # A verb coordinated with an earlier one shares its subject ("remain ..., and must not").
    if verb.dep_ == "conj" and verb.head.i != verb.i:
        if _is_inverted_condition(verb.head):
            # "Should X reject it, Y and Z remain bound ... and must not": the parser
            # often joins the main clause to the condition; its subject follows the comma.
            return _first_noun_after_condition(verb.head) or _subject_of(verb.head)
        return _subject_of(verb.head)
    # "They must" where the parser hangs the modal's verb under an xcomp.
    if verb.dep_ == "xcomp" and verb.head.i != verb.i:
        return _subject_of(verb.head)
    return None


def _is_inverted_condition(verb: Token) -> bool:
    """A clause opened by "Should/Were/Had" before its subject: a condition."""
    opener = next((t for t in verb.sent if not t.is_punct and not t.is_space), verb)
    return (
        opener.lower_ in {"should", "were", "had"}
        and opener.head.i == verb.i
        and any(c.dep_ == "nsubj" and c.i > opener.i for c in verb.children)
    )


def _first_noun_after_condition(verb: Token) -> Token | None:
    sentence = verb.sent
    comma = next((t for t in sentence if t.text == "," and t.i > verb.i), None)
    if comma is None:
        return None
    for token in sentence[comma.i + 1 - sentence.start :]:
        if token.pos_ in {"PROPN", "NOUN", "PRON"}:
            while token.dep_ == "compound" and token.head.i > token.i:
                token = token.head
            return token
        if token.pos_ in {"VERB", "AUX"}:
            return None
    return None


def _in_subordinate_clause(token: Token) -> bool:
    return any(c.dep_ == "mark" and c.lower_ in CONDITIONAL_MARKERS for c in token.children)


def _verb_phrase(verb: Token, exclude: list[Token]) -> list[Token]:
    """The verb and what hangs on it, without the excluded phrases, modals and the
    leading "to"."""
    excluded: set[int] = set()
    for head in exclude:
        excluded.update(t.i for t in head.subtree)
    tokens = [
        t
        for t in verb.subtree
        if t.i not in excluded
        and not (t.dep_ == "aux" and t.i < verb.i and t.lower_ != "not")
        and not (t.dep_ in {"nsubj", "nsubjpass"} and t.head.i == verb.i)
    ]
    negation = [c.i for c in verb.children if c.dep_ == "neg" and c.i < verb.i]
    first = min([verb.i, *negation])
    tokens = [t for t in tokens if t.i >= first]
    while tokens and tokens[-1].is_punct:
        tokens.pop()
    return tokens


def _phrase_text(head: Token) -> str:
    return " ".join(t.text for t in head.subtree)
