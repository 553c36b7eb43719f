"""First drafts of campaign texts from calls to action. Staff edit them before anything
is published; the drafts only save retyping and keep the link to the source.

A petition's draft is its page. A letter campaign's draft is its page (the ask, and the
release's words as a quotation) and the letter itself: plain text an activist edits,
put to the official in the second person, with the placeholders each copy is filled in
with."""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.language import Language

from campaign.campaigns.models import CampaignKind
from campaign.releases.demands import Demand
from campaign.releases.models import CallToActionRecord, Release

# Placeholders a letter campaign fills in for each activist and official.
OFFICIAL_NAME = "{{official_name}}"
ACTIVIST_NAME = "{{activist_name}}"
NOBODY_NAMED = "Decision-makers"

# A title is a headline: it fits a browser tab, a share card and an email subject.
TITLE_LIMIT = 80
# What a slug is made from: shorter still, cut where a phrase ends, since a slug cut
# where the length runs out ends mid-phrase ("...-bring-about-a").
SLUG_SOURCE_LIMIT = 60
# A longer addressee would leave the demand too little room: the demand stands alone.
_TITLE_ADDRESSEE_LIMIT = 40
SUBJECT_LIMIT = 80
LETTER_LIMIT = 20_000

# Targets the extractor keeps as written though they stand for someone named earlier.
_PRONOUNS = frozenset({"they", "them", "it", "he", "she", "him", "her", "these", "those"})
_LEADING_DETERMINER = re.compile(r"^(the|all|every|both|any)\s+", re.IGNORECASE)
# Plural nouns that do not end in "s"; and words that end in "s" but are one thing.
_PLURAL_WORDS = frozenset({"people", "police", "children", "men", "women", "they", "them"})
_SINGULAR_ENDINGS = ("ss", "us", "is", "as", "os")


@dataclass(frozen=True)
class LetterDraft:
    subject: str
    body: str


@dataclass(frozen=True)
class Draft:
    title: str
    slug_source: str
    summary: str
    body_markdown: str
    target: str
    # Who the calls are addressed to, pronouns resolved: what a letter's targets follow.
    addressees: list[str]
    letter: LetterDraft | None


def addressees_of(call: CallToActionRecord) -> list[str]:
    """Who a call is addressed to: its targets, a pronoun ("They") standing for what the
    extractor resolved it to, where it could tell."""
    found: list[str] = []
    for target in call.targets:
        if is_pronoun(target) and call.resolved_targets:
            found += call.resolved_targets
        else:
            found.append(target)
    return unique_addressees(found)


def is_pronoun(target: str) -> bool:
    return target.strip().lower() in _PRONOUNS


def same_addressee(target: str) -> str:
    """The form in which two spellings of one addressee agree: "All states", "States"."""
    return _LEADING_DETERMINER.sub("", target.strip().lower())


def unique_addressees(targets: list[str]) -> list[str]:
    """Each addressee once, as first written."""
    kept: dict[str, str] = {}
    for target in targets:
        kept.setdefault(same_addressee(target), target)
    return list(kept.values())


def draft_for(
    release: Release, calls: list[CallToActionRecord], kind: CampaignKind, nlp: Language
) -> Draft:
    """The draft of one campaign from calls with the same addressees. Parses each call's
    action (only the action) with `nlp`."""
    addressees = addressees_of(calls[0])
    target = _joined(addressees) or NOBODY_NAMED
    actions = [call.action for call in calls if call.action]
    demands = [Demand.parse(nlp, action) for action in actions] or [
        Demand.parse(nlp, calls[0].sentence)
    ]
    title = _headline(addressees, demands[0], TITLE_LIMIT)
    summary = _clip(" ".join(call.sentence for call in calls), 1000)
    letter = None
    if kind == CampaignKind.LETTER:
        letter = _letter(release, demands, plural=_is_plural(addressees))
        body = _letter_page(release, calls, target, actions)
    else:
        body = _petition(release, calls, target, actions)
    return Draft(
        title=title,
        slug_source=_headline(addressees, demands[0], SLUG_SOURCE_LIMIT),
        summary=summary,
        body_markdown=body,
        target=_clip(target, 200),
        addressees=addressees,
        letter=letter,
    )


def _headline(addressees: list[str], demand: Demand, limit: int) -> str:
    """ "Governments: End their self-imposed inertia", at most `limit` characters, the
    demand cut where a phrase ends."""
    named = _joined(addressees)
    if named and len(named) <= _TITLE_ADDRESSEE_LIMIT:
        prefix = f"{_capitalised(named)}: "
        short = demand.shortened(limit - len(prefix))
        if short:
            return prefix + _capitalised(short)
    short = demand.shortened(limit) or demand.cut_at_word(limit)
    return _capitalised(short)


def _petition(
    release: Release, calls: list[CallToActionRecord], target: str, actions: list[str]
) -> str:
    addressee = _mid_sentence(target)
    lines = [f"We call on {addressee} to:", ""] if target != NOBODY_NAMED else ["We call for:", ""]
    lines += _demands_listed(actions)
    lines += ["", *_source_quote(release, calls)]
    return "\n".join(lines)


def _letter_page(
    release: Release, calls: list[CallToActionRecord], target: str, actions: list[str]
) -> str:
    """What the campaign's page says above the letter form: the ask, and the release's
    words as a quotation. The letter itself is the setup's template."""
    addressee = _mid_sentence(target) if target != NOBODY_NAMED else "the decision-makers"
    lines = [f"Write to {addressee} and ask them to:", ""]
    lines += _demands_listed(actions)
    lines += ["", *_source_quote(release, calls)]
    return "\n".join(lines)


def _letter(release: Release, demands: list[Demand], *, plural: bool) -> LetterDraft:
    """The letter an activist starts from: plain text, no Markdown, asking the official
    ("you") for what the release asks of them."""
    requests = [demand.to_addressee(plural=plural) for demand in demands]
    lines = [
        f"Dear {OFFICIAL_NAME},",
        "",
        f"I am writing to ask you to {_one_after_another(requests) or 'act'}.",
        "",
        *_citation(release),
        "I would be grateful to know what you will do.",
        "",
        "Yours sincerely,",
        ACTIVIST_NAME,
    ]
    short = demands[0].shortened(SUBJECT_LIMIT - len("Please "), plural_addressee=plural)
    subject = f"Please {short}" if short else demands[0].cut_at_word(SUBJECT_LIMIT)
    return LetterDraft(subject=" ".join(subject.split()), body="\n".join(lines))


def _one_after_another(requests: list[str]) -> str:
    # "ask you to end X, to publish Y and to commit to Z"
    if len(requests) <= 1:
        return "".join(requests)
    return ", to ".join(requests[:-1]) + " and to " + requests[-1]


def _citation(release: Release) -> list[str]:
    """Where the call comes from, in words: the letter is plain text, so the release's
    passage itself stays on the campaign's page, quoted."""
    if not release.organisation and not release.title:
        return []
    where = f" in “{release.title}”" if release.title else ""
    when = f" ({_long_date(release)})" if release.published_on else ""
    who = (
        f"{release.organisation} has called for this" if release.organisation else "This was asked"
    )
    return [f"{who}{where}{when}.", ""]


def _long_date(release: Release) -> str:
    day = release.published_on
    assert day is not None
    return f"{day.day} {day:%B %Y}"


def _demands_listed(actions: list[str]) -> list[str]:
    lines = [f"- {action.rstrip(' .;,')};" for action in actions]
    if lines:
        lines[-1] = lines[-1].rstrip(";") + "."
    return lines


def _source_quote(release: Release, calls: list[CallToActionRecord]) -> list[str]:
    quoted = [f"> {call.sentence}" for call in calls]
    source = ", ".join(part for part in (release.organisation, release.title) if part)
    if release.organisation and release.title and release.title.startswith(release.organisation):
        source = release.title  # "Coastal Watch: ministers must act", not the name twice
    when = f" ({release.published_on.isoformat()})" if release.published_on else ""
    return [*quoted, ">", f"> From {source or 'the release'}{when}."]


def _is_plural(addressees: list[str]) -> bool:
    """Whether the addressee is spoken of as "they" rather than "it": several of them, or
    one whose head word is plural ("Members of Parliament", "all states")."""
    if len(addressees) != 1:
        return True  # several, or none named: "decision-makers"
    words = addressees[0].lower().split()
    head = words[words.index("of") - 1] if "of" in words[1:] else words[-1]
    return head in _PLURAL_WORDS or (head.endswith("s") and not head.endswith(_SINGULAR_ENDINGS))


def _joined(targets: list[str]) -> str:
    if len(targets) <= 1:
        return "".join(targets)
    return ", ".join(targets[:-1]) + " and " + targets[-1]


def _mid_sentence(target: str) -> str:
    # "The county council" reads "the county council" after "We call on".
    first, _, rest = target.partition(" ")
    if first in {"The", "All", "Every", "Both", "Any"} and rest:
        return f"{first.lower()} {rest}"
    return target


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
