"""How much of a letter is the activist's own: officials give more weight to letters
written in a constituent's words than to copies of a campaign's template."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

# At or above this, a letter counts as the template sent unchanged (give or take a word
# or a greeting).
UNEDITED_FROM = 0.95

_WORD = re.compile(r"\w+")


def similarity(letter: str, template: str) -> float:
    """1.0 for the same words in the same order, down to 0.0 for nothing in common.
    Compares words, so spacing, line breaks and punctuation changes don't count."""
    letter_words = _WORD.findall(letter.casefold())
    template_words = _WORD.findall(template.casefold())
    if not letter_words and not template_words:
        return 1.0
    return SequenceMatcher(None, letter_words, template_words, autojunk=False).ratio()


def is_personalised(score: float) -> bool:
    return score < UNEDITED_FROM
