"""A letter campaign's setup: who it writes to, the letter's template, its limits, and
whether the campaign is ready to publish. The JSON API saves a whole setup; the
dashboard saves one part at a time through the same `save_setup`, so every rule about a
setup is checked in one place whichever way it is changed."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.campaigns.models import Campaign, CampaignKind
from campaign.db import save_one_per_campaign, utcnow
from campaign.errors import CampaignError, InvalidInput, InvalidState, NotFound
from campaign.letters.models import LetterSetup, OverLimit, TargetRuleKind
from campaign.letters.schemas import (
    DivisionTargets,
    FixedTargets,
    LetterLimitsInput,
    LetterSetupInput,
    LetterTemplateInput,
    RoleTargets,
    TargetChoice,
)
from campaign.letters.templating import SAMPLE_ACTIVIST, addressed, one_line, unknown_placeholders
from campaign.targets.models import Official
from campaign.targets.schemas import role_key
from campaign.targets.service import (
    officials_by_id,
    officials_of_organisation,
    officials_per_role,
)

TargetRule = FixedTargets | DivisionTargets | RoleTargets
# Kept for the callers that named the rule a draft proposes.
ProposedRule = TargetRule

_MAX_FIXED_TARGETS = 100

# -- Reading the setup --------------------------------------------------------------------


async def find_setup(session: AsyncSession, campaign_id: int) -> LetterSetup | None:
    return await session.get(LetterSetup, campaign_id)


async def get_setup(session: AsyncSession, campaign_id: int) -> LetterSetup:
    setup = await find_setup(session, campaign_id)
    if setup is None:
        raise NotFound("this campaign has no letter set up yet", field="campaign_id")
    return setup


def target_rule_of(setup: LetterSetup) -> TargetRule:
    """The stored rule as the schemas name it. Read, not validated: it was when saved."""
    if setup.target_kind == TargetRuleKind.FIXED:
        return FixedTargets.model_construct(kind="fixed", official_ids=setup.target_official_ids)
    if setup.target_kind == TargetRuleKind.DIVISION:
        return DivisionTargets.model_construct(
            kind="division", organisation=setup.target_organisation or ""
        )
    return RoleTargets.model_construct(kind="role", role=setup.target_role or "")


def setup_input_of(setup: LetterSetup) -> LetterSetupInput:
    """The stored setup as the input that would save it again."""
    return LetterSetupInput.model_construct(
        targets=target_rule_of(setup),
        subject_template=setup.subject_template,
        body_template=setup.body_template,
        subject_editable=setup.subject_editable,
        min_length=setup.min_length,
        max_length=setup.max_length,
        required_phrases=list(setup.required_phrases),
        per_official_hourly_limit=setup.per_official_hourly_limit,
        per_official_daily_limit=setup.per_official_daily_limit,
        over_limit=OverLimit(setup.over_limit),
    )


@dataclass(frozen=True)
class SetupInHand:
    """The setup a page shows and a change starts from: the stored one, or (before the
    first save) one proposed from the campaign."""

    data: LetterSetupInput
    stored: LetterSetup | None


async def setup_in_hand(session: AsyncSession, campaign: Campaign) -> SetupInHand:
    _ensure_letter_campaign(campaign)
    stored = await find_setup(session, campaign.id)
    if stored is not None:
        return SetupInHand(setup_input_of(stored), stored)
    return SetupInHand(await starting_setup(session, campaign), None)


async def starting_setup(session: AsyncSession, campaign: Campaign) -> LetterSetupInput:
    """A setup for a letter campaign that has none: targets proposed from whom the
    campaign addresses, and a short letter from its title and summary for staff to
    rewrite. Nothing is saved until staff save a part of it."""
    proposed = await propose_targets(session, [campaign.target])
    # A summary is the campaign's text, not a template: one that looks like it holds a
    # placeholder is left out rather than refused.
    summary = "" if unknown_placeholders(campaign.summary) else campaign.summary.strip()
    body = "Dear {{official_name}},\n\n" + (f"{summary}\n\n" if summary else "")
    body += "Yours sincerely,\n{{activist_name}}"
    return _validated(
        {
            "targets": proposed.rule.model_dump(),
            "subject_template": one_line(campaign.title)[:300],
            "body_template": body,
        }
    )


# -- Saving ---------------------------------------------------------------------------------


async def save_setup(
    session: AsyncSession, campaign: Campaign, data: LetterSetupInput
) -> LetterSetup:
    """Create or replace the whole setup: every change to a setup ends here. An official
    put on a fixed list must be active; one already on it who has since left the
    directory may stay (letters skip them, and the setup page says so)."""
    _ensure_letter_campaign(campaign)
    targets = data.targets
    if isinstance(targets, FixedTargets):
        stored = await find_setup(session, campaign.id)
        listed_before = (
            set(stored.target_official_ids)
            if stored is not None and stored.target_kind == TargetRuleKind.FIXED
            else set()
        )
        added = [i for i in targets.official_ids if i not in listed_before]
        found = {o.id for o in await officials_by_id(session, added)}
        missing = [i for i in added if i not in found]
        if missing:
            raise InvalidInput(
                f"no active official with id {missing[0]}", field="targets.official_ids"
            )
    values = {
        "target_kind": targets.kind,
        "target_official_ids": targets.official_ids if isinstance(targets, FixedTargets) else [],
        "target_organisation": targets.organisation
        if isinstance(targets, DivisionTargets)
        else None,
        "target_role": targets.role if isinstance(targets, RoleTargets) else None,
        "subject_template": data.subject_template,
        "body_template": data.body_template,
        "subject_editable": data.subject_editable,
        "min_length": data.min_length,
        "max_length": data.max_length,
        "required_phrases": data.required_phrases,
        "per_official_hourly_limit": data.per_official_hourly_limit,
        "per_official_daily_limit": data.per_official_daily_limit,
        "over_limit": data.over_limit,
        "updated_at": utcnow(),
    }
    return await save_one_per_campaign(session, LetterSetup, campaign.id, values)


async def choose_targets(
    session: AsyncSession, campaign: Campaign, choice: TargetChoice
) -> LetterSetup:
    """Write by a rule (a body's member for the activist's division, or a role's holders
    in their country), or keep the fixed list. A fixed list is started by adding its
    first official, so choosing one with none yet says how."""
    current = await setup_in_hand(session, campaign)
    rule: dict[str, Any]
    if choice.kind == "fixed":
        if not isinstance(current.data.targets, FixedTargets):
            raise InvalidInput(
                "find the officials in the directory below and add them: "
                "the first one added starts the list",
                field="kind",
            )
        rule = current.data.targets.model_dump()
    elif choice.kind == "division":
        if choice.organisation is None:
            raise InvalidInput("choose the body whose members it writes to", field="organisation")
        rule = {"kind": "division", "organisation": choice.organisation}
    else:
        if choice.role is None:
            raise InvalidInput("choose the role whose holders it writes to", field="role")
        rule = {"kind": "role", "role": choice.role}
    return await _save_changed(session, campaign, current, {"targets": rule})


async def add_listed_official(
    session: AsyncSession, campaign: Campaign, official_id: int
) -> LetterSetup:
    """Put an official on the fixed list; a campaign that wrote by a rule now writes to
    the list, starting with them. Adding one already listed changes nothing."""
    current = await setup_in_hand(session, campaign)
    listed = _listed(current)
    if official_id not in listed:
        if len(listed) >= _MAX_FIXED_TARGETS:
            raise InvalidInput(
                f"a fixed list holds at most {_MAX_FIXED_TARGETS} officials", field="official_id"
            )
        listed.append(official_id)
    try:
        return await _save_changed(
            session, campaign, current, {"targets": {"kind": "fixed", "official_ids": listed}}
        )
    except InvalidInput as error:
        if error.field == "targets.official_ids":
            raise InvalidInput(error.detail, field="official_id") from error
        raise


async def remove_listed_official(
    session: AsyncSession, campaign: Campaign, official_id: int
) -> LetterSetup:
    current = await setup_in_hand(session, campaign)
    listed = _listed(current)
    if official_id not in listed:
        raise NotFound("this official is not on the list", field="official_id")
    if len(listed) == 1:
        raise InvalidInput(
            "a fixed list needs one official at least: add another first, or choose a rule",
            field="official_id",
        )
    listed.remove(official_id)
    return await _save_changed(
        session, campaign, current, {"targets": {"kind": "fixed", "official_ids": listed}}
    )


async def change_template(
    session: AsyncSession, campaign: Campaign, data: LetterTemplateInput
) -> LetterSetup:
    current = await setup_in_hand(session, campaign)
    try:
        return await _save_changed(session, campaign, current, data.model_dump())
    except InvalidInput as error:
        if error.field == "required_phrases":
            # The limits were valid before: it is the new body that lost the passage.
            raise InvalidInput(
                f"{error.detail}; keep it in the body, or take it out of the required "
                "passages first",
                field="body_template",
            ) from error
        raise


async def change_limits(
    session: AsyncSession, campaign: Campaign, data: LetterLimitsInput
) -> LetterSetup:
    current = await setup_in_hand(session, campaign)
    return await _save_changed(session, campaign, current, data.model_dump())


def _listed(current: SetupInHand) -> list[int]:
    targets = current.data.targets
    return list(targets.official_ids) if isinstance(targets, FixedTargets) else []


async def _save_changed(
    session: AsyncSession, campaign: Campaign, current: SetupInHand, changes: dict[str, Any]
) -> LetterSetup:
    """The setup in hand with these parts changed, checked whole as the API checks a
    setup it is sent, and saved."""
    merged = _validated({**current.data.model_dump(), **changes})
    return await save_setup(session, campaign, merged)


def _validated(values: dict[str, Any]) -> LetterSetupInput:
    try:
        return LetterSetupInput.model_validate(values)
    except ValidationError as invalid:
        first = invalid.errors()[0]
        names = [str(part) for part in first["loc"] if isinstance(part, str)]
        # The kind in a rule's location names the union member, not a field.
        if names[:1] == ["targets"] and len(names) > 2:
            names.pop(1)
        message = str(first["msg"]).removeprefix("Value error, ")
        raise InvalidInput(message, field=".".join(names) or None) from invalid


def _ensure_letter_campaign(campaign: Campaign) -> None:
    if campaign.kind != CampaignKind.LETTER:
        raise InvalidState("only letter campaigns have a letter", field="kind")


# -- Whom a rule reaches ---------------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """The active officials a rule finds in the directory today, per country. A body's
    members are each written to by the activists of their own division only."""

    by_country: dict[str, int]
    # On a fixed list but no longer active in the directory: letters skip them.
    inactive: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_country.values())


def _targeted_by(rule: TargetRule) -> ColumnElement[bool]:
    """Which active officials the rule can ever write to, whoever the activist is."""
    chosen: ColumnElement[bool]
    if isinstance(rule, FixedTargets):
        chosen = Official.id.in_(rule.official_ids) if rule.official_ids else false()
    elif isinstance(rule, DivisionTargets):
        chosen = (Official.organisation == rule.organisation) & Official.division_id.is_not(None)
    else:
        chosen = Official.role == rule.role
    return chosen & Official.active.is_(True)


async def reach_of(session: AsyncSession, rule: TargetRule) -> Reach:
    rows = await session.execute(
        select(Official.country, func.count())
        .where(_targeted_by(rule))
        .group_by(Official.country)
        .order_by(Official.country)
    )
    by_country = {country: int(count) for country, count in rows.all()}
    inactive = 0
    if isinstance(rule, FixedTargets):
        inactive = len(set(rule.official_ids)) - sum(by_country.values())
    return Reach(by_country, inactive)


async def targeted_officials(
    session: AsyncSession, rule: TargetRule, *, limit: int = 200
) -> list[Official]:
    """Officials the rule writes to (to some activist), by name: those a preview may be
    for."""
    result = await session.scalars(
        select(Official).where(_targeted_by(rule)).order_by(Official.name, Official.id).limit(limit)
    )
    return list(result)


async def listed_officials(session: AsyncSession, rule: TargetRule) -> list[Official]:
    """A fixed list's officials by name, those no longer active included."""
    if not isinstance(rule, FixedTargets) or not rule.official_ids:
        return []
    result = await session.scalars(
        select(Official)
        .where(Official.id.in_(rule.official_ids))
        .order_by(Official.name, Official.id)
    )
    return list(result)


# -- Ready to publish ------------------------------------------------------------------------


async def ensure_ready_to_publish(session: AsyncSession, campaign: Campaign) -> None:
    """Refuse to publish a letter campaign with no setup. One whose targets find no one
    in the directory today may be published: staff may add them to the directory after
    (the setup page says how many it finds)."""
    if campaign.kind == CampaignKind.LETTER and await find_setup(session, campaign.id) is None:
        raise InvalidState(
            "set up the letter (targets and template) before publishing", field="letter"
        )


async def publishing_refusal(session: AsyncSession, campaign: Campaign) -> CampaignError | None:
    """What publishing would say now: ensure_ready_to_publish's refusal, or None."""
    try:
        await ensure_ready_to_publish(session, campaign)
    except CampaignError as refusal:
        return refusal
    return None


# -- The directory, as a setup chooses from it -----------------------------------------------


@dataclass(frozen=True)
class DirectoryValue:
    """A body or a role in the directory, with how many active officials it has."""

    value: str
    by_country: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_country.values())


async def bodies_with_divisions(session: AsyncSession) -> list[DirectoryValue]:
    """Bodies whose members represent divisions (legislatures): a division rule's choices."""
    return await _values_per_country(
        session, Official.organisation, Official.division_id.is_not(None)
    )


async def roles_held(session: AsyncSession) -> list[DirectoryValue]:
    return await _values_per_country(session, Official.role)


async def _values_per_country(
    session: AsyncSession, column: Any, *conditions: ColumnElement[bool]
) -> list[DirectoryValue]:
    rows = await session.execute(
        select(column, Official.country, func.count())
        .where(Official.active.is_(True), *conditions)
        .group_by(column, Official.country)
        .order_by(column, Official.country)
    )
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for value, country, count in rows.all():
        counts[value][country] = int(count)
    return [DirectoryValue(value, per_country) for value, per_country in counts.items()]


async def find_in_directory(session: AsyncSession, text: str, *, limit: int = 20) -> list[Official]:
    """Active officials whose name, title, body or role contains the text, by name."""
    words = text.strip()
    if not words:
        return []
    matches = [
        Official.name.icontains(words, autoescape=True),
        Official.title.icontains(words, autoescape=True),
        Official.organisation.icontains(words, autoescape=True),
    ]
    key = role_key(words)
    if key:
        matches.append(Official.role.icontains(key, autoescape=True))
    result = await session.scalars(
        select(Official)
        .where(Official.active.is_(True), or_(*matches))
        .order_by(Official.name, Official.id)
        .limit(limit)
    )
    return list(result)


# -- The letter as an official receives it ---------------------------------------------------


@dataclass(frozen=True)
class LetterPreview:
    """The template filled in for one official as a delivery is; the activist's own
    placeholders with sample values (templating.SAMPLE_ACTIVIST)."""

    official: Official
    subject: str
    body: str


async def preview_letter(
    session: AsyncSession, data: LetterSetupInput, official_id: int | None
) -> LetterPreview | None:
    """The letter for the official chosen, or for the first the targets find; None when
    they find no one."""
    query = select(Official).where(_targeted_by(data.targets))
    if official_id is not None:
        query = query.where(Official.id == official_id)
    official = await session.scalar(query.order_by(Official.name, Official.id).limit(1))
    if official is None:
        if official_id is not None:
            raise NotFound("this official is not one the letter goes to", field="preview")
        return None
    subject, body = addressed(
        data.subject_template,
        data.body_template,
        official_name=official.name,
        official_title=official.title,
        **SAMPLE_ACTIVIST,
    )
    return LetterPreview(official, subject, body)


# -- The setup page's view ------------------------------------------------------------------


@dataclass(frozen=True)
class DirectorySearch:
    """Officials found for a setup's fixed list, and which of them are on it already."""

    text: str
    found: list[Official]
    listed_ids: frozenset[int]
    writes_to_list: bool


async def search_directory(session: AsyncSession, campaign: Campaign, text: str) -> DirectorySearch:
    current = await setup_in_hand(session, campaign)
    return DirectorySearch(
        text=text,
        found=await find_in_directory(session, text),
        listed_ids=frozenset(_listed(current)),
        writes_to_list=isinstance(current.data.targets, FixedTargets),
    )


@dataclass(frozen=True)
class SetupOverview:
    """Everything the setup page shows, read in one place."""

    setup: SetupInHand
    reach: Reach
    listed: list[Official]
    bodies: list[DirectoryValue]
    roles: list[DirectoryValue]
    search: DirectorySearch
    preview_choices: list[Official]
    preview: LetterPreview | None
    preview_error: CampaignError | None
    publishing_refusal: CampaignError | None


async def setup_overview(
    session: AsyncSession,
    campaign: Campaign,
    *,
    search: str = "",
    preview_official_id: int | None = None,
) -> SetupOverview:
    current = await setup_in_hand(session, campaign)
    targets = current.data.targets
    preview_error = None
    try:
        preview = await preview_letter(session, current.data, preview_official_id)
    except NotFound as error:
        preview, preview_error = None, error
    return SetupOverview(
        setup=current,
        reach=await reach_of(session, targets),
        listed=await listed_officials(session, targets),
        bodies=await bodies_with_divisions(session),
        roles=await roles_held(session),
        search=await search_directory(session, campaign, search),
        preview_choices=await targeted_officials(session, targets),
        preview=preview,
        preview_error=preview_error,
        publishing_refusal=await publishing_refusal(session, campaign),
    )


# -- Letters drafted from a release ----------------------------------------------------

# A drafted letter may be cut down to a few lines of the activist's own, not emptied, and
# leaves room to write much more than the draft says.
_DRAFT_MIN_LENGTH = 100
_DRAFT_MAX_LENGTH = 5000
_LETTER_LIMIT = 20_000
_ROLE_KEY = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
_LEADING_DETERMINER = re.compile(r"^(the|all|every|both|any|each)\s+", re.IGNORECASE)
# The role a draft names when the directory knows no one the call is addressed to.
_UNKNOWN_ROLE = "official"


@dataclass(frozen=True)
class ProposedTargets:
    """A target rule for staff to confirm, and how many officials it finds today."""

    rule: TargetRule
    officials: int


@dataclass(frozen=True)
class DraftedLetter:
    setup: LetterSetup
    officials: int  # how many officials in the directory the proposed rule finds


async def set_up_drafted_letter(
    session: AsyncSession, campaign: Campaign, *, addressees: list[str], subject: str, body: str
) -> DraftedLetter:
    """The letter setup of a campaign drafted from a release: targets proposed from who
    the call is addressed to, the drafted letter as the template, and edit limits that
    keep the letter a letter."""
    if len(body) > _LETTER_LIMIT:
        raise InvalidInput(
            "the letter drafted from these calls is too long: draft it from fewer calls",
            field="call_ids",
        )
    proposed = await propose_targets(session, addressees)
    data = LetterSetupInput(
        targets=proposed.rule,
        subject_template=one_line(subject)[:300],
        body_template=body,
        min_length=min(_DRAFT_MIN_LENGTH, len(body.strip())),
        max_length=min(max(_DRAFT_MAX_LENGTH, 2 * len(body)), _LETTER_LIMIT),
    )
    return DraftedLetter(await save_setup(session, campaign, data), proposed.officials)


async def propose_targets(session: AsyncSession, addressees: Sequence[str]) -> ProposedTargets:
    """Who a letter to these addressees should go to, read from the directory: whoever
    holds the role they name in the activist's country ("Foreign ministers"), else the
    members of the body they name for the activist's division, else that body's
    officials. When the directory knows none of them, a role named after the first:
    valid, finding no one until staff add its holders or choose another rule."""
    found = [p for p in [await _targets_named(session, name) for name in addressees] if p]
    fixed = [p.rule for p in found if isinstance(p.rule, FixedTargets)]
    if len(found) > 1 and len(fixed) == len(found):
        # Officials of several bodies: all of them, as one list.
        ids = list(dict.fromkeys(i for rule in fixed for i in rule.official_ids))
        ids = ids[:_MAX_FIXED_TARGETS]
        return ProposedTargets(FixedTargets(kind="fixed", official_ids=ids), len(ids))
    if found:
        return found[0]
    keys = _role_keys(addressees[0]) if addressees else []
    return ProposedTargets(RoleTargets(kind="role", role=(keys or [_UNKNOWN_ROLE])[-1]), 0)


async def _targets_named(session: AsyncSession, addressee: str) -> ProposedTargets | None:
    holders = await officials_per_role(session, _role_keys(addressee))
    if holders:
        role = max(sorted(holders), key=holders.__getitem__)
        return ProposedTargets(RoleTargets(kind="role", role=role), holders[role])
    members = await officials_of_organisation(session, _without_determiner(addressee))
    if not members:
        return None
    if all(member.division_id for member in members):
        body = DivisionTargets(kind="division", organisation=members[0].organisation)
        return ProposedTargets(body, len(members))
    ids = [member.id for member in members[:_MAX_FIXED_TARGETS]]
    return ProposedTargets(FixedTargets(kind="fixed", official_ids=ids), len(ids))


def _role_keys(addressee: str) -> list[str]:
    """The role keys an addressee may stand for: "Members of Parliament" is
    members_of_parliament or member_of_parliament; "foreign ministers", foreign_minister.
    The one with every word singular comes last."""
    words = role_key(_without_determiner(addressee)).split("_")
    keys = ["_".join(words)]
    keys += ["_".join([*words[:i], _singular(w), *words[i + 1 :]]) for i, w in enumerate(words)]
    keys.append("_".join(_singular(w) for w in words))
    return [key for key in dict.fromkeys(keys) if _ROLE_KEY.match(key)]


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "as")):
        return word[:-1]
    return word


def _without_determiner(addressee: str) -> str:
    return _LEADING_DETERMINER.sub("", addressee.strip())
