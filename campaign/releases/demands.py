"""The demand of a call to action, parsed once: said to its addressee in the second
person for a letter, or cut at a phrase boundary for a headline."""

from __future__ import annotations

from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Token

# A bare verb phrase ("act, and act now, to end ...") is read badly by the parser: it
# takes the first verb for a noun. Framed as the demand it was, it parses as a clause.
# Only the frame and the action are parsed, never the release.
_FRAME = "They must "

# Third-person pronouns that can stand for the addressee, and what they become when
# the letter speaks to them. "her" is a possessive (PRP$) or an object (PRP).
_POSSESSIVES = {"their": "your", "its": "your", "his": "your", "her": "your"}
_OBJECTS = {"them": "you", "it": "you", "him": "you", "her": "you"}
_REFLEXIVES = {
    "themselves": "yourselves",
    "itself": "yourself",
    "himself": "yourself",
    "herself": "yourself",
}
_PLURAL_PRONOUNS = frozenset({"their", "them", "themselves"})
_OBJECT_DEPS = frozenset({"dobj", "pobj", "dative", "obj", "iobj"})
_CLAUSE_SUBJECTS = frozenset({"nsubj", "nsubjpass", "csubj", "expl"})

# Where a headline may stop: before a prepositional phrase, a coordinated phrase, an
# adverbial or relative clause, a participle or an apposition, or a punctuation mark
# between phrases. Not before a verb's complement: "ensure" alone is half a demand.
_PHRASE_STARTS = frozenset({"prep", "conj", "cc", "advcl", "relcl", "acl", "appos"})
# Coordinations of these join whole phrases (verbs, nouns), a place to stop.
_PHRASE_HEADS = frozenset({"VERB", "AUX", "NOUN", "PROPN"})
_PHRASE_BREAKS = frozenset({",", ";", ":", "—", "–", "("})
# Words a cut phrase must not end on: they promise a continuation.
_DANGLING = frozenset(
    {"a", "an", "the", "to", "and", "or", "but", "nor", "of", "for", "in", "on", "at", "by"}
    | {"with", "from", "into", "that", "which", "who", "its", "their", "his", "her", "your"}
)
_DANGLING_DEPS = frozenset({"cc", "det", "prep", "aux", "mark", "case", "poss"})
_QUOTES = {"“": "”", '"': '"', "‘": "’"}
_PAIRS = {"(": ")", "[": "]", "“": "”"}


@dataclass(frozen=True)
class Demand:
    """An action ("end their self-imposed inertia") with its parse."""

    text: str
    doc: Doc

    @classmethod
    def parse(cls, nlp: Language, action: str) -> Demand:
        text = " ".join(action.split()).rstrip(" .;,")
        return cls(text=text, doc=nlp(_FRAME + text))

    def to_addressee(self, *, plural: bool) -> str:
        """The action as a letter puts it to its addressee: "end your self-imposed
        inertia". A pronoun is turned only where it can stand for no one else."""
        return self._render(len(self.doc), self._turned(plural))

    def shortened(self, limit: int, *, plural_addressee: bool | None = None) -> str | None:
        """The action, or its longest part ending at a phrase boundary, in at most
        `limit` characters; None when even its first phrase is longer. Said to the
        addressee when their number is given."""
        turned = {} if plural_addressee is None else self._turned(plural_addressee)
        whole = self._render(len(self.doc), turned)
        if len(whole) <= limit:
            return whole
        ends = {_trimmed_end(start, self.doc) for start in self._phrase_boundaries()}
        for end in sorted((end for end in ends if end is not None), reverse=True):
            candidate = self._render(end, turned)
            # One word ("Ensure") is no headline: better a shorter frame, or whole words.
            if len(candidate) <= limit and _balanced(candidate) and " " in candidate:
                return candidate
        return None

    def cut_at_word(self, limit: int) -> str:
        """The last resort for a phrase longer than the limit: whole words, none of them
        a word that promises more."""
        words = self.text[: limit + 1].split()
        if len(self.text) > limit:
            words = words[:-1]  # the last one may have been cut through
        while len(words) > 1 and words[-1].lower().strip(",;:") in _DANGLING:
            words.pop()
        return " ".join(words).rstrip(",;:–—-") or self.text[:limit]

    def _turned(self, plural: bool) -> dict[int, str]:
        action = self._tokens()
        return {
            token.i: _second_person(token)
            for token in action
            if _stands_for_addressee(token, action, plural=plural) and not self._quoted(token)
        }

    def _tokens(self) -> list[Token]:
        return [token for token in self.doc if token.idx >= len(_FRAME)]

    def _phrase_boundaries(self) -> list[int]:
        """Token indexes a phrase starts at, within the action."""
        first = self._tokens()[0].i if self._tokens() else len(self.doc)
        starts = set()
        for token in self._tokens():
            if token.dep_ in _PHRASE_STARTS and not _joins_words_of_one_phrase(token):
                starts.add(token.left_edge.i)
            if token.text in _PHRASE_BREAKS:
                starts.add(token.i)
        return [i for i in starts if i > first]

    def _render(self, end: int, replacements: dict[int, str]) -> str:
        parts = []
        for token in self._tokens():
            if token.i >= end:
                break
            word = replacements.get(token.i, token.text)
            parts.append(word + token.whitespace_)
        return "".join(parts).strip()

    def _quoted(self, token: Token) -> bool:
        """Inside quotation marks: the release's words, kept as they were."""
        offset = token.idx - len(_FRAME)
        opening: str | None = None
        for char in self.text[:offset]:
            if opening is None and char in _QUOTES:
                opening = char
            elif opening is not None and char == _QUOTES[opening]:
                opening = None
        return opening is not None


def _joins_words_of_one_phrase(token: Token) -> bool:
    """An "or" or a conjunct inside a phrase ("active or tacit support"): cutting there
    would leave an adjective without its noun."""
    if token.dep_ not in {"cc", "conj"}:
        return False
    return token.head.pos_ not in _PHRASE_HEADS or (
        token.dep_ == "conj" and token.pos_ not in _PHRASE_HEADS
    )


def _trimmed_end(boundary: int, doc: Doc) -> int | None:
    """Where a cut before `boundary` really ends, once words that promise a
    continuation ("a", "the", "to", "and", a comma) are dropped from its end."""
    end = boundary
    while end > 0:
        last = doc[end - 1]
        if last.idx < len(_FRAME):
            return None  # nothing of the action is left
        closing = last.is_right_punct or last.is_quote
        if (
            last.dep_ in _DANGLING_DEPS
            or last.lower_ in _DANGLING
            or (last.is_punct and not closing)
        ):
            end -= 1
            continue
        return end
    return None


def _balanced(text: str) -> bool:
    """No bracket or quotation left open by the cut. (Single quotation marks are not
    counted: "’" is the apostrophe of "Israel’s" too.)"""
    if any(text.count(opening) != text.count(closing) for opening, closing in _PAIRS.items()):
        return False
    return text.count('"') % 2 == 0


def _second_person(token: Token) -> str:
    lower = token.lower_
    if lower in _REFLEXIVES:
        word = _REFLEXIVES[lower]
    elif token.tag_ == "PRP$":
        word = _POSSESSIVES[lower]
    else:
        word = _OBJECTS[lower]
    return word.capitalize() if token.text[:1].isupper() else word


def _stands_for_addressee(token: Token, action: list[Token], *, plural: bool) -> bool:
    """Whether a pronoun of the action refers to whoever the demand is made of.

    It must agree with the addressee in number, and no noun before it in the action
    may agree with it too (in "release the detainees and return their passports",
    "their" is the detainees'). An object pronoun ("them") never refers to the subject
    of its own clause, so it is turned only inside a clause with a subject of its own
    ("ensure that no one threatens them")."""
    lower = token.lower_
    if lower in _REFLEXIVES:
        kind = "reflexive"
    elif token.tag_ == "PRP$" and lower in _POSSESSIVES:
        kind = "possessive"
    elif token.tag_ == "PRP" and lower in _OBJECTS and token.dep_ in _OBJECT_DEPS:
        kind = "object"
    else:
        return False
    is_plural = lower in _PLURAL_PRONOUNS
    if is_plural != plural and not (is_plural and kind == "possessive"):
        # "their" also stands for one body ("the council must publish their report").
        return False
    if any(_could_be_antecedent(noun, token, is_plural) for noun in action if noun.i < token.i):
        return False
    return kind != "object" or _has_own_subject(token)


def _could_be_antecedent(noun: Token, pronoun: Token, plural: bool) -> bool:
    if noun.pos_ not in {"NOUN", "PROPN"} and noun.tag_ not in {"NN", "NNS", "NNP", "NNPS"}:
        return False
    return _is_plural(noun, before=pronoun) == plural


def _is_plural(noun: Token, *, before: Token) -> bool:
    """A plural noun, or nouns joined by "and" that end before the pronoun: in "end their
    inertia and their support", the second "their" is not the two nouns' together."""
    if noun.tag_ in {"NNS", "NNPS"}:
        return True
    conjuncts = [child for child in noun.children if child.dep_ == "conj"]
    return bool(conjuncts) and max(c.right_edge.i for c in conjuncts) < before.i


def _has_own_subject(token: Token) -> bool:
    """Whether the clause the pronoun sits in has its own subject, other than the frame's
    "They" that stands for the addressee."""
    head = token.head
    while head.pos_ not in {"VERB", "AUX"} and head.head.i != head.i:  # up to the root
        head = head.head
    return any(
        child.dep_ in _CLAUSE_SUBJECTS and child.idx >= len(_FRAME) for child in head.children
    )
