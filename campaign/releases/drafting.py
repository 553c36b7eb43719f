"""First drafts of campaign texts from calls to action. Staff edit them before anything
is published; the drafts only save retyping and keep the link to the source."""

from __future__ import annotations

from dataclasses import dataclass

from campaign.campaigns.models import CampaignKind
from campaign.releases.models import CallToActionRecord, Release

# Placeholders a letter campaign fills in for each activist and official.
OFFICIAL_NAME = "{{official_name}}"
ACTIVIST_NAME = "{{activist_name}}"
NOBODY_NAMED = "Decision-makers"


@dataclass(frozen=True)
class Draft:
    title: str
    summary: str
    body_markdown: str
    target: str


def draft_for(release: Release, calls: list[CallToActionRecord], kind: CampaignKind) -> Draft:
    targets = calls[0].targets
    target = _joined(targets) or NOBODY_NAMED
    actions = [call.action for call in calls if call.action]
    title = _title(targets, actions[0] if actions else calls[0].sentence)
    summary = _clip(" ".join(call.sentence for call in calls), 1000)
    if kind == CampaignKind.LETTER:
        body = _letter(release, calls, targets, actions)
    else:
        body = _petition(release, calls, target, actions)
    return Draft(title=title, summary=summary, body_markdown=body, target=_clip(target, 200))


def _title(targets: list[str], action: str) -> str:
    demand = _capitalised(action.rstrip(" .;,"))
    title = f"{_capitalised(targets[0])}: {demand}" if targets else demand
    return _clip(title, 200)


def _petition(
    release: Release, calls: list[CallToActionRecord], target: str, actions: list[str]
) -> str:
    addressee = _mid_sentence(target)
    lines = [f"We call on {addressee} to:", ""] if target != NOBODY_NAMED else ["We call for:", ""]
    lines += [f"- {action.rstrip(' .;,')};" for action in actions]
    lines[-1] = lines[-1].rstrip(";") + "."
    lines += ["", *_source_quote(release, calls)]
    return "\n".join(lines)


def _letter(
    release: Release, calls: list[CallToActionRecord], targets: list[str], actions: list[str]
) -> str:
    requests = " and ".join(action.rstrip(" .;,") for action in actions) or "act"
    lines = [
        f"Dear {OFFICIAL_NAME},",
        "",
        f"I am writing to ask you to {requests}.",
        "",
        *_source_quote(release, calls),
        "",
        "I would be grateful to know what you will do about it.",
        "",
        "Yours sincerely,",
        ACTIVIST_NAME,
    ]
    return "\n".join(lines)


def _source_quote(release: Release, calls: list[CallToActionRecord]) -> list[str]:
    quoted = [f"> {call.sentence}" for call in calls]
    source = ", ".join(part for part in (release.organisation, release.title) if part)
    when = f" ({release.published_on.isoformat()})" if release.published_on else ""
    return [*quoted, ">", f"> From {source or 'the release'}{when}."]


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
