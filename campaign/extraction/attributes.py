"""The English pipeline's attribute rules (tag to part of speech, morphology and a few
lemma and tag fixes), applied by table look-up instead of spaCy's general matcher.

The rules are the pipeline's own `attribute_ruler` patterns and give the same
attributes (a test compares the two token by token): every pattern there is one or two
tokens long and tests only a token's tag, lower-case form, dependency label or whether
it is a space. What the one-token rules do depends on nothing but those four values,
so it is worked out once per combination and remembered; the few two-token rules are
tried only on the words they name. Through the matcher the rules cost about a seventh
of the time spent reading a release.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from spacy.language import Language
from spacy.pipeline import AttributeRuler
from spacy.tokens import Doc, Token
from spacy.tokens._retokenize import set_token_attrs

FACTORY = "campaign_attribute_rules"

# How each attribute a pattern tests is read off a token.
_READERS: dict[str, Callable[[Token], object]] = {
    "TAG": lambda token: token.tag_,
    "LOWER": lambda token: token.lower_,
    "DEP": lambda token: token.dep_,
    "IS_SPACE": lambda token: token.is_space,
}
_OPERATORS = {"IN", "NOT_IN", "REGEX"}


@dataclass(frozen=True)
class Rule:
    order: int  # later rules win, as in the attribute ruler
    tokens: tuple[dict[str, Any], ...]
    index: int  # which token of the pattern gets the attributes
    attrs: dict[Any, Any]

    def matches_at(self, doc: Doc, start: int) -> bool:
        if start < 0 or start + len(self.tokens) > len(doc):
            return False
        return all(_holds(doc[start + k], condition) for k, condition in enumerate(self.tokens))


def _holds(token: Token, condition: dict[str, Any]) -> bool:
    return all(_satisfies(_READERS[name](token), wanted) for name, wanted in condition.items())


def _satisfies(value: object, wanted: Any) -> bool:
    if not isinstance(wanted, dict):
        return value == wanted
    return (
        ("IN" not in wanted or value in wanted["IN"])
        and ("NOT_IN" not in wanted or value not in wanted["NOT_IN"])
        and ("REGEX" not in wanted or re.search(wanted["REGEX"], str(value)) is not None)
    )


class AttributeRules:
    """A pipeline component in the attribute ruler's place."""

    def __init__(self) -> None:
        self.single: list[Rule] = []
        self.double: list[Rule] = []
        # Words that a two-token rule can give attributes to; only they are tried.
        self.double_words: set[str] = set()
        self.double_patterns: list[re.Pattern[str]] = []
        self._outcomes: dict[tuple[str, str, str, bool], list[Rule]] = {}

    def copy_from(self, ruler: AttributeRuler) -> None:
        for order, pattern in enumerate(ruler.patterns):
            alternatives: list[list[dict[str, Any]]] = pattern["patterns"]  # type: ignore[assignment]
            index: int = pattern["index"]  # type: ignore[assignment]
            for tokens in alternatives:
                self._add(Rule(order, tuple(tokens), index, ruler.attrs[order]))

    def _add(self, rule: Rule) -> None:
        for condition in rule.tokens:
            for name, wanted in condition.items():
                if name not in _READERS or (
                    isinstance(wanted, dict) and not set(wanted) <= _OPERATORS
                ):
                    raise ValueError(f"unsupported attribute rule: {rule.tokens}")
        if len(rule.tokens) == 1:
            self.single.append(rule)
            return
        lower = rule.tokens[rule.index].get("LOWER")
        if isinstance(lower, str):
            self.double_words.add(lower)
        elif isinstance(lower, dict) and "IN" in lower:
            self.double_words.update(lower["IN"])
        elif isinstance(lower, dict) and "REGEX" in lower:
            self.double_patterns.append(re.compile(lower["REGEX"]))
        else:
            raise ValueError(f"a two-token rule must name its word: {rule.tokens}")
        self.double.append(rule)

    def __call__(self, doc: Doc) -> Doc:
        # Match everything on the attributes as the parser left them, as the matcher
        # does, then set attributes rule by rule.
        found = [(rule, token.i) for token in doc for rule in self._rules_for(token)]
        found.sort(key=lambda match: (match[0].order, match[1]))
        for rule, i in found:
            set_token_attrs(doc[i], rule.attrs)
        return doc

    def _rules_for(self, token: Token) -> list[Rule]:
        key = (token.tag_, token.lower_, token.dep_, token.is_space)
        rules = self._outcomes.get(key)
        if rules is None:
            rules = [rule for rule in self.single if _holds(token, rule.tokens[0])]
            self._outcomes[key] = rules
        lower = token.lower_
        if lower in self.double_words or any(p.search(lower) for p in self.double_patterns):
            doc = token.doc
            rules = rules + [r for r in self.double if r.matches_at(doc, token.i - r.index)]
        return rules


@Language.factory(FACTORY)
def make_attribute_rules(nlp: Language, name: str) -> AttributeRules:
    return AttributeRules()


def use_attribute_rules(nlp: Language) -> None:
    """Put the look-up rules in the place of the pipeline's attribute ruler."""
    ruler = nlp.get_pipe("attribute_ruler")
    rules = nlp.add_pipe(FACTORY, before="attribute_ruler")
    assert isinstance(rules, AttributeRules) and isinstance(ruler, AttributeRuler)
    rules.copy_from(ruler)
    nlp.remove_pipe("attribute_ruler")
