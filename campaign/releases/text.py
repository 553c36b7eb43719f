"""The text calls to action are found in, from what staff submitted."""

from __future__ import annotations

import hashlib
import re

import trafilatura

from campaign.errors import InvalidInput
from campaign.releases.models import ReleaseFormat


def text_of(submitted: str, source_format: ReleaseFormat) -> str:
    """Plain text with one block per line. HTML is reduced to its article (navigation,
    scripts and boilerplate dropped) by trafilatura; text and Markdown are kept as
    written, so offsets point into what staff see."""
    if source_format == ReleaseFormat.HTML:
        article = trafilatura.extract(
            submitted, include_comments=False, include_tables=False, favor_precision=True
        )
        if not article or not article.strip():
            raise InvalidInput("no article text was found in this HTML", field="content")
        return _normalised_newlines(article)
    return _normalised_newlines(submitted.removeprefix("\ufeff"))


def _normalised_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip("\n") + "\n"


def content_hash(text: str) -> str:
    """Equal for the same release however it was spaced or wrapped."""
    canonical = re.sub(r"\s+", " ", text).strip().lower()
    return hashlib.sha256(canonical.encode()).hexdigest()
