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

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum

from spacy.tokens import Span, Token

from campaign.extraction.models import Strength, Verdict
from campaign.extraction.names import (
    LINKING_WORDS,
    initials_of,
    is_proper_noun,
    looks_like_person_name,
)

# Performative verbs and the strength each gives. The performative decides over a modal.
PERFORMATIVES = {
    "call": Strength.CALL,
    "ask": Strength.CALL,
    "appeal": Strength.CALL,
    "request": Strength.CALL,
    "urge": Strength.URGE,
    "demand": Strength.DEMAND,
    # Softer ways of asking, with no strength of their own.
    "recommend": Strength.OTHER,
    "encourage": Strength.OTHER,
    "invite": Strength.OTHER,
    "implore": Strength.OTHER,
    "exhort": Strength.OTHER,
    "press": Strength.OTHER,
    "challenge": Strength.OTHER,
}
# The same calls made as nouns: "We repeat our call on X to ...", "its appeal to X".
PERFORMATIVE_NOUNS = {
    "call": Strength.CALL,
    "appeal": Strength.CALL,
    "plea": Strength.CALL,
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
    "assembly", "commission", "committee", "congressman", "congresswoman", "judiciary",
    "policymaker", "decision-maker", "funder", "financier",
    "buyer", "broker", "contractor", "directorate",
    "junta", "authorities", "monarchy", "king", "queen", "crown",
    "premier", "commander", "general", "warden", "sheriff", "inspector",
    "ombudsman", "auditor", "trustee", "deputy", "bloc", "caucus", "opposition", "diplomat",
    "embassy", "consulate",
    "prison", "tribunal", "watchdog",
    "conglomerate", "multinational", "giant", "maker", "miner",
    "pension", "asset", "manager", "creditor", "g7", "g20", "eu", "leadership",
    "service", "office", "bureau", "inspectorate", "one",
    "person",
    "management", "administrator",
}  # fmt: skip
# Heads of callers whose demands the organisation only reports.
THIRD_PARTY_CALLERS = {
    "court", "judge", "panel", "report", "resolution", "assembly", "committee", "commission",
    "community", "protester", "rapporteur", "tribunal", "study", "petition", "letter",
    "ruling", "order", "statement", "expert", "scientist", "resident", "family",
    "minister", "ministry", "government", "president", "official", "spokesperson",
    "spokesman", "spokeswoman", "secretary", "secretary-general", "agency", "council",
    "mayor", "governor", "senator", "lawmaker", "company", "un", "who", "unicef", "unhcr",
    "parliament", "congress", "authority", "regulator", "analyst", "economist", "doctor",
    "activist", "campaigner", "lawyer", "union", "bank", "imf",
}  # fmt: skip
# Self-references that also name other institutions ("the trust", "the council"): they
# stand for the publisher only when its own name has the word.
INSTITUTION_WORDS = {
    "trust", "institute", "society", "centre", "center", "agency", "federation",
    "foundation", "association", "consortium", "collective", "initiative",
}  # fmt: skip
# Titles and descriptions of people who speak for someone other than the publisher.
OTHER_VOICES = THIRD_PARTY_CALLERS | {
    "commander", "admiral", "officer", "head", "police", "army", "military", "member",
    "justice", "magistrate", "cooperative", "co-operative", "association", "federation",
    "secretary", "ambassador", "commissioner", "chancellor", "premier", "professor",
    "researcher", "chief", "ceo", "chairman", "chairwoman", "representative", "envoy",
    "general", "prosecutor", "director-general", "mp", "mep", "councillor", "deputy",
}  # fmt: skip
# How the publisher refers to itself in the third person: "the NGO urges ...", "the
# rights group called on ...". Only with "the" or "our" before them.
SELF_REFERENCES = {
    "ngo", "organisation", "organization", "group", "coalition", "charity", "alliance",
    "network", "campaign", "movement", "federation", "foundation", "association",
    "watchdog", "consortium", "collective", "initiative", "institute", "trust", "society",
    "centre", "center", "union", "signatory", "undersigned", "agency", "advocate",
    "campaigner",
}  # fmt: skip
# Words the parser sometimes takes for a subject in "X today demanded ...".
TIME_WORDS = {"today", "yesterday", "tonight", "tomorrow", "now"}
PREDICTIVE_MODALS = {"will", "would", "may", "might", "could", "can", "shall"}
CONDITIONAL_MARKERS = {
    "if", "unless", "whether", "when", "once", "until", "while", "before", "after",
    "because", "since", "although", "though", "as",
}  # fmt: skip
# Verbs whose subject is a state of affairs that is asked to stop: "Impunity must end".
CESSATION_VERBS = {"end", "stop", "cease", "halt", "finish"}
# Verbs that set a requirement on a thing rather than ask for an action.
STATIVE_VERBS = {"be", "remain", "become", "seem", "serve", "stay", "appear", "look", "feel"}
# Verbs by which the publisher takes up someone else's call.
ENDORSING_VERBS = {"echo", "support", "back", "endorse", "welcome", "join", "applaud", "share"}
# Verbs by which the publisher praises someone else for a call: "We welcome X in
# calling for ...", "commends Y for urging ...".
PRAISING_VERBS = {"welcome", "commend", "praise", "thank", "applaud", "congratulate", "salute"}
# Passive verbs that shape a thing rather than ask for an act: "must be based on ...".
FRAMING_VERBS = {
    "base", "ground", "guide", "root", "inform", "shape", "judge", "measure", "see",
    "view", "understand", "consider", "design", "center", "centre", "anchor", "rooted",
}  # fmt: skip
# Verbs after a modal that say what will happen to someone, not what they must do:
# "Governments that ignore it should expect to be named".
EXPECTATION_VERBS = {"expect", "face", "risk", "anticipate", "fear"}
# Words that make "It is X for Y to VP", "The X is for Y to VP" a demand.
EVALUATIVE_WORDS = {
    "essential", "vital", "crucial", "imperative", "critical", "important", "urgent",
    "necessary", "paramount", "key", "priority", "needed", "required", "incumbent",
    "time", "high", "only", "fundamental", "indispensable", "right", "need", "onus",
    "responsibility", "duty", "obligation", "burden",
}  # fmt: skip
# Verbs that introduce the publisher's own argument for a demand: "This shows why X must".
ARGUING_VERBS = {
    "show", "prove", "demonstrate", "underline", "underscore", "highlight", "mean",
    "explain", "illustrate", "confirm", "make", "be", "remind", "reinforce",
}  # fmt: skip
# Verbs above a clause that make it somebody's reported view or recommendation.
REPORTING_VERBS = SPEECH_VERBS | {
    "state", "claim", "insist", "recommend", "suggest", "propose", "conclude", "find",
    "believe", "think", "argue", "urge", "demand", "ask", "call", "order", "rule", "decide",
    "want", "expect", "hope", "stress", "maintain", "announce", "report", "warn",
}  # fmt: skip
BELIEF_VERBS = {"believe", "think", "insist", "stress", "argue", "feel", "say", "maintain"}
# Confidence at or above which a unit is proposed as a call; below FLOOR it is dropped.
CONFIDENT = 0.6
FLOOR = 0.3


@dataclass
class Finding:
    strength: Strength
    targets: list[Token] = field(default_factory=list)  # heads of the addressee phrases
    action_tokens: list[Token] = field(default_factory=list)
    confidence: float = 0.0
    reason: str = ""
    # Addressees read off the surface where the parse is unreliable ("The key is for
    # donors to ..."): used instead of the phrases of `targets` when given.
    target_texts: list[str] | None = None
    # The action reworded where its words in the text would not read after "to VP":
    # "The journalists must be released" asks to "release the journalists".
    action_text: str | None = None


@dataclass
class Publisher:
    """How the publishing organisation is named in the release, and who speaks for it."""

    names: set[str] = field(default_factory=set)
    spokespeople: set[str] = field(default_factory=set)
    # Head words of the actors its calls have addressed so far ("airport" after "urges
    # the airport to ..."): a later "The airport should ..." names an actor too.
    addressed: set[str] = field(default_factory=set)
    # Whether the last person the release quoted by name spoke for it: "he added" and
    # "she urged" are theirs.
    last_speaker_is_own: bool = True
    # Surnames of people the release names as other bodies' voices ("Minister Hansen").
    others: set[str] = field(default_factory=set)
    # Surnames of everyone the release names as a person, whoever they speak for.
    people: set[str] = field(default_factory=set)

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

    def is_abbreviated_as(self, subject: Token) -> bool:
        """ "NRC" for the Norwegian Refugee Council: an all-capitals word spelling the
        initials of one of its names."""
        word = subject.text.strip(".’'").lower()
        return (
            subject.text.isupper()
            and 2 <= len(word) <= 8
            and any(word in initials_of(name) for name in self.names)
        )


def confidence_verdict(confidence: float) -> Verdict | None:
    """Proposed, possible, or (below the floor) not worth a reviewer's look."""
    if confidence >= CONFIDENT:
        return Verdict.PROPOSED
    if confidence >= FLOOR:
        return Verdict.POSSIBLE
    return None


def find_call_to_action(sentence: Span, publisher: Publisher) -> Finding | None:
    """The most confident reading of the unit as a call to action, if any. A rule
    found earlier in RULES wins a tie: the performative decides over a modal. A unit
    with several demands stays one, addressed to everyone its demands name."""
    if sentence.text.rstrip(" ”\"'’").endswith("?") or re.search(r"\?\s*[”\"’]", sentence.text):
        return None
    findings = [finding for rule in RULES for finding in rule(sentence, publisher)]
    best: Finding | None = None
    for finding in findings:
        if best is None or finding.confidence > best.confidence:
            best = finding
    if best is None or best.confidence < FLOOR:
        return None
    if best.target_texts is None:
        others = [f for f in findings if f is not best and f.confidence >= CONFIDENT]
        best.targets = _all_addressees(best, others)
    return best


def _all_addressees(best: Finding, others: list[Finding]) -> list[Token]:
    """The addressees of the best reading, then those that other demands in the same
    unit name ("It must stop ..., and the department has to publish ...")."""
    seen = {t.i for head in best.targets for t in head.subtree}
    # A demand inside the best one's action ("... any company that ... and it should")
    # is part of what is asked, not another addressee.
    seen |= {t.i for t in best.action_tokens}
    targets = list(best.targets)
    for other in others:
        if other.target_texts is not None:
            continue
        for head in other.targets:
            if head.i not in seen:
                targets.append(head)
                seen.update(t.i for t in head.subtree)
    return sorted(targets, key=lambda t: t.i)


# --- performative calls: "X calls on Y to", "urges Y to", "demands that Y" ------------


def _performatives(sentence: Span, publisher: Publisher) -> Iterator[Finding]:
    for token in sentence:
        finding = _performative(token, publisher)
        if finding is not None:
            yield finding


def _performative(token: Token, publisher: Publisher) -> Finding | None:
    strength = PERFORMATIVES.get(token.lemma_.lower())
    if strength is None or token.pos_ != "VERB":
        return None
    if _in_subordinate_clause(token) or token.dep_ == "relcl":
        return None  # "after she asked ...", "the posts the trust has been asking for"
    if any(
        c.dep_ == "aux" and c.lower_ in {"will", "shall", "may", "might", "can", "could"}
        for c in token.children
    ):
        return None  # "Ledgerline will ask the court to ...": its own plan, not a call
    if token.dep_ == "ROOT" and token.tag_ == "VB" and _subject_of(token) is None:
        return None  # "Call your senators today ...": an instruction to the reader
    if _is_passive(token):
        return _passive_performative(token, strength, publisher)
    caller = _caller_confidence(token, publisher)
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
            and child.i > token.i
            and child.i < for_index
            and not targets
        ):
            targets = [t for t in child.children if t.dep_ == "pobj"]
        elif child.dep_ == "prep" and child.lower_ == "for" and _has_object(child):
            # "calls for an end to ...": a call with no addressee. ("What we're calling
            # for", with nothing after "for", is a heading.)
            action = _called_for(child)
        elif child.dep_ in {"dobj", "dative"} and token.lemma_.lower() not in {"demand", "call"}:
            targets = [child]
        elif (
            child.dep_ == "dobj"
            and token.lemma_.lower() in {"demand", "call"}
            and child.tag_ not in {"WP", "WDT"}  # "What we're calling for"
        ):
            action = list(child.subtree)
    on = next((c for c in token.children if c.lower_ in {"on", "upon"} and c.i > token.i), None)
    if not targets and on is not None and not list(on.children):
        # "calling on finance ministers meeting at ...": the parser read the addressee
        # as the verb's object.
        targets = [c for c in token.children if c.dep_ == "dobj" and c.i > on.i][:1]
    if not targets and not action:
        targets, action = _called_for_someone(token)
    verb = _complement_verb(token)
    if verb is not None and any(
        c.dep_ == "mark" and c.lower_ in {"whether", "if"} for c in verb.children
    ):
        return None  # "asks me whether we will be sent away": a question, not a call
    if verb is not None:
        subject = _subject_of(verb)
        if not targets and subject is not None and subject.lower_ not in FIRST_PERSON:
            targets = [subject]  # "demands that the government ...", "urges that X ..."
        action = _verb_phrase(verb, exclude=targets)
    lead_in = token.sent.text.rstrip().endswith(":")
    if not action and not (lead_in and targets):
        return None
    # The softer verbs ("encourage", "press") do not decide over a modal beside them.
    base = 0.9 if strength != Strength.OTHER else 0.8
    return Finding(strength, targets, action, base * caller, f"performative:{token.lemma_.lower()}")


def _misparsed_performatives(sentence: Span, publisher: Publisher) -> Iterator[Finding]:
    """ "Open Cells Project demands end to detention": headlines drop the article the
    parser needs, and it reads the verb as a plural noun. A name, then "demands",
    "urges", "calls for" or "calls on", is read as the call it is."""
    for token in sentence:
        strength = PERFORMATIVES.get(token.lemma_.lower())
        misread = token.pos_ != "VERB" or token.dep_ in {"compound", "amod", "nsubj", "dobj"}
        if (
            strength is None
            or not misread
            or token.tag_ not in {"NNS", "VBZ", "NNPS", "NNP", "VBP"}
        ):
            continue
        subject = next((c for c in token.children if c.dep_ == "nsubj"), None)
        complement = next((c for c in token.children if c.dep_ == "xcomp"), None)
        addressees = [c for c in token.children if c.dep_ == "dobj"]
        if subject is not None and complement is not None and addressees:
            # "the charity appeals to donor governments not to finance ...", with
            # "appeals" read as a noun that still has its subject and object.
            if _speaker_confidence(subject, publisher) >= 0.95:
                action = _verb_phrase(complement, exclude=addressees)
                reason = f"performative:{token.lemma_.lower()}-misread"
                yield Finding(strength, addressees, action, 0.85, reason)
            continue
        name = [t for t in sentence if t.i < token.i]
        colon = next((k for k, t in enumerate(name) if t.text in {":", "–", "—"}), None)
        if colon is not None and colon < len(name) - 1:
            name = name[colon + 1 :]  # "Valdería: NGO demands controls on ..."
        if not name or not all(
            is_proper_noun(t)
            or t.text.isupper()
            or t.lower_ in LINKING_WORDS
            or t.lemma_.lower() in SELF_REFERENCES
            for t in name
        ):
            continue
        words = " ".join(t.text for t in name)
        own = (
            publisher.includes(words)
            or name[-1].lemma_.lower() in SELF_REFERENCES
            or publisher.is_abbreviated_as(name[-1])
        )
        caller = 1.0 if own else 0.5
        rest = [t for t in sentence if t.i > token.i and not t.is_punct]
        if rest and rest[0].lower_ in {"on", "upon", "for"}:
            rest = rest[1:]
        if not rest:
            continue
        if rest[0].lower_ == "that":
            # "Ardent Rights International demands that the authorities quash ...".
            clause = next(
                (t for t in rest if _subject_of(t) is not None and t.pos_ == "VERB"), None
            )
            if clause is not None:
                subject = _subject_of(clause)
                assert subject is not None
                action = _verb_phrase(clause, exclude=[subject])
                reason = f"performative:{token.lemma_.lower()}-headline"
                yield Finding(strength, [subject], action, 0.85 * caller, reason)
                continue
        # "Advocates Urge Senate to Pass ...": the words before "to" name the addressee.
        to = next((k for k, t in enumerate(rest) if t.lower_ == "to"), None)
        addressee = rest[:to] if to and to + 1 < len(rest) and rest[to + 1].tag_ == "VB" else []
        action = rest[to + 1 :] if addressee and to is not None else rest
        reason = f"performative:{token.lemma_.lower()}-headline"
        texts = [sentence.doc[addressee[0].i : addressee[-1].i + 1].text] if addressee else []
        yield Finding(strength, [], action, 0.85 * caller, reason, target_texts=texts)


def _called_for_someone(token: Token) -> tuple[list[Token], list[Token]]:
    """ "calling for the government and the rebels to open the roads": the object of
    "for" is the addressee when a to-infinitive says what it must do."""
    for preposition in token.children:
        if preposition.dep_ != "prep" or preposition.lower_ != "for":
            continue
        for addressee in preposition.children:
            verb = _to_infinitive_after(addressee)
            if (
                addressee.dep_ == "pobj"
                and verb is not None
                and (addressee.pos_ == "PROPN" or addressee.lemma_.lower() in AGENT_NOUNS)
            ):
                return [addressee], _verb_phrase(verb, exclude=[addressee])
    return [], []


def _has_object(preposition: Token) -> bool:
    return any(c.tag_ not in {"WP", "WDT"} for c in preposition.children)


def _called_for(preposition: Token) -> list[Token]:
    """What "calls for" asks for. The parser may leave the last noun of a headline
    outside the phrase ("calling for an end to river dumping"): the run of words that
    follows it, up to punctuation or a verb, is taken too."""
    tokens = list(preposition.subtree)
    sentence = preposition.sent
    following = sentence.doc[tokens[-1].i + 1 : sentence.end]
    rest = [t for t in following if not t.is_punct]
    if rest and len(rest) == len(following) and not any(t.pos_ in {"VERB", "AUX"} for t in rest):
        tokens += rest
    # "an end to river dumping", not "for an end ...": what a draft's title asks for.
    return [t for t in tokens if t.i != preposition.i]


def _passive_performative(token: Token, strength: Strength, publisher: Publisher) -> Finding | None:
    """ "Leaders were asked to commit to these steps:", "States are urged to ...": the
    addressee is the subject; the caller is the agent, when one is named."""
    subject = next((c for c in token.children if c.dep_ == "nsubjpass"), None)
    verb = _complement_verb(token)
    if subject is None or verb is None or subject.lower_ in FIRST_PERSON:
        return None
    if _reported_by_someone_else(token, publisher):
        return None  # "Justice Marwe said that the people were asked to ..."
    agent = _passive_agent(token)
    caller = 0.7 if agent is None else _speaker_confidence(agent, publisher)
    action = _verb_phrase(verb, exclude=[subject])
    reason = f"performative:{token.lemma_}-passive"
    return Finding(strength, [subject], action, 0.9 * caller, reason)


def _complement_verb(token: Token) -> Token | None:
    for child in token.children:
        if child.dep_ in {"xcomp", "ccomp"} and child.pos_ in {"VERB", "AUX"}:
            return child
    for child in token.children:
        # "call on the governments of X and Y to end ...": parsed as a purpose clause.
        if child.dep_ == "advcl" and any(
            g.lower_ == "to" and g.dep_ == "aux" for g in child.children
        ):
            return child
    for child in token.children:
        if child.dep_ == "prep":
            # "appealed to the chair of the talks to publish ...": the action may hang
            # anywhere inside the addressee's phrase.
            for verb in child.subtree:
                if verb.dep_ in {"acl", "relcl", "xcomp"} and verb.pos_ == "VERB":
                    return verb
    return None


def _caller_confidence(token: Token, publisher: Publisher) -> float:
    """How sure we are that the publisher, or someone speaking for it, makes the call
    that `token` (a verb of calling) expresses."""
    subject = _subject_of(token)
    if subject is None:
        # A participle ("..., urging him to") takes the caller of the verb it hangs on.
        if token.dep_ == "acl" and token.head.dep_ == "ROOT" and token.head.pos_ != "VERB":
            return 0.95  # a title: "Statement by X calling for ..."
        if token.dep_ == "pcomp" and token.head.head.i != token.head.i:
            if token.head.head.lemma_.lower() in PRAISING_VERBS:
                return 0.3  # "We welcome the leadership of X in calling for ...": X calls
            return _caller_confidence(token.head.head, publisher)  # "joined ... in urging"
        if token.tag_ in {"VBZ", "VBD", "VBP"} and token.dep_ == "conj":
            # A finite verb hung too low ("X believes the government has had time to set
            # up the register and urges Y to"): the caller is the main clause's subject.
            inherited = (
                _caller_confidence(token.head, publisher) if token.head.i != token.i else 0.4
            )
            return _outer_caller_confidence(token, publisher, inherited)
        if token.dep_ in {"advcl", "xcomp", "conj", "acl"} and token.head.i != token.i:
            return _caller_confidence(token.head, publisher)
        return 0.95 if token.dep_ == "ROOT" else 0.4  # a headline: "Calls on states to ..."
    confidence = _speaker_confidence(subject, publisher)
    if confidence < CONFIDENT and _named_before(token, publisher):
        # "CALDERBRIDGE, 24 March – United Homecare Workers (UHCW) today demanded":
        # a dateline can make the parser lose the subject.
        return 0.9
    if confidence < CONFIDENT and token.dep_ == "conj":
        # "X believes the offer is insufficient and urges Y to": the parser may hang the
        # second verb on the embedded clause; the caller is then the main clause's subject.
        return _outer_caller_confidence(token, publisher, confidence)
    return confidence


def _named_before(verb: Token, publisher: Publisher) -> bool:
    """Whether the publisher is named between the start of the sentence and the verb,
    with no other clause in between (a participle describing it may be: "Driftline
    Alliance, a network of groups working on ..., today urged")."""
    for token in reversed(list(verb.sent[: verb.i - verb.sent.start])):
        if token.pos_ in {"VERB", "AUX"} and token.dep_ not in {"acl", "relcl", "amod", "aux"}:
            return False
        if (
            token.pos_ == "PROPN"
            and (
                publisher.is_abbreviated_as(token)
                # The first word of its name: "Clean Air" may be anybody's.
                or any(name.split()[:1] == [token.lower_] for name in publisher.names)
            )
        ):
            return True
    return False


def _outer_caller_confidence(token: Token, publisher: Publisher, confidence: float) -> float:
    for ancestor in token.head.ancestors:
        outer = _subject_of(ancestor)
        if outer is not None:
            confidence = max(confidence, 0.95 * _speaker_confidence(outer, publisher))
    return confidence


def _speaker_confidence(subject: Token, publisher: Publisher) -> float:
    """How sure we are that `subject` is the publisher or speaks for it."""
    word = subject.lower_
    if subject.text != "US" and word in FIRST_PERSON | {"our", "my", "they"}:
        # In a release, "we call on" and "they are calling on" are its own people.
        return 1.0
    if word in {"he", "she"}:
        return 1.0 if publisher.last_speaker_is_own else 0.2
    phrase = _phrase_text(subject)
    if publisher.includes(phrase) or publisher.is_called_by_short_name(subject):
        return 1.0
    if publisher.is_described(subject) or publisher.is_abbreviated_as(subject):
        return 1.0
    if _refers_to_itself(subject) or _member_of_itself(subject, publisher):
        return 0.95
    owner = next((c for c in subject.children if c.dep_ == "poss"), None)
    own_document = (
        owner is not None
        and owner.lower_ not in {"my", "his", "her", "their"}
        and _speaker_confidence(owner, publisher) >= 0.95
    )
    if own_document and subject.pos_ == "NOUN":
        return 0.95  # "HRC's alternative plan asks the Home Office to ..."
    description = _description_of(subject, publisher)
    if description is not None:
        return description
    if subject.lemma_.lower() in THIRD_PARTY_CALLERS or word == "it":
        return 0.2
    titles = [c for c in subject.children if c.dep_ == "compound"]
    if subject.lemma_.lower() in OTHER_VOICES or any(
        t.lemma_.lower() in OTHER_VOICES for t in titles
    ):
        return 0.2  # "Home Office minister Richard Penhallow", "the UN High Representative"
    if subject.pos_ == "PROPN" and word in publisher.others:
        return 0.2  # "said Hansen", the minister named earlier
    if looks_like_person_name(subject):
        # With no publisher to compare with, a person named as the caller is taken to be
        # its spokesperson.
        return 0.5 if publisher.names else 0.9
    return 0.5 if subject.pos_ == "PROPN" else 0.35


class Voice(Enum):
    """Whose words a speaker's are, as far as the release tells."""

    OWN = "own"  # the publisher or its people
    UNKNOWN = "unknown"  # a person the release does not place
    OTHER = "other"  # another body, or someone speaking for one


def voice_of(speaker: Token, publisher: Publisher) -> Voice:
    confidence = _speaker_confidence(speaker, publisher)
    if confidence >= 0.95:
        return Voice.OWN
    if confidence <= 0.2 or speaker.lemma_.lower() in AGENT_NOUNS | SELF_REFERENCES:
        return Voice.OTHER
    person = (
        looks_like_person_name(speaker)
        or speaker.lower_ in {"he", "she"}
        or (speaker.pos_ == "PROPN" and speaker.lower_ in publisher.people)
    )
    return Voice.UNKNOWN if person else Voice.OTHER


def _description_of(subject: Token, publisher: Publisher) -> float | None:
    """What an apposition says of a speaker: "Jo Bell, director of Rivers Alliance"
    (its own), "Ana Silva, a climate scientist at the university" (someone else)."""
    for child in subject.children:
        # "Jo Bell, director of ...", "Esther Larsen, who chairs the cooperative".
        if child.dep_ not in {"appos", "relcl"}:
            continue
        if describes_as_own(child, publisher):
            return 1.0
        if describes_other_body(child):
            return 0.2
    return None


def describes_other_body(description: Token) -> bool:
    """ "a climate scientist", "chair of the Ashwe community council": an apposition
    that places a speaker in another body."""
    return any(t.lemma_.lower() in OTHER_VOICES for t in description.subtree)


def describes_as_own(description: Token, publisher: Publisher) -> bool:
    """Whether an apposition places someone in the publisher: "director of Rivers
    Alliance", "FTNE's policy director", "its spokesperson"."""
    words = " ".join(t.text for t in description.subtree)
    return (
        publisher.includes(words)
        or any(t.lower_ in {"its", "our"} or _refers_to_itself(t) for t in description.subtree)
        or any(publisher.is_abbreviated_as(t) for t in description.subtree)
    )


def _member_of_itself(subject: Token, publisher: Publisher) -> bool:
    """ "Members of the coalition", "one of the signatories"."""
    if subject.lemma_.lower() not in {"member", "one", "some", "many", "all", "partner"}:
        return False
    return any(
        pobj.dep_ == "pobj" and (_refers_to_itself(pobj) or publisher.includes(_phrase_text(pobj)))
        for preposition in subject.children
        if preposition.dep_ == "prep" and preposition.lower_ == "of"
        for pobj in preposition.children
    )


def _named_like_publisher(word: Token) -> bool:
    names: set[str] = word.doc.user_data.get("publisher_names", set())
    return not names or any(word.lemma_.lower() in name.split() for name in names)


def _refers_to_itself(subject: Token) -> bool:
    """ "The NGO", "the rights group", "our coalition": how a release names its
    publisher in the third person."""
    if subject.pos_ not in {"NOUN", "PROPN"} or subject.lemma_.lower() not in SELF_REFERENCES:
        return False
    if subject.lemma_.lower() in INSTITUTION_WORDS and not _named_like_publisher(subject):
        return False  # "the trust" in a release about a hospital trust
    # Only what stands before the verb: the parser may hang later words on the subject.
    if any(
        c.dep_ in {"prep", "relcl", "acl", "appos"} and c.i < subject.head.i
        for c in subject.children
    ):
        return False
    determiners = [c for c in subject.children if c.dep_ == "det"]
    modifiers = [c for c in subject.children if c.dep_ in {"amod", "compound", "poss"}]
    numbers = [c for c in subject.children if c.dep_ == "nummod"]
    if len(modifiers) > (2 if not determiners else 1):
        # "the regional medical association" is somebody in particular; a headline may
        # say "12 press freedom groups urge ...".
        return False
    if not determiners:
        # A headline drops the article: "Charity urges MPs to ...", "Forty-one groups
        # urge ...", "Farmers’ federation urges ...".
        first = min(
            (t for head in [subject, *modifiers, *numbers] for t in head.subtree),
            key=lambda t: t.i,
        )
        at_start = first.i == subject.sent.start or subject.doc[first.i - 1].text in {
            ":",
            "–",
            "—",
        }
        headline = not subject.sent.text.rstrip(" ”\"'’").endswith(".")
        return at_start and (headline or subject.doc[first.i - 1].text in {"–", "—"})
    if numbers or (subject.pos_ == "PROPN" and subject.lower_ != "ngo"):
        return False  # "the Visayas Fishing Association" is a name, not a description
    return len(determiners) == 1 and determiners[0].lower_ in {"the", "our"}


# --- calls made as nouns: "We repeat our call on X to VP" -------------------------------


def _performative_nouns(sentence: Span, publisher: Publisher) -> Iterator[Finding]:
    for noun in sentence:
        strength = PERFORMATIVE_NOUNS.get(noun.lemma_.lower())
        if strength is None or noun.pos_ != "NOUN":
            continue
        targets = [
            t
            for c in noun.children
            if c.dep_ == "prep" and c.lower_ in {"on", "upon", "to"}
            for t in c.children
            if t.dep_ == "pobj"
        ]
        if not targets:
            continue
        verb = _to_infinitive_after(targets[0])
        if verb is None:
            continue
        owner = next((c for c in noun.children if c.dep_ == "poss"), None)
        if owner is not None:
            caller = _speaker_confidence(owner, publisher)
        elif noun.head.pos_ == "VERB" and _subject_of(noun.head) is not None:
            # "We make a call to X", "we renew calls on X"; but "echoes calls on X" and
            # "supports calls for X" endorse someone else's.
            endorsing = noun.head.lemma_.lower() in ENDORSING_VERBS
            caller = (0.6 if endorsing else 1.0) * _caller_confidence(noun.head, publisher)
        else:
            caller = 0.5
        action = _verb_phrase(verb, exclude=targets)
        yield Finding(strength, targets, action, 0.85 * caller, f"performative-noun:{noun.lemma_}")


def _to_infinitive_after(token: Token) -> Token | None:
    """The first verb after `token` in its sentence that is introduced by "to"."""
    for candidate in token.doc[token.i + 1 : token.sent.end]:
        if candidate.pos_ == "VERB" and any(
            c.dep_ == "aux" and c.lower_ == "to" for c in candidate.children
        ):
            return candidate
        if candidate.is_punct and candidate.text in {".", ";", ":"}:
            return None
    return None


# --- deontic modals: "X must / should / needs to / has to VP" --------------------------


def _deontic_modals(sentence: Span, publisher: Publisher) -> Iterator[Finding]:
    for token in sentence:
        finding = _deontic_modal(token, publisher)
        if finding is not None:
            yield finding


def _deontic_modal(token: Token, publisher: Publisher) -> Finding | None:
    trigger = _modal_trigger(token)
    if trigger is None:
        return None
    verb, clause, strength = trigger
    if _is_counterfactual_or_epistemic(verb) or verb.lemma_ in EXPECTATION_VERBS:
        return None
    if (
        token.tag_ == "MD"
        and verb.lemma_ == "have"
        and any(c.dep_ == "xcomp" for c in verb.children)
    ):
        return None  # "Nobody should have to go through that": a lament, not a demand
    subject = _subject_of(verb)
    if token.tag_ == "MD" and subject is not None and token.i < subject.i:
        return None  # "Should they fail to ...": an inverted conditional, not a demand
    clause_confidence = _clause_confidence(clause, publisher)
    if clause_confidence == 0.0:
        return None
    if _is_passive(verb):
        agent = _passive_agent(verb)
        if verb.tag_ != "VBN":
            return None
        targets = [agent] if agent is not None else []
        action = _verb_phrase(verb, exclude=[subject] if subject is not None else [])
        confidence = 0.75 if agent is not None else 0.65
        if verb.lemma_ in FRAMING_VERBS:
            confidence = 0.4  # "Any new goal must be based on need": a requirement on a thing
        if _states_a_legal_norm(verb.sent):
            confidence = 0.45  # "any restriction must be provided by law": a general norm
        finding = Finding(
            strength, targets, action, confidence * clause_confidence, "modal:passive"
        )
        finding.action_text = _active_voice(verb, subject, agent)
        return finding
    if subject is None:
        return None
    actor = _actor_confidence(subject, publisher)
    if actor == 0.0:
        return None
    willing = verb.lemma_ == "be" and any(
        c.dep_ == "acomp" and c.lower_ in {"ready", "prepared", "willing"} for c in verb.children
    )
    if willing:
        pass  # "Countries ... should be ready to adopt it": an action, put as readiness
    elif verb.lemma_ in STATIVE_VERBS and actor < CONFIDENT:
        return None  # "Genocide must not be the means ...", "Any deal needs to be ambitious"
    if (
        not willing
        and verb.lemma_ in STATIVE_VERBS
        and not any(c.dep_ == "attr" for c in verb.children)
    ):
        # "X must be substantial": a requirement on a thing; "Leaders must be bold" is
        # at most a possible call.
        actor = 0.4
    if actor < CONFIDENT and _is_cessation(verb) and subject.pos_ in {"NOUN", "PROPN"}:
        # "Impunity must end": a call with nobody named.
        action = _verb_phrase(verb, exclude=[])
        return Finding(strength, [], action, 0.7 * clause_confidence, "modal:cessation")
    action = _verb_phrase(verb, exclude=[subject])
    reason = f"modal:{strength.value}" if actor >= CONFIDENT else f"modal:{strength.value}?"
    return Finding(strength, [subject], action, 0.85 * actor * clause_confidence, reason)


def _active_voice(verb: Token, patient: Token | None, agent: Token | None) -> str | None:
    """ "The government must be held to account" asks to "hold the government to
    account"; "limits must be enforced by the department", to "enforce limits"."""
    if patient is None or patient.lower_ in PERSONAL_PRONOUNS | {"this", "that", "which"}:
        return None
    left_out = {t.i for t in patient.subtree}
    if agent is not None:
        left_out |= {t.i for t in agent.head.subtree}  # "by the department"
    particles = [c for c in verb.children if c.dep_ == "prt"]
    left_out |= {p.i for p in particles}
    rest = [t for t in verb.subtree if t.i > verb.i and t.i not in left_out]
    while rest and (rest[-1].is_punct or rest[-1].dep_ == "cc"):
        rest.pop()
    patient_text = _subtree_text(patient)
    if patient.doc[min(t.i for t in patient.subtree)].is_sent_start and not is_proper_noun(
        patient.doc[min(t.i for t in patient.subtree)]
    ):
        patient_text = patient_text[:1].lower() + patient_text[1:]  # "The government"
    head = " ".join([verb.lemma_, *(p.text for p in particles), patient_text])
    tail = "".join(t.text_with_ws for t in rest).strip()
    if not tail:
        return head
    return head + ("" if rest[0].is_punct else " ") + tail


def _subtree_text(token: Token) -> str:
    tokens = list(token.subtree)
    return token.doc[tokens[0].i : tokens[-1].i + 1].text


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


def _is_passive(verb: Token) -> bool:
    # By the verb's own words: a subject shared with an earlier passive verb ("The EU is
    # set to agree ..., but must make sure ...") does not make this one passive.
    return any(c.dep_ in {"auxpass", "nsubjpass"} for c in verb.children)


def _clause_confidence(verb: Token, publisher: Publisher) -> float:
    """1.0 when the clause is the publisher's own assertion, less when it is an argument
    it makes ("This shows why X must ..."), 0.0 when someone else says it or it is not
    asserted at all (a condition, a relative clause)."""
    if _reported_by_someone_else(verb, publisher):
        return 0.0
    node = verb
    while node.dep_ == "conj":
        node = node.head
    if node.dep_ == "ROOT":
        return 1.0
    if node is not verb and node.dep_ in {"acomp", "attr"} and node.head.dep_ == "ROOT":
        return 1.0  # "The attack was indiscriminate and should be investigated"
    if (
        node.dep_ == "ccomp"
        and node.head.i > node.i
        and node.head.lemma_.lower() not in REPORTING_VERBS | BELIEF_VERBS
        and _starts_sentence(min(node.subtree, key=lambda t: t.i))
    ):
        # "The Ministry needs to publish ..., how many students will lose ...": the
        # parser made a later clause the root and this one its complement.
        return 0.8
    if _follows_a_label(node):
        return 0.9  # "Joint statement: States must ...": a headline after its label
    if _hangs_on_a_verbless_root(node):
        # "Operators that caused the spill must be held ...": the parser made the
        # subject the root and hung the main clause under its relative clause.
        return 0.7
    head = node.head
    speaker = _subject_of(head)
    voice = Voice.OWN if speaker is None else voice_of(speaker, publisher)
    own_speaker = voice == Voice.OWN
    if node.dep_ in {"ccomp", "parataxis"} and head.lemma_.lower() in SPEECH_VERBS | BELIEF_VERBS:
        # A person the release does not place may well be its own spokesperson.
        return {Voice.OWN: 1.0, Voice.UNKNOWN: 0.8, Voice.OTHER: 0.0}[voice]
    if node.dep_ in {"ccomp", "advcl"} and head.lemma_.lower() in ARGUING_VERBS:
        # "This shows why ...", "The findings show why ...", "That is why ...".
        why = any(t.lower_ in {"why", "that", "how"} for t in node.subtree if head.i < t.i < node.i)
        arguing = speaker is not None and (
            speaker.lower_ in {"this", "that", "it", "which", "what"}
            or (speaker.pos_ == "NOUN" and speaker.lemma_.lower() not in OTHER_VOICES)
        )
        if why and (arguing or own_speaker):
            return 0.9
    return 0.0


def _attributed_elsewhere(sentence: Span, publisher: Publisher) -> bool:
    """ "According to the UN agency, governments must ...": someone else's view."""
    for token in sentence:
        if token.lower_ == "according":
            for to in token.children:
                for source in to.children:
                    if source.dep_ == "pobj" and voice_of(source, publisher) != Voice.OWN:
                        return True
    return False


def _follows_a_label(clause: Token) -> bool:
    root = clause.sent.root
    colon = next((t for t in clause.sent if t.text == ":"), None)
    return (
        colon is not None
        and root.pos_ in {"NOUN", "PROPN"}
        and colon.i - clause.sent.start <= 4
        and clause.head.i == root.i
        and min(t.i for t in clause.subtree) > colon.i
    )


def _hangs_on_a_verbless_root(clause: Token) -> bool:
    root = clause.sent.root
    return (
        root.pos_ in {"NOUN", "PROPN"}
        and clause.dep_ == "ccomp"
        and clause.head.dep_ == "relcl"
        and clause.head.head.i == root.i
    )


def _reported_by_someone_else(verb: Token, publisher: Publisher) -> bool:
    """Whether a verb of saying above this clause has a speaker other than the publisher
    ("... notes that President X is stating that Israel should ...")."""
    if _attributed_elsewhere(verb.sent, publisher):
        return True
    node = verb
    while node.head.i != node.i:
        head = node.head
        # "X has said it will ..., but it needs to ...": a clause coordinated with the
        # verb of saying is not what was said.
        # ("... told reporters that X and that Congress should ..." is, though.)
        said = node.dep_ != "conj" or any(c.lower_ == "that" for c in node.children)
        if said and head.lemma_.lower() in REPORTING_VERBS:
            speaker = _subject_of(head) or _speaker_before(head)
            if speaker is not None and voice_of(speaker, publisher) == Voice.OTHER:
                return True
        node = head
    return False


def _speaker_before(verb: Token) -> Token | None:
    """ "In a statement ..., a spokesperson for the Brigades said that ...": a speaker
    the parser did not make the verb's subject."""
    before = [t for t in verb.sent if t.i < verb.i and t.pos_ in {"NOUN", "PROPN"}]
    return next((t for t in reversed(before) if t.lemma_.lower() in OTHER_VOICES), None)


def _actor_confidence(subject: Token, publisher: Publisher) -> float:
    """How sure we are that the subject of a modal is an actor who can be asked to act."""
    word = subject.lower_
    if subject.text == "US" or (word == "us" and subject.pos_ == "PROPN"):
        return 1.0  # the United States, not "us"
    if word in FIRST_PERSON:
        return 0.0  # "we must": the organisation's own commitment, or nobody in particular
    if word in PERSONAL_PRONOUNS - {"it"}:
        return 1.0
    if word == "it":
        # "Should Israel wish to ..., it must not": "it" stands for an actor named before,
        # in the same sentence or as the subject of the one before ("Greystone needs to
        # ... . It should ...").
        named = any(
            is_proper_noun(t) or (t.pos_ == "NOUN" and t.lemma_.lower() in AGENT_NOUNS)
            for t in subject.sent
            if t.i < subject.i
        )
        return 1.0 if named or _previous_subject_is_agent(subject.sent, publisher) else 0.0
    if subject.pos_ == "PROPN":
        if (
            _starts_sentence(subject)
            and not list(subject.children)
            and (subject.head.lemma_ in STATIVE_VERBS or _is_cessation(subject.head))
        ):
            # "Justice must not be ...", "Deforestation must stop": a capital that only
            # starts the sentence.
            return 0.4
        return 1.0
    lemma = subject.lemma_.lower()
    if lemma in AGENT_NOUNS or lemma in publisher.addressed:
        return 1.0
    if any(c.dep_ == "compound" and c.pos_ == "PROPN" for c in subject.children):
        return 0.9  # "Senate leadership", "Shell executives"
    if subject.text[:1].isupper() and word in subject.doc.user_data.get("names_in_text", set()):
        return 1.0  # "Brackmoor must stop ...": a name the release writes mid-sentence too
    if subject.pos_ == "NOUN" and re.search(r"(?:er|or|ist|ian|ant|ent|ee)s?$", word):
        return 0.55  # "funders", "negotiators", "economists": most likely people
    return 0.4 if subject.pos_ in {"NOUN", "PROPN"} else 0.0


def _states_a_legal_norm(sentence: Span) -> bool:
    """ "Under international law, any restriction must be provided by law": what the
    law requires, not what the publisher demands."""
    first = next((t for t in sentence if not t.is_punct), None)
    return (
        first is not None
        and first.lower_ in {"under", "according"}
        and any(
            t.lemma_.lower() in {"law", "convention", "treaty", "charter", "rule", "standard"}
            for t in first.subtree
        )
    )


def _starts_sentence(token: Token) -> bool:
    first = next((t for t in token.sent if not t.is_punct and not t.is_space), token)
    return first.i == token.i


def _is_cessation(verb: Token) -> bool:
    """ "must end", "has to stop": a verb of stopping with no object of its own."""
    return verb.lemma_ in CESSATION_VERBS and not any(
        c.dep_ in {"dobj", "xcomp", "ccomp"} for c in verb.children
    )


def _previous_subject_is_agent(sentence: Span, publisher: Publisher) -> bool:
    if sentence.start == 0:
        return False
    previous = sentence.doc[sentence.start - 1].sent
    subject = _subject_of(previous.root)
    return (
        subject is not None
        and subject.lower_ != "it"
        and _actor_confidence(subject, publisher) >= CONFIDENT
    )


def _passive_agent(verb: Token) -> Token | None:
    for child in verb.children:
        if child.dep_ == "agent":
            for grandchild in child.children:
                if grandchild.dep_ == "pobj":
                    return grandchild
    return None


# --- evaluative frames: "It is vital for X to VP", "The key now is for X to VP" ---------


def _evaluative_frames(sentence: Span, publisher: Publisher) -> Iterator[Finding]:
    yield from _evaluative_for_to(sentence, publisher)
    yield from _evaluative_that(sentence, publisher)


def _evaluative_for_to(sentence: Span, publisher: Publisher) -> Iterator[Finding]:
    """ "It is essential for X to VP", "What is needed now is for X to VP", "It is up to
    X to VP". Read off the words, since the parser often misreads these frames."""
    tokens = list(sentence)
    for k, token in enumerate(tokens):
        # "It is up to X to VP", "The onus is on X to VP".
        up_to = token.lower_ == "to" and k > 0 and tokens[k - 1].lower_ == "up"
        if token.lower_ not in {"for", "on"} and not up_to:
            continue
        before = tokens[:k]
        if not any(t.lemma_ == "be" for t in before[-6:]):
            continue
        if not up_to and not any(t.lower_ in EVALUATIVE_WORDS for t in before[-6:]):
            continue
        window = range(k + 1, min(k + 12, len(tokens)))
        to = next((j for j in window if tokens[j].lower_ == "to"), None)
        if to is None or to == k + 1:
            continue
        addressee = tokens[k + 1 : to]
        verb = _first_verb(tokens[to + 1 :])
        # Commas only around a name in apposition: "for the operator, TransValle, to".
        commas = [t for t in addressee if t.text == ","]
        if commas and not (len(commas) == 2 and addressee[-1].text == ","):
            continue
        addressee = [t for t in addressee if t.text != ","] if commas else addressee
        if verb is None or any(t.is_punct and t.text not in {"-", "’", "'"} for t in addressee):
            continue
        if any(t.pos_ in {"VERB", "AUX"} for t in addressee):
            continue
        if _reported_by_someone_else(tokens[k].head, publisher):
            continue
        head = addressee[-1]
        actor = _actor_confidence(head, publisher) if head.pos_ != "DET" else 0.4
        words = sentence.doc[verb.i : sentence.end]
        action = [t for t in words if not (t.is_punct and t.i == sentence.end - 1)]
        text = sentence.doc[addressee[0].i : addressee[-1].i + 1].text
        yield Finding(
            Strength.OTHER,
            [head],
            action,
            0.8 * max(actor, 0.5),
            "frame:for-to",
            target_texts=_split_coordination(text),
        )


def _evaluative_that(sentence: Span, publisher: Publisher) -> Iterator[Finding]:
    """ "It is vital that the commission withdraws the proposal"."""
    for adjective in sentence:
        if adjective.lower_ not in EVALUATIVE_WORDS or adjective.head.lemma_ != "be":
            continue
        be = adjective.head
        clauses = [c for c in [*be.children, *adjective.children] if c.dep_ == "ccomp"]
        for verb in clauses:
            if not any(c.dep_ == "mark" and c.lower_ == "that" for c in verb.children):
                continue
            subject = _subject_of(verb)
            if subject is None or _actor_confidence(subject, publisher) == 0.0:
                continue
            if _clause_confidence(be, publisher) == 0.0:
                continue
            modal = next(
                (c for c in verb.children if c.tag_ == "MD" and c.lemma_ in DEONTIC_MODALS),
                None,
            )
            strength = DEONTIC_MODALS[modal.lemma_] if modal is not None else Strength.OTHER
            action = _verb_phrase(verb, exclude=[subject])
            actor = _actor_confidence(subject, publisher)
            yield Finding(strength, [subject], action, 0.8 * max(actor, 0.5), "frame:that")


def _first_verb(tokens: list[Token]) -> Token | None:
    """The verb that "to" introduces, past adverbs ("to fully and rapidly fund")."""
    for token in tokens[:6]:
        if token.tag_ == "VB":
            return token
        if token.pos_ not in {"ADV", "CCONJ", "PUNCT", "PART"}:
            return None
    return None


def _split_coordination(text: str) -> list[str]:
    parts = re.split(r",\s*(?:and\s+)?|\s+and\s+", text)
    return [p.strip() for p in parts if p.strip()]


# --- the organisation's wants: "We need X to VP", "We want to see X VP" ------------------


def _organisation_wants(sentence: Span, publisher: Publisher) -> Iterator[Finding]:
    for token in sentence:
        if token.lemma_ not in {"need", "want", "expect", "like"} or token.pos_ != "VERB":
            continue
        subject = _subject_of(token)
        if subject is None or _speaker_confidence(subject, publisher) < 0.95:
            continue
        if subject.lower_ not in FIRST_PERSON and token.lemma_ == "need":
            continue  # "The NGO needs to ..." is a modal; "Oxfam needs donors" is rare
        if _reported_by_someone_else(token, publisher):
            continue
        finding = _wanted_action(token, publisher) or _wanted_from(token, publisher)
        if finding is not None:
            yield finding


def _wanted_action(want: Token, publisher: Publisher) -> Finding | None:
    """ "We need X to VP", "We want X to VP", "We want to see X VP"."""
    for child in want.children:
        if child.dep_ not in {"ccomp", "xcomp"}:
            continue
        clause = child
        if child.lemma_ == "see":
            # "We want to see X do Y": the parser hangs "do Y" on "see" or on "want".
            later = [c for c in [*child.children, *want.children] if c.i > child.i]
            clause = next((c for c in later if c.dep_ in {"ccomp", "xcomp"}), child)
            if clause is child:
                continue
        addressee = _subject_of(clause) if clause is not child or child.dep_ == "ccomp" else None
        if addressee is None:
            # "We need our own government to say ...": the addressee may hang on "need".
            seen = [
                c
                for c in [*child.children, *want.children]
                if c.dep_ in {"nsubj", "dobj"} and want.i < c.i < clause.i
            ]
            addressee = seen[0] if seen else None
        if addressee is None or addressee.i < want.i:
            continue
        actor = _actor_confidence(addressee, publisher)
        if actor == 0.0:
            continue
        action = _verb_phrase(clause, exclude=[addressee])
        return Finding(Strength.OTHER, [addressee], action, 0.85 * actor, f"want:{want.lemma_}")
    return None


def _wanted_from(want: Token, publisher: Publisher) -> Finding | None:
    """ "We need urgent action from the Home Office"."""
    for obj in want.children:
        if obj.dep_ != "dobj":
            continue
        for preposition in obj.children:
            if preposition.dep_ != "prep" or preposition.lower_ != "from":
                continue
            source = next((c for c in preposition.children if c.dep_ == "pobj"), None)
            if source is None or _actor_confidence(source, publisher) < CONFIDENT:
                continue
            action = [
                t
                for t in obj.subtree
                if t.i < preposition.i or t.i > max(s.i for s in preposition.subtree)
            ]
            return Finding(Strength.OTHER, [source], action, 0.75, "want:from")
    return None


# --- "Our message to the parties is clear: give up the maps." ---------------------------

_MESSAGE_NOUNS = {
    "message": Strength.OTHER,
    "demand": Strength.DEMAND,
    "call": Strength.CALL,
    "appeal": Strength.CALL,
    "plea": Strength.CALL,
    "request": Strength.CALL,
}


def _addressed_messages(sentence: Span, publisher: Publisher) -> Iterator[Finding]:
    """A message to someone, then after a colon what they must do."""
    colon = next((t for t in sentence if t.text == ":"), None)
    if colon is None or colon.i + 1 >= sentence.end:
        return
    after = [t for t in sentence if t.i > colon.i and not t.is_punct]
    if not after or after[0].tag_ != "VB":
        return
    for noun in sentence[: colon.i - sentence.start]:
        strength = _MESSAGE_NOUNS.get(noun.lemma_.lower())
        owner = next((c for c in noun.children if c.dep_ == "poss"), None)
        if strength is None or owner is None or _speaker_confidence(owner, publisher) < 0.95:
            continue
        addressees = [
            t
            for c in noun.children
            if c.dep_ == "prep" and c.lower_ == "to"
            for t in c.children
            if t.dep_ == "pobj"
        ]
        if addressees:
            yield Finding(strength, addressees, after, 0.8, "message-to")
            return


RULES: tuple[Callable[[Span, Publisher], Iterator[Finding]], ...] = (
    _performatives,
    _misparsed_performatives,
    _performative_nouns,
    _deontic_modals,
    _evaluative_frames,
    _organisation_wants,
    _addressed_messages,
)


# --- shared helpers -----------------------------------------------------------------------


def _subject_of(verb: Token) -> Token | None:
    subjects = [
        c
        for c in verb.children
        if c.dep_ in {"nsubj", "nsubjpass", "expl"} and c.lower_ not in TIME_WORDS
    ]
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
    # "calls on councillors to use it": the parser may hang the action on the addressee.
    excluded -= {t.i for t in verb.subtree}
    tokens = [
        t
        for t in verb.subtree
        if t.i not in excluded
        and not (t.dep_ == "aux" and t.i < verb.i and t.lower_ != "not")
        and not (t.dep_ in {"nsubj", "nsubjpass"} and t.head.i == verb.i)
    ]
    negation = [c.i for c in verb.children if c.dep_ == "neg" and c.i < verb.i]
    # "must be released at once" asks for "be released at once", which reads after "to".
    passive = [c.i for c in verb.children if c.dep_ == "auxpass" and c.i < verb.i]
    first = min([verb.i, *negation, *passive])
    # A coordinated clause with a subject of its own is another demand ("..., and
    # donors should step up"): the action stops before it.
    own_clauses = [
        min(t.i for t in c.subtree)
        for c in verb.children
        if c.dep_ == "conj" and any(g.dep_ in {"nsubj", "nsubjpass"} for g in c.children)
    ]
    last = min(own_clauses, default=len(verb.doc))
    tokens = [t for t in tokens if first <= t.i < last]
    while tokens and (tokens[-1].is_punct or tokens[-1].dep_ == "cc"):
        tokens.pop()
    return tokens


def _phrase_text(head: Token) -> str:
    return " ".join(t.text for t in head.subtree)
