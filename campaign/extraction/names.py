"""Names of organisations and people, read from the tagger and the parser alone.

The pipeline runs without its named-entity recogniser, which cost about half of the
parsing time. What the extractor needs from names is modest: who publishes the release,
who speaks for it, and whether a subject is an actor. Runs of proper nouns ("Human Rights
Watch", "Friends of the Earth") and where they stand in the parse answer that.
"""

from __future__ import annotations

import re

from spacy.tokens import Doc, Span, Token

# Small words inside names: "Friends of the Earth", "Fight for the Future".
LINKING_WORDS = frozenset({"of", "the", "for", "&"})
# "and" joins two names more often than it sits inside one ("Israel and Hamas"); it
# counts as part of a name only after "of" or "for" ("Department of Health and Human
# Services").
_AND = "and"
# Dependency relations that attach a name to the phrase it describes: "Amnesty’s
# Secretary General", "director of Human Rights Watch", "Jane Doe, its spokesperson".
ATTACHING_DEPS = frozenset({"poss", "compound", "pobj", "prep", "appos"})
# Verbs whose subject speaks for itself: the organisation that says, notes, calls for or
# welcomes things in a release is, most of the time, the one publishing it.
SPEAKING_VERBS = frozenset(
    {
        "say", "add", "state", "tell", "warn", "note", "write", "declare", "argue",
        "call", "ask", "appeal", "urge", "demand",
        "welcome", "condemn", "respond", "release", "publish", "comment",
    }
)  # fmt: skip


def is_proper_noun(token: Token) -> bool:
    return token.pos_ == "PROPN" and token.tag_ != "POS"


def proper_noun_phrases(tokens: Doc | Span) -> list[Span]:
    """Maximal runs of proper nouns, allowing linking words between two of them."""
    doc = tokens.doc if isinstance(tokens, Span) else tokens
    start = tokens.start if isinstance(tokens, Span) else 0
    end = tokens.end if isinstance(tokens, Span) else len(doc)
    phrases: list[Span] = []
    i = start
    while i < end:
        if not is_proper_noun(doc[i]):
            i += 1
            continue
        j = _end_of_name(doc, i + 1, end)
        phrases.append(doc[i:j])
        i = j
    return phrases


def _end_of_name(doc: Doc, i: int, end: int) -> int:
    """Where a name that runs up to token i continues to, taking linking words only
    when another proper noun follows them."""
    linked = False
    while i < end:
        if is_proper_noun(doc[i]):
            i += 1
            continue
        k = i
        while k < end and (doc[k].lower_ in LINKING_WORDS or (doc[k].lower_ == _AND and linked)):
            linked = linked or doc[k].lower_ in {"of", "for"}
            k += 1
        if k == i or k >= end or not is_proper_noun(doc[k]):
            break
        i = k
    return i


def name_key(phrase: Span) -> str:
    """A name as compared across mentions: lower case, without a possessive ending."""
    return phrase.text.lower().removesuffix("’s").removesuffix("'s").strip()


def speaks(phrase: Span) -> bool:
    """Whether the name (or someone of it: "X’s Secretary General", "director of X") is
    the subject of a verb of saying or calling."""
    node = phrase.root
    while node.dep_ in ATTACHING_DEPS and node.head.i != node.i:
        node = node.head
    return node.dep_ in {"nsubj", "nsubjpass"} and node.head.lemma_.lower() in SPEAKING_VERBS


def speaks_directly(phrase: Span) -> bool:
    """Whether the name itself is the subject of a verb of saying or calling."""
    root = phrase.root
    return root.dep_ in {"nsubj", "nsubjpass"} and root.head.lemma_.lower() in SPEAKING_VERBS


def described_name(phrase: Span, names_by_token: dict[int, Span]) -> Span | None:
    """The name that `phrase` describes in the parse, if any: "Amnesty’s Secretary
    General Agnès Callamard", "Jan Egeland, head of the Norwegian Refugee Council".
    `names_by_token` maps the index of each token of a name in the same doc to it."""
    node = phrase.root
    while node.dep_ in ATTACHING_DEPS and node.head.i != node.i:
        node = node.head
        other = names_by_token.get(node.i)
        if other is not None and other != phrase:
            return other
    return None


def names_by_token(phrases: list[Span]) -> dict[int, Span]:
    return {i: phrase for phrase in phrases for i in range(phrase.start, phrase.end)}


def looks_like_person_name(token: Token) -> bool:
    """A proper noun preceded by another in the same name, with no linking word
    ("Joe Biden", "Agnès Callamard"): the shape of a person's name."""
    if not is_proper_noun(token):
        return False
    given = [c for c in token.children if c.dep_ == "compound" and is_proper_noun(c)]
    return bool(given) and all(t.is_title for t in [*given, token])


def initials_of(name: str) -> set[str]:
    """The ways a name is abbreviated: "Human Rights Watch" gives "hrw", "Friends of the
    Earth" gives "foe" and "fote", "Fight for the Future" gives "fftf"."""
    words = re.findall(r"[a-z]+", name.lower())
    without_articles = [w for w in words if w not in {"the", "and"}]
    without_linking = [w for w in words if w not in LINKING_WORDS | {_AND, "on", "in"}]
    variants = (words, without_articles, without_linking)
    return {"".join(w[0] for w in variant) for variant in variants}
