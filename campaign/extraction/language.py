"""Which language a release is written in, told cheaply from its commonest words.

Only the languages the extractor reads are told apart (English and French). Function
words are frequent in any running text of a few sentences and differ between the two,
so counting them over the first few thousand characters is enough; no model is needed.
A text that gives too little evidence is taken for English, the extractor's first
language.
"""

from __future__ import annotations

import re

ENGLISH = "en"
FRENCH = "fr"
LANGUAGES = (ENGLISH, FRENCH)

# The first characters are enough: a release says in its first paragraphs which
# language it is in, and a long text costs nothing more to read.
_SAMPLE = 4000
# Words with no other use in the other language ("a", "on", "en" are left out: they
# are words in both).
_FUNCTION_WORDS = {
    ENGLISH: {
        "the", "and", "of", "to", "in", "is", "for", "that", "with", "are", "be", "by",
        "this", "we", "it", "from", "has", "have", "was", "were", "will", "not", "their",
        "its", "which", "said", "must", "should", "who", "they", "our",
    },
    FRENCH: {
        "le", "la", "les", "de", "des", "du", "ce", "et", "est", "une", "un", "pour", "dans", "qui",
        "que", "sur", "au", "aux", "par", "pas", "nous", "cette", "avec", "sont", "été",
        "ont", "leur", "leurs", "doit", "doivent", "selon", "mais", "ses", "ces", "elle",
    },
}  # fmt: skip
# Elided articles and pronouns ("l'", "d’") are French whatever follows them.
_ELISION = re.compile(r"\b(?:l|d|qu|n|s|j)['’](?=\w)", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+")
# Fewer telling words than this is too little to go on.
_EVIDENCE = 4


def detect_language(text: str) -> str:
    """ "fr" for a French text, else "en" (also when the text is too short to tell)."""
    sample = text[:_SAMPLE]
    counts = {language: 0 for language in LANGUAGES}
    counts[FRENCH] += len(_ELISION.findall(sample))
    for word in _WORD.findall(_ELISION.sub(" ", sample).lower()):
        for language, words in _FUNCTION_WORDS.items():
            counts[language] += word in words
    french, english = counts[FRENCH], counts[ENGLISH]
    # Clearly more French than English: a French release quotes English names and
    # titles, and an English one French names, but never at this rate.
    if french >= _EVIDENCE and french > 2 * english:
        return FRENCH
    return ENGLISH
