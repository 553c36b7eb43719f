"""Calls to action in parsed French sentences, by general rules of French grammar.

The same kinds of demand as in English (rules.py), in their French forms:

- the modal *devoir* on an actor: "Les députés doivent rejeter ...", "La France devrait
  ..."; passive obligations ("Naïma Essafi doit être libérée") have no addressee;
- *il faut (que)*: "Il faut que la loi rende ... obligatoire";
- performative calls by the organisation: "X appelle / exhorte / invite Y à + infinitive",
  "X demande à Y de + infinitive", "nous demandons / exigeons / réclamons que Y ...", and
  calls with no addressee ("réclame la fin des exemptions").

Not calls to action: demands that others make ("le ministre a demandé aux préfets ..."),
the past conditional ("aurait dû"), the imperfect ("devaient être relogées"), epistemic
*devrait* on a thing ("le dispositif devrait permettre ..."), schedules ("le projet de loi
doit être examiné en juin"), demands inside a condition (*si ...*) and questions.

The rules read the French parser's analysis and the surface forms of the verbs (the
tagger's moods are not reliable enough to tell "devraient" from "devaient"); they never
look for words of particular releases.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from spacy.tokens import Span, Token

from campaign.extraction.models import Strength

# Present and conditional forms of "devoir" (the past conditional "aurait dû" and the
# imperfect "devait" are left out: what should have been, what was planned).
MODAL_FORMS = {
    "doit": Strength.MUST, "doivent": Strength.MUST, "dois": Strength.MUST,
    "devons": Strength.MUST, "devez": Strength.MUST,
    "devrait": Strength.SHOULD, "devraient": Strength.SHOULD, "devrais": Strength.SHOULD,
    "devrions": Strength.SHOULD, "devriez": Strength.SHOULD,
}  # fmt: skip
# "il faut (que)", "il faudrait (que)".
IMPERSONAL_FORMS = {"faut": Strength.MUST, "faudrait": Strength.SHOULD}
# Stems of the performative verbs, and the strength each gives.
PERFORMATIVE_STEMS = {
    "appel": Strength.CALL,
    "invit": Strength.CALL,
    "demand": Strength.CALL,
    "exhort": Strength.URGE,
    "enjoi": Strength.URGE,
    "exig": Strength.DEMAND,
    "réclam": Strength.DEMAND,
}
# Endings of those verbs in the present, the past participle and the present participle:
# "appelle", "appellent", "appelons", "appelé", "appelant"; "exigeons", "enjoint".
_PERFORMATIVE = re.compile(
    r"^(?:appel|appell|invit|demand|exhort|enjoi|enjoig|exig|réclam)"
    r"(?:e|es|ent|ons|ez|é|ée|és|ées|ant|eons|eant|nt|gnent|gnons|t)?$",
    re.IGNORECASE,
)
# Heads of subjects that name actors who can be asked to act.
AGENT_NOUNS = {
    "gouvernement", "état", "états", "autorité", "autorités", "ministre", "ministère",
    "président", "présidente", "premier", "parlement", "assemblée", "sénat", "député",
    "sénateur", "sénatrice", "élu", "préfet", "préfète", "préfecture", "maire", "commune",
    "département", "région", "conseil", "commission", "union", "banque", "entreprise",
    "multinationale", "société", "groupe", "bailleur", "donateur", "pays", "partie",
    "force", "armée", "police", "gendarmerie", "justice", "procureur", "parquet", "juge",
    "tribunal", "cour", "caisse", "agence", "administration", "direction", "institution",
    "organisation", "délégation", "dirigeant", "responsable", "chef", "opérateur",
    "plateforme", "fournisseur", "fabricant", "industriel", "distributeur", "investisseur",
    "fonds", "assureur", "employeur", "propriétaire", "bailleurs", "collectivité",
    "communauté", "diplomatie", "représentation", "ambassade", "office", "inspection",
    "régulateur", "défenseur", "défenseure", "garde", "secrétaire", "haut-commissaire",
    "rapporteur", "législateur", "exécutif", "majorité", "opposition", "coalition",
    "signataire", "membre", "partenaire", "acteur", "décideur", "dirigeante", "municipalité",
    "mairie", "métropole", "chambre", "médiateur", "établissement", "hôpital", "école",
    "université", "compagnie", "constructeur", "producteur", "importateur", "exportateur",
    "négociateur", "leader", "g7", "g20", "onu", "ue", "fmi", "oms", "unesco",
    "parlementaire", "belligérant", "gouvernant", "pouvoir", "hébergeur", "industrie",
    "laboratoire", "organisme", "instance", "ministres", "chefs", "dirigeants",
}  # fmt: skip
# How a release names its publisher without its name: "l'association", "nos
# organisations", "les signataires", "52 organisations".
SELF_WORDS = {
    "organisation", "organisations", "association", "associations", "collectif", "coalition",
    "ong", "signataires", "signataire", "alliance", "fédération", "réseau", "ligue",
    "plateforme", "mouvement", "fondation", "membres", "partenaires", "soussignés",
    "soussignées", "structures", "syndicats", "groupes",
}  # fmt: skip
# Words that name the coalition's members after a self word: "les organisations
# signataires", "les associations membres".
_SELF_MODIFIERS = {"signataires", "membres", "partenaires", "soussignées", "soussignés"}
_SELF_DETERMINERS = {"l'", "l’", "le", "la", "les", "nos", "notre", "ces", "cette", "ce"}
FIRST_PERSON = {"nous", "je", "j'", "j’"}
PERSONAL_PRONOUNS = {"ils", "elles", "il", "elle"}
# Verbs of saying and thinking: a demand in a clause under one of them is the view of
# its subject ("le ministre estime que la France doit ...").
SAYING_VERBS = {
    "dire", "déclarer", "affirmer", "ajouter", "souligner", "estimer", "expliquer",
    "insister", "rappeler", "conclure", "prévenir", "raconter", "témoigner", "résumer",
    "constater", "indiquer", "assurer", "juger", "penser", "considérer", "annoncer",
    "écrire", "préciser", "répondre", "poursuivre", "regretter", "dénoncer", "alerter",
    "avertir", "interroger", "martèle", "marteler", "plaider", "défendre", "soutenir",
    "recommander", "proposer", "souhaiter", "vouloir", "suggérer", "exiger", "réclamer",
    "demander", "appeler", "exhorter", "inviter",
}  # fmt: skip
# Verbs whose "X doit VP en juin" is a date in a procedure, not a demand.
SCHEDULE_VERBS = {
    "examiner", "statuer", "prononcer", "débattre", "siéger", "réunir", "commencer",
    "débuter", "reprendre", "entrer", "expirer", "durer", "aboutir", "intervenir", "avoir",
}  # fmt: skip
# Verbs after "devrait" that say what a thing will bring about: "le dispositif devrait
# permettre de ...", "la réforme devrait coûter ...".
OUTCOME_VERBS = {
    "permettre", "coûter", "entraîner", "conduire", "aboutir", "atteindre", "dépasser",
    "représenter", "concerner", "toucher", "rapporter", "durer", "augmenter", "baisser",
    "diminuer", "favoriser", "provoquer", "causer", "suffire", "pouvoir", "arriver",
    "avoir", "être", "rester", "devenir", "sembler", "paraître",
}  # fmt: skip
_MONTHS = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
# A date or a moment in a procedure: "en juin", "à l'automne", "lors de sa session",
# "le 3 novembre", "la semaine prochaine", "dans les prochains jours".
_TIME = re.compile(
    rf"\b(?:en|début|fin|mi-|courant|dès|d['’]ici)\s*(?:{_MONTHS}|20\d\d)\b"
    rf"|\b(?:à\s+l['’]|au\s+)(?:automne|printemps|été|hiver)\b"
    rf"|\blors\s+d[eu]\b|\ble\s+\d{{1,2}}(?:er)?\s+(?:{_MONTHS})\b"
    rf"|\b(?:fin|début|mois)\s+(?:du\s+mois\s+)?(?:de\s+|d['’])?(?:{_MONTHS})\b"
    r"|\bprochaine?s?\b|\bdans\s+les\s+(?:prochains|prochaines)\b",
    re.IGNORECASE,
)
# Nouns of a thing or an event, not of an actor: "le projet de loi doit être examiné".
_CONFIDENT = 0.85
_PASSIVE = 0.75
_PRONOUN = 0.7
_WEAK = 0.45


@dataclass
class FrenchPublisher:
    """How the release names its publisher, and who speaks for it and for others."""

    names: set[str] = field(default_factory=set)
    spokespeople: set[str] = field(default_factory=set)
    others: set[str] = field(default_factory=set)

    def is_named(self, phrase: str) -> bool:
        """Whether a phrase names the publisher: its name, or the start of it ("la
        Fédération" for "Fédération des droits humains")."""
        key = without_determiner(phrase)
        if not key:
            return False
        return any(
            key == name or name.startswith(key + " ") or key.startswith(name) for name in self.names
        ) or any(name in key for name in self.names if len(name) > 4)


def plain(text: str) -> str:
    """Lower case without accents, for comparing names."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'")


def without_determiner(phrase: str) -> str:
    words = plain(phrase).replace("'", "' ").split()
    while words and words[0].strip() in {plain(d) for d in _SELF_DETERMINERS} | {"d'", "du"}:
        words.pop(0)
    return " ".join(words)


def is_own_phrase(phrase: str, publisher: FrenchPublisher) -> bool:
    """A subject that is the publisher: its name, "nous", or how a release names itself
    ("l'association", "nos organisations", "les organisations signataires", "52
    organisations")."""
    lowered = phrase.lower().replace("’", "'").strip(" ,")
    if lowered in FIRST_PERSON or publisher.is_named(phrase):
        return True
    words = lowered.replace("'", "' ").split()
    if not words:
        return False
    first, rest = words[0], words[1:]
    if not (first in {d.replace("’", "'") for d in _SELF_DETERMINERS} or first.isdigit()):
        return False
    if not rest or rest[0] not in SELF_WORDS:
        return False
    # "les organisations signataires", but not "les organisations patronales".
    return all(w in _SELF_MODIFIERS for w in rest[1:])


@dataclass
class FrenchFinding:
    strength: Strength
    targets: list[str] = field(default_factory=list)
    action: str = ""
    confidence: float = 0.0
    reason: str = ""
    pronoun: bool = False


def find_french_call(sentence: Span, publisher: FrenchPublisher) -> FrenchFinding | None:
    """The reading of the unit as a call to action, if any: a performative of the
    publisher decides over a modal in the same unit."""
    text = sentence.text.strip()
    if text.rstrip(" »”\"'").endswith("?"):
        return None
    performative = _performative(sentence, publisher)
    if performative is not None:
        return performative
    return _modal(sentence, publisher) or _impersonal(sentence, publisher)


# Performatives -------------------------------------------------------------------------


def _performative(sentence: Span, publisher: FrenchPublisher) -> FrenchFinding | None:
    best: FrenchFinding | None = None
    for token in sentence:
        if not _PERFORMATIVE.match(token.text) or token.pos_ not in {"VERB", "AUX", "NOUN", "ADJ"}:
            continue
        stem = next(s for s in PERFORMATIVE_STEMS if plain(token.text).startswith(plain(s)))
        if token.pos_ in {"NOUN", "ADJ"} and not _follows_subject(token):
            continue  # "la demande de ...": a noun, not the verb
        if _in_condition(token) or _is_counterfactual(token):
            continue
        caller = _caller(token, sentence, publisher)
        if caller is False:
            continue  # someone else's demand, reported
        finding = _performative_finding(token, sentence, PERFORMATIVE_STEMS[stem])
        if finding is None:
            continue
        finding.confidence = _CONFIDENT if caller else _WEAK
        finding.reason = f"performative:{plain(stem)}" + ("" if caller else "+unknown-caller")
        if best is None or finding.confidence > best.confidence:
            best = finding
    return best


_NOUN_MARKERS = {
    "le", "la", "les", "l'", "l’", "un", "une", "des", "de", "du", "cette", "ces", "sa",
    "son", "ses", "leur", "leurs", "notre", "nos", "votre", "vos", "ce", "toute", "dont",
}  # fmt: skip


def _follows_subject(token: Token) -> bool:
    """Whether a performative the tagger took for a noun is the verb after all: "nous
    demandons", "Soins sans frontières exhorte les ..."; "la demande de" is a noun."""
    before = token.doc[token.i - 1] if token.i > 0 else None
    after = token.doc[token.i + 1] if token.i + 1 < len(token.doc) else None
    if before is None or before.lower_ in _NOUN_MARKERS or before.pos_ == "ADP":
        return False
    return after is not None and (
        after.pos_ in {"DET", "ADV", "PROPN"}
        or after.lower_ in {"à", "au", "aux", "que", "qu'", "qu’", ":"}
    )


def _performative_finding(token: Token, sentence: Span, strength: Strength) -> FrenchFinding | None:
    """Addressee and demanded action of "appelle X à VP", "demande à X de VP",
    "exige que X VP", "réclame NP"."""
    after = sentence.doc[token.i + 1 : sentence.end]
    rest = after.text
    stem = plain(token.text)[:4]
    if stem in {"appe", "invi", "exho", "enjo"}:
        addressed = _addressee_and_action(rest, _PLAIN, _AT)
        if addressed is not None:
            targets = split_targets(addressed[0])
            if targets:
                return FrenchFinding(strength, targets, clean_action(addressed[1]))
        lead_in = re.match(rf"\s*{_ADVERBS}(?P<target>(?!à\s)[^:;]+?)\s+à\s*:\s*$", rest)
        if lead_in is not None:
            return FrenchFinding(strength, split_targets(lead_in.group("target")), "")
        call_for = re.match(r"\s*(?:\w+\s+){0,3}?(?:à|au|aux)\s+(?P<action>.+)$", rest, re.DOTALL)
        if stem == "appe" and call_for is not None:
            return FrenchFinding(strength, [], clean_action(call_for.group("action")))
        if rest.strip().startswith(":") or not rest.strip():
            return FrenchFinding(strength, [], "")  # "La Fédération appelle :"
        return None
    if stem == "dema":
        addressed = _addressee_and_action(rest, _TO, _OF)
        if addressed is not None:
            target, action = addressed
            targets = split_targets(target) + _more_addressees(action)
            return FrenchFinding(strength, targets, clean_action(action))
        lead_in = re.match(r"\s*(?:\w+\s+)?(?:à|au|aux)\s+(?P<target>[^:;]+?)\s*:\s*$", rest)
        if lead_in is not None:
            return FrenchFinding(strength, split_targets(lead_in.group("target")), "")
    clause = _that_clause(token, sentence)
    if clause is not None:
        return clause_finding(clause, strength)
    if stem in {"dema", "exig", "recl"}:
        # "réclame la publication, par la Direction des pêches, des positions ...".
        object_text = _LEADING_ADVERBS.sub("", rest, count=1).strip()
        if not object_text or object_text.startswith(":"):
            return FrenchFinding(strength, [], "")
        if not re.match(
            r"(?:l['’]|la|le|les|un|une|des|du|de|d['’]|en outre|aussi)\b", object_text
        ):
            return None
        # The agent of the action named ("la publication, par la Direction, des ..."),
        # not of a participle ("l'analyse réalisée par le ministère").
        agent = re.search(
            r"(?<![éeis] )(?<!ées )(?<!és )\bpar\s+(?P<agent>(?:l['’]|la |le |les )[^,;:.]+)",
            object_text,
        )
        targets = split_targets(agent.group("agent")) if agent else []
        return FrenchFinding(strength, targets, clean_action(object_text))
    return None


_ADVERBS = (
    r"(?:(?:également|aussi|donc|enfin|ainsi|notamment|en outre|de nouveau|à nouveau|"
    r"instamment|solennellement|publiquement|aujourd['’]hui|fermement|par ailleurs),?\s+)*"
)
# How the addressee starts: "appelle les États", "demande au gouvernement".
_LEADING_ADVERBS = re.compile(rf"^\s*{_ADVERBS}")
_PLAIN = re.compile(rf"\s*{_ADVERBS}(?!à\s|au\s|aux\s)")
_TO = re.compile(rf"\s*{_ADVERBS}(?:à|au|aux)\s+")
# What ends it: "à" + infinitive, "de" + infinitive.
_AT = re.compile(r"\s+à\s+")
_OF = re.compile(r"\s+(?:de\s+|d['’]\s*)")


def _addressee_and_action(
    rest: str, opening: re.Pattern[str], separator: re.Pattern[str]
) -> tuple[str, str] | None:
    """The addressee and the action of "X à VP" / "à X de VP": the first "à" or "de"
    that an infinitive follows ends the addressee ("au ministère de l'Hydraulique de
    publier ...")."""
    start = opening.match(rest)
    if start is None:
        return None
    for match in separator.finditer(rest, start.end()):
        target = rest[start.end() : match.start()]
        if re.search(r"[:;.]", target) or len(target.split()) > 16:
            return None
        action = rest[match.end() :]
        if target.strip() and _starts_with_infinitive(action):
            return target, action
    return None


def _that_clause(token: Token, sentence: Span) -> Span | None:
    """The clause of "demande que ...", "exigeons que ...", if the verb governs one."""
    following = sentence.doc[token.i + 1 : min(token.i + 4, sentence.end)]
    for word in following:
        if word.lower_ in {"que", "qu'", "qu’"}:
            return sentence.doc[word.i + 1 : sentence.end]
        if word.pos_ in {"VERB", "NOUN", "PROPN"}:
            break
    return None


def clause_finding(clause: Span, strength: Strength) -> FrenchFinding:
    """ "que le gouvernement défende ...": the clause's subject is the addressee, unless
    the clause is passive ("que le code source soit publié")."""
    passive = any(t.dep_ in {"aux:pass", "nsubj:pass"} for t in clause)
    subject = next(
        (t for t in clause if t.dep_ == "nsubj" and t.head.i >= t.i and t.head.i < clause.end),
        None,
    )
    if passive or subject is None:
        return FrenchFinding(strength, [], clean_action(clause.text))
    targets = target_phrases(subject)
    action = clause.doc[subject.right_edge.i + 1 : clause.end].text
    return FrenchFinding(
        strength, targets, clean_action(action), pronoun=subject.lower_ in PERSONAL_PRONOUNS
    )


def _more_addressees(action: str) -> list[str]:
    # "demande au garde des Sceaux de présenter ..., et aux procureurs de vérifier ...".
    return [
        t
        for m in re.finditer(r",?\s+et\s+(?:à|au|aux)\s+([^,;:]+?)\s+(?:de|d['’])\s*\w", action)
        for t in split_targets(m.group(1))
    ]


def _starts_with_infinitive(text: str) -> bool:
    words = re.findall(r"[\w’'-]+", text)
    for word in words[:4]:
        lowered = word.lower().replace("’", "'")
        if lowered in {
            "ne",
            "pas",
            "plus",
            "jamais",
            "se",
            "s'",
            "y",
            "en",
            "le",
            "la",
            "les",
            "l'",
            "lui",
            "leur",
            "nouveau",
            "enfin",
            "immédiatement",
            "sans",
        }:
            continue
        return bool(re.search(r"(?:er|ir|re|oir)$", lowered))
    return False


def _caller(token: Token, sentence: Span, publisher: FrenchPublisher) -> bool | None:
    """True when the publisher makes the call, False when someone else does, None when
    the unit does not say (a headline with no subject, a bare list line)."""
    subject = _subject_of(token)
    before = _clause_before(token, sentence)
    if before and is_own_phrase(before, publisher):
        return True  # "le Collectif Un Toit demande": a name the parse cut in two
    if subject is not None:
        if subject.lower_ == "qui" and subject.head.dep_ in {"acl:relcl", "acl"}:
            # "rappelle l'association, qui demande ...": the noun the clause describes.
            antecedent = subject.head.head
            return is_own_phrase(_phrase_text(antecedent), publisher)
        phrase = _phrase_text(subject)
        if is_own_phrase(phrase, publisher):
            return True
        if subject.lower_ in PERSONAL_PRONOUNS | {"on"}:
            return None
        return False
    if not before:
        return None
    return None if before.lower() in {"et", "mais", "donc"} else False


def _clause_before(token: Token, sentence: Span) -> str:
    """The words between the last clause boundary and the verb, without adverbs or an
    auxiliary: "le Collectif Un Toit" in "... : le Collectif Un Toit demande"."""
    words: list[Token] = []
    for word in reversed(list(sentence.doc[sentence.start : token.i])):
        if word.text in {":", ";", ",", "—", "–", "«", "»", "“", "”"}:
            break
        words.insert(0, word)
    while words and (words[-1].pos_ in {"ADV", "AUX"} or words[-1].lower_ in {"ne", "n'"}):
        words.pop()
    if not words:
        return ""
    return sentence.doc[words[0].i : words[-1].i + 1].text


def _subject_of(verb: Token) -> Token | None:
    """The subject of a verb, or of the verb it is coordinated with ("a affirmé ... et a
    demandé")."""
    current: Token | None = verb
    for _ in range(3):
        if current is None:
            return None
        subject = next((c for c in current.children if c.dep_ in {"nsubj", "nsubj:pass"}), None)
        if subject is not None:
            return subject
        current = current.head if current.dep_ == "conj" and current.head is not current else None
    return None


# Modals --------------------------------------------------------------------------------


def _modal(sentence: Span, publisher: FrenchPublisher) -> FrenchFinding | None:
    """The unit read through its modals: several demands in one unit stay one call,
    addressed to every actor they name ("les parlementaires doivent ... : la commission
    devrait ...")."""
    findings: list[FrenchFinding] = []
    for token in sentence:
        if token.lower_ not in MODAL_FORMS or _in_condition(token):
            continue
        if _reported(token, sentence, publisher):
            return None
        finding = _modal_at(token, sentence, publisher)
        if finding is not None:
            findings.append(finding)
    if not findings:
        return None
    best = max(findings, key=lambda f: f.confidence)  # the first of the most confident
    confident = [f for f in findings if f.confidence >= _PASSIVE]
    best.targets = list(dict.fromkeys(t for f in confident or [best] for t in f.targets))
    return best


def _modal_at(token: Token, sentence: Span, publisher: FrenchPublisher) -> FrenchFinding | None:
    strength = MODAL_FORMS[token.lower_]
    verb = _infinitive_after(token, sentence)
    if verb is None:
        return None
    passive = _is_passive(verb)
    subject = _modal_subject(token, verb)
    subject_text = _phrase_text(subject) if subject is not None else ""
    if subject is None or is_own_phrase(subject_text, publisher) or subject.lower_ == "on":
        # "Nous devons ...": a generic commitment, or a subject the parse lost.
        finding = FrenchFinding(strength, [], _action_from(verb, sentence), _WEAK)
        finding.reason = "modal:no-actor"
        return finding
    if _is_schedule(token, verb, subject, sentence, passive):
        return None
    if _is_outcome(strength, verb, subject, passive):
        return None
    action = _action_from(verb, sentence)
    if passive:
        agent = _passive_agent(verb)
        targets = target_phrases(agent) if agent is not None else []
        finding = FrenchFinding(strength, targets, action, _PASSIVE, "modal:passive")
        if not targets:
            finding.action = f"{action} ({subject_text})"
        return finding
    dislocated = _dislocated(subject, sentence)
    if dislocated is not None:
        subject = dislocated  # "La France, elle, doit ...": the actor named before
    elif subject.lower_ in PERSONAL_PRONOUNS:
        return FrenchFinding(
            strength, [subject.text], action, _PRONOUN, "modal:pronoun", pronoun=True
        )
    if plain(verb.text) in {"pouvoir"}:
        # "Les maires devraient pouvoir interdire ...": a power to give them.
        return FrenchFinding(strength, [], action, _WEAK, "modal:power")
    if _is_actor(subject):
        return FrenchFinding(strength, target_phrases(subject), action, _CONFIDENT, "modal:actor")
    # A requirement on a thing ("Ce texte doit garantir ...") or an unknown subject.
    return FrenchFinding(strength, target_phrases(subject), action, _WEAK, "modal:thing")


_CLITICS = {
    "outre", "ne", "n'", "n’", "pas", "plus", "jamais", "se", "s'", "s’", "le", "la", "les", "l'",
    "l’", "lui", "leur", "y", "en", "nous", "vous", "me", "m'", "m’", "elles", "eux", "ils",
    "elle", "il", "donc", "aussi", "également", "enfin", "désormais", "maintenant",
}  # fmt: skip
_INFINITIVE_ENDING = re.compile(r"(?:er|ir|re|oir)$")


def _dislocated(pronoun: Token, sentence: Span) -> Token | None:
    """The noun phrase a subject pronoun takes up: "La France, elle, doit ..."."""
    doc = pronoun.doc
    if pronoun.lower_ not in PERSONAL_PRONOUNS or pronoun.i < 2 or doc[pronoun.i - 1].text != ",":
        return None
    before = [t for t in doc[sentence.start : pronoun.i - 1] if t.pos_ in {"NOUN", "PROPN"}]
    if not before or any(t.text in {",", ";", ":"} for t in doc[before[0].i : pronoun.i - 1]):
        return None
    head = before[0]
    while (
        head.head.i != head.i
        and head.head.i < pronoun.i - 1
        and head.head.pos_ in {"NOUN", "PROPN"}
    ):
        head = head.head
    return head


def _infinitive_after(modal: Token, sentence: Span) -> Token | None:
    """The infinitive the modal governs: "doivent (, elles,) (ne pas) supprimer". The
    tagger may take an infinitive for an adjective ("doit interdire"): its ending and
    its place after the modal tell it."""
    for child in modal.children:
        if child.dep_ in {"xcomp", "ccomp"} and "Inf" in child.morph.get("VerbForm", []):
            return child
    for token in sentence.doc[modal.i + 1 : min(modal.i + 8, sentence.end)]:
        if token.is_punct or token.lower_ in _CLITICS or token.pos_ == "ADV":
            continue
        if "Inf" in token.morph.get("VerbForm", []) or (
            token.pos_ not in {"NOUN", "PROPN", "DET", "NUM"}
            and _INFINITIVE_ENDING.search(token.lower_)
        ):
            return token
        return None
    return None


def _is_passive(verb: Token) -> bool:
    """ "doit être libérée": "être" and a past participle."""
    if verb.lemma_ != "être" and verb.lower_ != "être":
        return False
    following = verb.doc[verb.i + 1 : min(verb.i + 4, len(verb.doc))]
    return any(
        "Part" in t.morph.get("VerbForm", []) and t.pos_ in {"VERB", "ADJ"} for t in following
    )


def _passive_agent(verb: Token) -> Token | None:
    participle = next(
        (t for t in verb.doc[verb.i + 1 : min(verb.i + 4, len(verb.doc))] if t.pos_ == "VERB"),
        None,
    )
    if participle is None:
        return None
    for child in participle.children:
        if child.dep_ in {"obl:agent", "obl:mod", "obl"} and any(
            c.lower_ == "par" for c in child.children
        ):
            return child if _is_actor(child) else None
    return None


def _modal_subject(modal: Token, verb: Token) -> Token | None:
    for head in (modal, verb):
        subject = next(
            (c for c in head.children if c.dep_ in {"nsubj", "nsubj:pass", "expl:subj"}), None
        )
        if subject is not None:
            if subject.lower_ == "qui" and modal.dep_ in {"acl:relcl", "acl"}:
                return modal.head
            return subject
    if modal.dep_ == "acl:relcl":
        return modal.head
    # The parse may leave the subject of a headline or of a misread sentence hanging:
    # the last actor noun before the modal, in its clause.
    for token in reversed(list(modal.doc[modal.sent.start : modal.i])):
        if token.text in {",", ";", ":", "—", "–"} and token.i < modal.i - 1:
            break
        if token.pos_ in {"NOUN", "PROPN"} and token.dep_ not in {"nmod", "obl:mod", "obl"}:
            return token
    return None


def _reported(modal: Token, sentence: Span, publisher: FrenchPublisher) -> bool:
    """A modal in a clause under someone else's verb of saying ("le ministre estime que
    la France doit ..."), or in a unit that cites someone else ("selon lui, ...",
    "..., estime le ministre")."""
    for ancestor in modal.ancestors:
        if ancestor.lemma_ in SAYING_VERBS and ancestor.pos_ == "VERB":
            subject = _subject_of(ancestor) or _inverted_subject(ancestor)
            if subject is not None and not _speaks_for(subject, publisher):
                return True
    for token in sentence:
        if token.i > modal.i and _attributes(token):
            subject = _inverted_subject(token) or _subject_of(token)
            if subject is not None and not _speaks_for(subject, publisher):
                return True
    selon = re.search(r"\bselon\s+([^,]+)", sentence.text, re.IGNORECASE)
    return selon is not None and not is_own_phrase(selon.group(1), publisher)


# Verbs that attribute a unit to its speaker after it: ", estime le ministre".
ATTRIBUTING_VERBS = {
    "dire", "déclarer", "affirmer", "ajouter", "souligner", "estimer", "expliquer",
    "insister", "rappeler", "conclure", "prévenir", "raconter", "témoigner", "résumer",
    "constater", "indiquer", "assurer", "juger", "écrire", "préciser", "répondre",
    "poursuivre", "avertir", "marteler", "plaider", "lancer", "observer", "noter",
}  # fmt: skip


def _attributes(token: Token) -> bool:
    """ ", insiste le docteur Sowé", ", estime l'association": a verb of saying after a
    comma, with its subject after it."""
    if token.pos_ != "VERB" or plain(token.lemma_) not in {plain(v) for v in ATTRIBUTING_VERBS}:
        return False
    before = token.doc[token.i - 1] if token.i > 0 else None
    return before is not None and before.text in {",", "»", "”", "-", "–", "—"}


def _inverted_subject(verb: Token) -> Token | None:
    # ", insiste le docteur Sowé", ", estime l'association": the subject after the verb.
    for child in verb.children:
        if (
            child.i > verb.i
            and child.dep_ in {"nsubj", "xcomp", "obj", "nmod", "obl:arg"}
            and child.pos_ in {"NOUN", "PROPN", "PRON"}
        ):
            return child
    return None


def _speaks_for(speaker: Token, publisher: FrenchPublisher) -> bool:
    """Whether a speaker is the publisher or one of its people ("le docteur Sowé")."""
    phrase = _phrase_text(speaker, with_relatives=True)
    if is_own_phrase(phrase, publisher):
        return True
    words = {plain(w) for w in re.findall(r"[\w-]+", phrase)}
    if words & publisher.spokespeople:
        return True
    return speaker.lower_ in PERSONAL_PRONOUNS | FIRST_PERSON and not (words & publisher.others)


def _is_schedule(modal: Token, verb: Token, subject: Token, sentence: Span, passive: bool) -> bool:
    """ "Le projet de loi doit être examiné par le Sénat en juin", "Le Conseil doit
    examiner la situation lors de sa session de mars": a date in a procedure."""
    after = sentence.doc[modal.i : sentence.end].text
    if not _TIME.search(after):
        return False
    if passive or not _is_actor(subject):
        return True
    return plain(verb.lemma_) in {plain(v) for v in SCHEDULE_VERBS}


def _is_outcome(strength: Strength, verb: Token, subject: Token, passive: bool) -> bool:
    """ "Le dispositif devrait permettre ...": what a thing is expected to bring about."""
    if strength != Strength.SHOULD or passive:
        return False
    return not _is_actor(subject) and plain(verb.lemma_) in {plain(v) for v in OUTCOME_VERBS}


# "il est urgent que X ...", "il est temps de ...": the organisation's demand in an
# evaluative frame (the guideline's "it is vital for X to", strength other).
EVALUATIVE_WORDS = {
    "urgent", "indispensable", "essentiel", "impératif", "nécessaire", "temps", "vital",
    "crucial", "primordial", "grand temps",
}  # fmt: skip


def _evaluative_frame(token: Token, sentence: Span) -> Token | None:
    """The evaluative word of "est urgent que", "est grand temps de", if `token` opens
    such a frame."""
    if token.lower_ != "est" or token.i + 3 >= sentence.end:
        return None
    word = sentence.doc[token.i + 1]
    if word.lower_ == "grand":
        word = sentence.doc[token.i + 2]
    after = sentence.doc[word.i + 1] if word.i + 1 < sentence.end else None
    if after is None or word.lower_ not in EVALUATIVE_WORDS:
        return None
    return word if after.lower_ in {"que", "qu'", "qu’", "de", "d'", "d’"} else None


def _impersonal(sentence: Span, publisher: FrenchPublisher) -> FrenchFinding | None:
    """ "Il faut que la loi rende ...", "il faut mettre fin à ..."."""
    for token in sentence:
        strength = IMPERSONAL_FORMS.get(token.lower_)
        frame = _evaluative_frame(token, sentence) if strength is None else None
        if frame is not None:
            strength, token = Strength.OTHER, frame  # "urgent" in "il est urgent que"
        if strength is None or _in_condition(token):
            continue
        before = sentence.doc[max(sentence.start, token.i - 3) : token.i].text.lower()
        if "il" not in before.split():
            continue
        if _reported(token, sentence, publisher):
            return None
        clause = _that_clause(token, sentence)
        if clause is not None:
            finding = clause_finding(clause, strength)
            finding.confidence = _CONFIDENT if finding.targets else _PASSIVE
            if finding.targets and not any(_is_actor_word(t.split()[-1]) for t in finding.targets):
                # "Il faut que la loi rende ... obligatoire": a demand on a thing, which
                # nobody in particular is named to bring about.
                finding.targets = []
                finding.confidence = _PASSIVE
            finding.reason = "impersonal:que"
            return finding
        rest = sentence.doc[token.i + 1 : sentence.end].text
        rest = re.sub(r"^\s*(?:de\s+|d['’]\s*)", "", rest)  # "il est temps de ..."
        if _starts_with_infinitive(rest):
            return FrenchFinding(strength, [], clean_action(rest), _PASSIVE, "impersonal:inf")
    return None


# Shared helpers -------------------------------------------------------------------------


def _in_condition(token: Token) -> bool:
    """Inside a clause that states a condition: "si la France veut ..., elle doit" keeps
    its main clause; "si le texte doit ..." is not a demand."""
    for ancestor in [token, *token.ancestors]:
        if any(c.dep_ == "mark" and c.lower_ in {"si", "s'", "s’"} for c in ancestor.children):
            return True
        if ancestor.dep_ == "ROOT":
            break
    return False


def _is_counterfactual(token: Token) -> bool:
    # "aurait demandé", "aurait dû appeler".
    before = token.doc[max(0, token.i - 3) : token.i]
    return any(t.lower_ in {"aurait", "auraient", "aurions", "aurais"} for t in before)


def _is_actor(token: Token) -> bool:
    if token.pos_ == "PROPN" or (token.text[:1].isupper() and token.i > token.sent.start):
        return True
    if _is_actor_word(token.text):
        return True
    return any(
        c.dep_ in {"flat:name", "amod"} and c.pos_ == "PROPN" for c in token.children
    ) or _is_actor_word(token.lemma_)


def _is_actor_word(word: str) -> bool:
    lowered = word.lower().replace("’", "'").split("'")[-1]
    return lowered in AGENT_NOUNS or lowered.rstrip("sx") in AGENT_NOUNS


_CUT = {"punct", "conj", "cc", "appos", "acl:relcl", "acl", "advmod", "case", "mark", "parataxis"}


def _phrase_tokens(head: Token, with_relatives: bool = False) -> list[Token]:
    cut = _CUT - ({"acl:relcl", "acl"} if with_relatives else set())
    tokens = [head]
    for child in head.children:
        if child.dep_ in cut:
            continue
        tokens.extend(child.subtree)
    tokens.sort(key=lambda t: t.i)
    index = {t.i for t in tokens}
    start = end = head.i
    while start - 1 in index:
        start -= 1
    while end + 1 in index:
        end += 1
    run = [t for t in tokens if start <= t.i <= end]
    while run and (run[-1].is_punct or run[-1].dep_ in {"cc", "case"}) and run[-1].i > head.i:
        run.pop()
    return run


def _phrase_text(head: Token, with_relatives: bool = False) -> str:
    tokens = _phrase_tokens(head, with_relatives)
    if not tokens:
        return head.text
    return head.doc[tokens[0].i : tokens[-1].i + 1].text


def target_phrases(head: Token) -> list[str]:
    """The addressee as written, split at coordination ("les forces armées et le groupe
    armé" gives two)."""
    heads = [
        head,
        *[c for c in head.conjuncts if c.i > head.i and c.pos_ in {"NOUN", "PROPN", "PRON"}],
    ]
    return [_phrase_text(h) for h in heads]


_DETERMINED = (
    r"(?:l['’]|le\s|la\s|les\s|des\s|du\s|au\s|aux\s|à\s|son\s|sa\s|ses\s|leur\s|leurs\s|[A-ZÉ])"
)


def split_targets(text: str) -> list[str]:
    """Addressees written out in a call: "les forces armées et le groupe armé qui
    contrôlent la route", "la société nationale d'électricité et les bailleurs du projet".
    A relative clause or an aside is not part of the addressee."""
    text = re.split(r"\s+(?:qui|dont|que|qu['’]|lesquels|lesquelles)\s", " " + text.strip() + " ")[
        0
    ]
    text = re.sub(r"\s*\([^)]*\)", "", text).strip(" ,")
    parts = re.split(rf"\s*,\s*(?={_DETERMINED})|\s+(?:et|ainsi que|ou)\s+(?={_DETERMINED})", text)
    found = []
    for part in parts:
        part = re.sub(r"^(?:au|aux|à)\s+", "", part.strip(" ,")).strip()
        if part and len(part.split()) <= 14:
            found.append(part)
    return found


def clean_action(text: str) -> str:
    text = text.strip()
    text = re.sub(r"^(?:de|d['’])\s*", "", text)
    return text.strip(' .;:,«»“”"')


def _action_from(verb: Token, sentence: Span) -> str:
    """The demanded verb phrase from the infinitive on, with its negation: "ne doivent
    pas payer ..." demands "ne pas payer ..."."""
    action = clean_action(sentence.doc[verb.i : sentence.end].text)
    between = sentence.doc[max(sentence.start, verb.i - 4) : verb.i]
    negation = next((t.lower_ for t in between if t.lower_ in {"pas", "jamais", "plus"}), None)
    return f"ne {negation} {action}" if negation else action


def names_in(words: Iterable[str]) -> set[str]:
    return {plain(w) for w in words}
