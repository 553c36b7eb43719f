"""What the extractor finds in a release: calls to action with their source span."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Strength(StrEnum):
    """How strongly the demand is put, from the word that makes it a demand."""

    MUST = "must"  # must, need(s) to, have/has to
    SHOULD = "should"  # should, ought to
    CALL = "call"  # calls on / calls for / asks / appeals
    URGE = "urge"
    DEMAND = "demand"
    OTHER = "other"  # "we need X to", "the key is for X to", endorsements


class Verdict(StrEnum):
    """How sure the extractor is that a unit is a call to action. Staff review both:
    a missed call costs a campaign, a wrong one costs a click."""

    PROPOSED = "proposed"  # confident: listed as a call to review
    POSSIBLE = "possible"  # uncertain: listed apart, for staff to accept or ignore


@dataclass(frozen=True)
class CallToAction:
    # The unit as it stands in the text: text[start:end] == sentence.
    sentence: str
    start: int
    end: int
    # Who must act, as written ("all states", "Israel"); empty when nobody is named.
    targets: list[str] = field(default_factory=list)
    # The demanded verb phrase, without addressee or modal ("halt arms transfers").
    action: str = ""
    strength: Strength = Strength.OTHER
    confidence: float = 0.0
    # A short machine-readable reason for the confidence ("modal:must+subject").
    reason: str = ""
    # Antecedents of pronoun targets ("They" -> "states"), where they could be resolved.
    resolved_targets: list[str] = field(default_factory=list)
    # Whether the unit is put to staff as a call ("proposed") or listed apart ("possible").
    status: Verdict = Verdict.PROPOSED
