"""A campaign's language versions: the same campaign's texts in other languages, one count
for all of them. The campaign's own language and texts are its primary version; each
other version is a row of campaign_versions.

`choose_version` is the one rule for which version a page shows; the verbs below add,
change and remove versions for staff. Every version's consent wording is the newest in
its language (campaign.consents), except the primary version's, which staff choose on the
campaign itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.campaigns.models import Campaign, CampaignState, CampaignVersion
from campaign.campaigns.schemas import (
    CampaignVersionCreate,
    CampaignVersionUpdate,
    canonical_language,
)
from campaign.consents.models import ConsentText
from campaign.consents.service import current_consent_text, newest_consent_text
from campaign.errors import Conflict, InvalidInput, InvalidState, NotFound
from campaign.i18n import negotiate_language

# Fields a change may empty (`null`); the others, once set, must stay set.
_REMOVABLE = frozenset({"share_text", "letter_subject", "letter_body"})


@dataclass(frozen=True)
class ShownVersion:
    """The texts of one version, as a page shows them; the primary version's are the
    campaign's own. A letter's subject or body is None where the version has none of its
    own: the letter setup's is shown."""

    language: str
    title: str
    summary: str
    body_markdown: str
    share_text: str | None
    letter_subject: str | None = None
    letter_body: str | None = None
    primary: bool = False

    @classmethod
    def primary_of(cls, campaign: Campaign) -> ShownVersion:
        return cls(
            language=campaign.language,
            title=campaign.title,
            summary=campaign.summary,
            body_markdown=campaign.body_markdown,
            share_text=campaign.share_text,
            primary=True,
        )

    @classmethod
    def of(cls, version: CampaignVersion) -> ShownVersion:
        return cls(
            language=version.language,
            title=version.title,
            summary=version.summary,
            body_markdown=version.body_markdown,
            share_text=version.share_text,
            letter_subject=version.letter_subject,
            letter_body=version.letter_body,
        )


@dataclass(frozen=True)
class VersionChoice:
    """The version a page shows, every version it could show (primary first), and
    whether the browser's Accept-Language decided it: then the answer varies by that
    header and must say so (Vary)."""

    shown: ShownVersion
    versions: tuple[ShownVersion, ...]
    negotiated: bool

    @property
    def others(self) -> tuple[ShownVersion, ...]:
        return tuple(v for v in self.versions if v.language != self.shown.language)


def choose_version(
    campaign: Campaign,
    versions: Sequence[CampaignVersion],
    requested: str | None,
    accept_language: str | None,
) -> VersionChoice:
    """Which version a page shows: the one asked for by name (?lang=fr, the links
    between versions), else the one the browser prefers among the campaign's versions
    (only when it has several), else the primary version.

    A name that is no version of this campaign is not an error (links get cut and
    edited): the page is chosen as if none had been asked for."""
    every = (ShownVersion.primary_of(campaign), *(ShownVersion.of(v) for v in versions))
    by_language = {version.language.lower(): version for version in every}
    if requested and (explicit := by_language.get(requested.strip().lower())) is not None:
        return VersionChoice(explicit, every, negotiated=False)
    if len(every) == 1:
        return VersionChoice(every[0], every, negotiated=False)
    language = negotiate_language(
        accept_language, [version.language for version in every], campaign.language
    )
    return VersionChoice(by_language[language.lower()], every, negotiated=True)


def version_language(campaign_language: str, languages: Sequence[str], given: str | None) -> str:
    """The version a signature names, as stored: the primary one when none is named. A
    name that is no version of the campaign is refused, naming the field. `languages`:
    every version's, the primary's among them or not."""
    if given is None:
        return campaign_language
    every = tuple(dict.fromkeys((campaign_language, *languages)))
    for language in every:
        if language.lower() == given.strip().lower():
            return language
    known = ", ".join(every)
    raise InvalidInput(
        f"this campaign has no version in {given!r}; its versions are: {known}",
        field="language",
    )


# -- Reading ------------------------------------------------------------------------------


async def list_versions(session: AsyncSession, campaign_id: int) -> list[CampaignVersion]:
    """A campaign's other versions, by language."""
    found = await session.scalars(
        select(CampaignVersion)
        .where(CampaignVersion.campaign_id == campaign_id)
        .order_by(CampaignVersion.language)
    )
    return list(found)


async def get_version(session: AsyncSession, campaign: Campaign, language: str) -> CampaignVersion:
    version = await session.scalar(
        select(CampaignVersion).where(
            CampaignVersion.campaign_id == campaign.id,
            CampaignVersion.language == canonical_language(language),
        )
    )
    if version is None:
        raise NotFound(f"this campaign has no version in {language!r}", field="language")
    return version


async def consent_text_for(session: AsyncSession, campaign: Campaign, language: str) -> ConsentText:
    """The consent wording the signing form shows in a version: the one staff chose for
    the campaign in its primary version, the newest in the version's language in another
    (a new wording published for French is shown on French versions from then on)."""
    if language == campaign.language:
        text = await session.get(ConsentText, campaign.consent_text_id)
        if text is not None:
            return text
    return await current_consent_text(session, language)


async def consent_texts_by_version(
    session: AsyncSession, campaign: Campaign, versions: Sequence[CampaignVersion]
) -> Mapping[str, int]:
    """Each version's consent text id, read only (no default wording is written here:
    adding a version writes its language's). For the signing API's cached campaign."""
    found = {campaign.language: campaign.consent_text_id}
    for version in versions:
        text = await newest_consent_text(session, version.language)
        found[version.language] = text.id if text is not None else campaign.consent_text_id
    return found


# -- Staff's verbs ------------------------------------------------------------------------


async def add_version(
    session: AsyncSession, campaign: Campaign, data: CampaignVersionCreate
) -> CampaignVersion:
    _ensure_changeable(campaign)
    if data.language.lower() == campaign.language.lower():
        raise Conflict(
            f"{data.language!r} is the campaign's own language: its texts are the campaign's",
            field="language",
        )
    # The version's consent wording, written now if the language has none yet, so the
    # signing path (which only reads) finds it.
    await current_consent_text(session, data.language)
    version = CampaignVersion(campaign_id=campaign.id, **data.model_dump())
    session.add(version)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as error:
        raise Conflict(
            f"this campaign already has a version in {data.language!r}", field="language"
        ) from error
    return version


async def update_version(
    session: AsyncSession, campaign: Campaign, version: CampaignVersion, data: CampaignVersionUpdate
) -> CampaignVersion:
    _ensure_changeable(campaign)
    for field, value in data.model_dump(exclude_unset=True).items():
        if value is None and field not in _REMOVABLE:
            raise InvalidInput(f"{field} cannot be removed", field=field)
        setattr(version, field, value)
    await session.flush()
    return version


async def remove_version(
    session: AsyncSession, campaign: Campaign, version: CampaignVersion
) -> None:
    """The version's page goes; its signatures stay, counted with the campaign, and
    still say the language they were made in."""
    _ensure_changeable(campaign)
    await session.delete(version)
    await session.flush()


def _ensure_changeable(campaign: Campaign) -> None:
    if campaign.state == CampaignState.CLOSED:
        raise InvalidState("a closed campaign cannot be changed", field="state")
