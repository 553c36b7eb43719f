"""The parameters of routes' paths and queries, typed once for every route: what a
well-formed slug, token or id looks like, and how far a page may be offset.

A name in a path (a campaign's slug, a link's token) that is not well formed names
nothing, so it is answered like one that is absent: a 404 naming the parameter (see
api/problems.py). A number out of range is a 422 naming it, as for any input."""

from __future__ import annotations

from typing import Annotated, get_args

from fastapi import Path, Query
from pydantic import StringConstraints

from campaign.types import Slug


def _string_constraints(annotated: object) -> StringConstraints:
    for rule in get_args(annotated)[1:]:
        if isinstance(rule, StringConstraints):
            return rule
    raise TypeError(f"{annotated!r} has no string constraints")


# The rule staff's campaign slugs are made with, so that every slug that can exist passes.
_SLUG = _string_constraints(Slug)
SLUG_PATTERN = str(_SLUG.pattern)

# The databases hold 64-bit signed integers: a larger number could not be any row's.
MAX_ROW_ID = 2**63 - 1
# Further than any list we keep; it bounds the work an OFFSET can ask of the database.
MAX_OFFSET = 1_000_000

# Our links' secrets are URL-safe base64 (a random token, or a signed value with a dot
# before its signature); the longest is an unsubscribe token for a 254-character address.
URL_SAFE_PATTERN = r"^[A-Za-z0-9_.\-]+$"
MAX_TOKEN_LENGTH = 1000

SlugPath = Annotated[
    str,
    Path(
        pattern=SLUG_PATTERN,
        min_length=_SLUG.min_length,
        max_length=_SLUG.max_length,
        description="The campaign's slug",
    ),
]
TokenPath = Annotated[
    str,
    Path(
        pattern=URL_SAFE_PATTERN,
        min_length=1,
        max_length=MAX_TOKEN_LENGTH,
        description="The secret token of the link",
    ),
]
RowIdPath = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
# A language version's tag in a path ("fr", "pt-BR"), as campaigns store them.
LANGUAGE_PATTERN = r"^[A-Za-z]{2}(-[A-Za-z0-9]{2,8})?$"
LanguagePath = Annotated[
    str,
    Path(pattern=LANGUAGE_PATTERN, max_length=16, description="The version's language tag"),
]

# A row's id in a query: a filter, or the id a page of a list starts from.
RowIdQuery = Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)]
OffsetQuery = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip")]

# A tag's name in a query: the people who have it (campaign/tags).
TagQuery = Annotated[str | None, Query(max_length=200, description="Only people with this tag")]
