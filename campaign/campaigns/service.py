"""Campaigns: create, change, publish and close."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.campaigns.models import Campaign, CampaignState, CampaignVersion
from campaign.campaigns.schemas import CampaignCreate, CampaignUpdate
from campaign.consents.service import current_consent_text, get_consent_text
from campaign.db import utcnow
from campaign.errors import Conflict, InvalidInput, InvalidState, NotFound

# Fields a change may empty (`null`); the others, once set, must stay set.
_REMOVABLE = frozenset({"signature_goal", "share_text"})
# Taken by the dashboard's own page for a new campaign (/staff/campaigns/new).
_RESERVED_SLUGS = frozenset({"new"})

# The only moves a campaign's state can make.
_TRANSITIONS = {
    CampaignState.DRAFT: {CampaignState.PUBLISHED, CampaignState.CLOSED},
    CampaignState.PUBLISHED: {CampaignState.CLOSED},
    CampaignState.CLOSED: set(),
}


async def create_campaign(session: AsyncSession, data: CampaignCreate) -> Campaign:
    await _ensure_slug_free(session, data.slug)
    if data.consent_text_id is not None:
        consent_text_id = (await get_consent_text(session, data.consent_text_id)).id
    else:
        consent_text_id = (await current_consent_text(session, data.language)).id
    campaign = Campaign(
        **data.model_dump(exclude={"consent_text_id"}),
        consent_text_id=consent_text_id,
        state=CampaignState.DRAFT,
    )
    session.add(campaign)
    await _flush_or_conflict(session, data.slug)
    return campaign


async def get_campaign(session: AsyncSession, slug: str) -> Campaign:
    campaign = (
        await session.execute(select(Campaign).where(Campaign.slug == slug))
    ).scalar_one_or_none()
    if campaign is None:
        raise NotFound(f"no campaign with slug {slug!r}", field="slug")
    return campaign


async def get_public_campaign(session: AsyncSession, slug: str) -> Campaign:
    """A campaign the public may see (see is_public); any other does not exist for them."""
    campaign = await get_campaign(session, slug)
    if not is_public(campaign):
        raise NotFound(f"no campaign with slug {slug!r}", field="slug")
    return campaign


def is_public(campaign: Campaign) -> bool:
    """Published, or closed after having been published (its page stays readable). A
    campaign never published is never public, not even once closed."""
    if campaign.state == CampaignState.PUBLISHED:
        return True
    return campaign.state == CampaignState.CLOSED and campaign.first_published_at is not None


async def list_campaigns(
    session: AsyncSession, *, state: CampaignState | None, limit: int, offset: int
) -> Sequence[Campaign]:
    query = select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc())
    if state is not None:
        query = query.where(Campaign.state == state)
    result = await session.execute(query.limit(limit).offset(offset))
    return result.scalars().all()


async def update_campaign(
    session: AsyncSession, campaign: Campaign, data: CampaignUpdate
) -> Campaign:
    if campaign.state == CampaignState.CLOSED:
        raise InvalidState("a closed campaign cannot be changed", field="state")
    changes = data.model_dump(exclude_unset=True)
    if "slug" in changes and changes["slug"] != campaign.slug:
        if campaign.state != CampaignState.DRAFT:
            # Refused rather than redirected: besides its page, the slug is the address of
            # the public API that organisations' own sites post signatures to and of the
            # embedded form, which a redirect would not carry across.
            raise InvalidState(
                "the address is fixed once the campaign is published: links, emails and "
                "embedded forms point at it",
                field="slug",
            )
        await _ensure_slug_free(session, changes["slug"])
    if changes.get("language") and changes["language"] != campaign.language:
        await _ensure_no_version_in(session, campaign, changes["language"])
    if changes.get("consent_text_id") is not None:
        await get_consent_text(session, changes["consent_text_id"])
    required = ("title", "summary", "body_markdown", "target", "language", "postcode_mode")
    for field in (*required, "ask_signers_to_be_named"):
        if field in changes and changes[field] is None:
            raise InvalidInput(f"{field} cannot be removed", field=field)
    for field, value in changes.items():
        if value is not None or field in _REMOVABLE:
            setattr(campaign, field, value)
    await _flush_or_conflict(session, campaign.slug)
    return campaign


async def _ensure_no_version_in(session: AsyncSession, campaign: Campaign, language: str) -> None:
    """A campaign's own language is its primary version: it cannot also be one of its
    other versions' (campaign.campaigns.versions)."""
    found = await session.scalar(
        select(CampaignVersion.id).where(
            CampaignVersion.campaign_id == campaign.id,
            func.lower(CampaignVersion.language) == language.lower(),
        )
    )
    if found is not None:
        raise Conflict(
            f"this campaign has a version in {language!r}: remove it before making "
            "that the campaign's own language",
            field="language",
        )


async def publish_campaign(session: AsyncSession, campaign: Campaign) -> Campaign:
    """The state change alone; campaigns.flows.publish is the verb, with its checks."""
    _move(campaign, CampaignState.PUBLISHED)
    campaign.published_at = utcnow()
    if campaign.first_published_at is None:
        campaign.first_published_at = campaign.published_at
    await session.flush()
    return campaign


async def close_campaign(session: AsyncSession, campaign: Campaign) -> Campaign:
    _move(campaign, CampaignState.CLOSED)
    campaign.closed_at = utcnow()
    await session.flush()
    return campaign


def ensure_may_become(campaign: Campaign, target: CampaignState) -> None:
    current = CampaignState(campaign.state)
    if target not in _TRANSITIONS[current]:
        raise InvalidState(
            f"a {current.value} campaign cannot become {target.value}", field="state"
        )


def _move(campaign: Campaign, target: CampaignState) -> None:
    ensure_may_become(campaign, target)
    campaign.state = target


async def suggest_slug(session: AsyncSession, title: str) -> str:
    """A free slug made of the title's words: "the-county-council-drop", or with "-2"."""
    base = _slugify(title)
    taken = _RESERVED_SLUGS | set(
        (await session.execute(select(Campaign.slug).where(Campaign.slug.like(f"{base}%"))))
        .scalars()
        .all()
    )
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


_SLUG_LIMIT = 60
# Where a title's phrases meet ("States: Act now, to end the genocide"): a shortened
# slug ends at one of these rather than wherever the length ran out.
_PHRASE_BREAK = re.compile(r"[,;:()–—]|\s-\s")
# Words a slug must not end on: they promise more ("...-bring-about-a").
_DANGLING_WORDS = frozenset(
    {"a", "an", "the", "to", "and", "or", "but", "of", "for", "in", "on", "at", "by", "with"}
    | {"from", "into", "about", "that", "which", "its", "their", "his", "her", "your", "our"}
)


def _slugify(title: str) -> str:
    """Whole words only (a slug is read by people too), at most _SLUG_LIMIT characters;
    a title too long for that is cut where a phrase ends, else before a word that would
    leave it dangling."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    phrases = [_words(phrase) for phrase in _PHRASE_BREAK.split(ascii_title)]
    words = [word for phrase in phrases for word in phrase]
    if len("-".join(words)) > _SLUG_LIMIT:
        words = _shortened(phrases)
    slug = "-".join(words)
    return slug if len(slug) >= 3 else "campaign"


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _shortened(phrases: list[list[str]]) -> list[str]:
    kept: list[str] = []
    whole: list[str] = []  # the words of the phrases kept whole
    for phrase in phrases:
        for word in phrase:
            if len("-".join([*kept, word])) > _SLUG_LIMIT:
                return _without_dangling(whole if len(whole) >= 3 else kept)
            kept.append(word)
        whole = list(kept)
    return _without_dangling(kept)


def _without_dangling(words: list[str]) -> list[str]:
    while len(words) > 1 and words[-1] in _DANGLING_WORDS:
        words = words[:-1]
    return words


async def _ensure_slug_free(session: AsyncSession, slug: str) -> None:
    if slug in _RESERVED_SLUGS:
        raise Conflict(f"the slug {slug!r} is reserved", field="slug")
    taken = await session.execute(select(Campaign.id).where(Campaign.slug == slug))
    if taken.first() is not None:
        raise Conflict(f"the slug {slug!r} is already used", field="slug")


async def _flush_or_conflict(session: AsyncSession, slug: str) -> None:
    # The check above can lose a race with a concurrent create; the unique index cannot.
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as error:
        raise Conflict(f"the slug {slug!r} is already used", field="slug") from error
