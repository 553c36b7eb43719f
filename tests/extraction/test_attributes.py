"""The look-up attribute rules give what the pipeline's own attribute ruler gives."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from spacy.language import Language
from thinc.api import use_ops

from campaign.extraction.attributes import AttributeRules, Rule
from campaign.extraction.extractor import (
    EXCLUDED_COMPONENTS,
    PIPELINE_PACKAGE,
    load_pipeline,
)
from campaign.extraction.segment import split_blocks

RELEASES = Path(__file__).parent / "releases"
# Forms the two-token rules are about, beside ordinary text.
ODD_FORMS = "Y'all ain't gonna believe it. Let's go, c'mon. There is a gotta-have list."


@pytest.fixture(scope="module")
def with_matcher() -> Language:
    package = importlib.import_module(PIPELINE_PACKAGE)
    with use_ops("numpy", use_blis=False):
        nlp: Language = package.load(exclude=EXCLUDED_COMPONENTS)
    assert "attribute_ruler" in nlp.pipe_names
    return nlp


def attributes(nlp: Language, texts: list[str]) -> list[tuple[str, ...]]:
    return [
        (t.text, t.tag_, t.pos_, str(t.morph), t.lemma_, t.dep_)
        for doc in nlp.pipe(texts)
        for t in doc
    ]


def test_every_token_gets_the_attribute_ruler_s_attributes(with_matcher: Language) -> None:
    texts = [ODD_FORMS]
    for path in sorted(RELEASES.glob("*.txt"))[:12]:
        text = path.read_text(encoding="utf-8")
        texts += [text[b.start : b.end] for b in split_blocks(text)]
    ours = load_pipeline()
    assert "attribute_ruler" not in ours.pipe_names
    assert attributes(ours, texts) == attributes(with_matcher, texts)


def test_a_rule_it_cannot_apply_is_refused() -> None:
    rules = AttributeRules()
    unsupported = Rule(0, ({"ORTH": "x"},), 0, {})
    with pytest.raises(ValueError, match="unsupported"):
        rules._add(unsupported)
