"""Releases: take one in, find its calls to action, let staff review them, and turn
them into draft campaigns. Nothing here publishes anything."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.campaigns.models import Campaign, CampaignKind
from campaign.campaigns.schemas import CampaignCreate
from campaign.campaigns.service import create_campaign, suggest_slug
from campaign.errors import Conflict, InvalidInput, InvalidState, NotFound
from campaign.extraction import Extractor, MultilingualExtractor, detect_language
from campaign.extraction.extractor import load_pipeline
from campaign.extraction.models import CallToAction, Strength, Verdict
from campaign.letters.service import DraftedLetter, set_up_drafted_letter
from campaign.releases.drafting import (
    Draft,
    addressees_of,
    draft_for,
    same_addressee,
    unique_addressees,
)
from campaign.releases.models import (
    OPEN_FOR_REVIEW,
    CallStatus,
    CallToActionRecord,
    Release,
    ReleaseFormat,
)
from campaign.releases.passages import Span, repeats, span_at, span_of
from campaign.releases.schemas import (
    CallMerge,
    CallSelection,
    CallUpdate,
    DraftRequest,
    ReleaseSubmission,
    ReleaseUpdate,
)
from campaign.releases.text import content_hash, headline_of, text_of

# When calls are merged, the strongest wording stands for the merged one.
_STRENGTH_ORDER = [
    Strength.OTHER,
    Strength.SHOULD,
    Strength.MUST,
    Strength.CALL,
    Strength.URGE,
    Strength.DEMAND,
]


async def ingest_release(
    session: AsyncSession, data: ReleaseSubmission, extractor: Extractor
) -> tuple[Release, bool]:
    """Store the release and its calls to action. Returns (release, created); a release
    seen before (same text) is returned as it is, with the review work done on it."""
    text = text_of(data.content, data.format)
    digest = content_hash(text)
    existing = await _release_by_hash(session, digest)
    if existing is not None:
        return existing, False
    language = data.language or detect_language(text)
    # The parser is CPU-bound: run it off the event loop so other requests go on.
    calls = await asyncio.to_thread(_extract_serially, extractor, text, data.organisation, language)
    release = Release(
        content_hash=digest,
        title=_title(text, data.title),
        organisation=data.organisation,
        published_on=data.published_on,
        language=language,
        source_format=data.format.value,
        source_url=str(data.source_url) if data.source_url else None,
        submitted=data.content,
        text=text,
    )
    try:
        async with session.begin_nested():
            session.add(release)
            await session.flush()
    except IntegrityError:
        # The same release submitted twice at once: the other request stored it.
        stored = await _release_by_hash(session, digest)
        assert stored is not None
        return stored, False
    session.add_all(_record(release.id, call) for call in calls)
    await session.flush()
    return release, True


def suggested_title(content: str, source_format: ReleaseFormat) -> str | None:
    """The title a release would get if submitted now without one: a form can show it
    before it is sent, and it is the one the release then gets."""
    return _title(text_of(content, source_format), None)


def _title(text: str, given: str | None) -> str | None:
    # Staff need not retype what the release says at its top.
    return given or headline_of(text)


async def update_release(session: AsyncSession, release: Release, data: ReleaseUpdate) -> Release:
    """Correct a release's details. Its calls stay as they were found: the organisation
    and title are read again when a campaign is drafted from them."""
    changes = data.model_dump(exclude_unset=True)
    if "language" in changes:
        if changes["language"] is None:
            raise InvalidInput("a release is in a language, such as en", field="language")
        release.language = changes["language"]
    if "title" in changes:
        release.title = _title(release.text, changes["title"])
    if "organisation" in changes:
        release.organisation = changes["organisation"]
    if "published_on" in changes:
        release.published_on = changes["published_on"]
    await session.flush()
    return release


# One parse at a time per process: spaCy pipelines are not documented as thread-safe.
_PARSER_LOCK = threading.Lock()


def _extract_serially(
    extractor: Extractor, text: str, organisation: str | None, language: str
) -> list[CallToAction]:
    with _PARSER_LOCK:
        if isinstance(extractor, MultilingualExtractor):
            # The release's language, as given or told: the rules read it in that one.
            return extractor.extract(text, organisation=organisation, language=language)
        return extractor.extract(text, organisation=organisation)


def _record(release_id: int, call: CallToAction) -> CallToActionRecord:
    return CallToActionRecord(
        release_id=release_id,
        sentence=call.sentence,
        start=call.start,
        end=call.end,
        targets=list(call.targets),
        resolved_targets=list(call.resolved_targets),
        action=call.action,
        strength=call.strength.value,
        confidence=round(call.confidence, 3),
        reason=call.reason,
        status=_status_found(call),
        edited=False,
    )


def _status_found(call: CallToAction) -> CallStatus:
    # Whatever the extractor does not mark as uncertain is put to staff as a call.
    return CallStatus.POSSIBLE if call.status == Verdict.POSSIBLE else CallStatus.PROPOSED


async def _release_by_hash(session: AsyncSession, digest: str) -> Release | None:
    result = await session.execute(select(Release).where(Release.content_hash == digest))
    return result.scalar_one_or_none()


async def get_release(session: AsyncSession, release_id: int) -> Release:
    release = await session.get(Release, release_id)
    if release is None:
        raise NotFound("no such release", field="release_id")
    return release


async def list_releases(session: AsyncSession, *, limit: int, offset: int) -> Sequence[Release]:
    result = await session.execute(
        select(Release).order_by(Release.id.desc()).limit(limit).offset(offset)
    )
    return result.scalars().all()


async def calls_of(
    session: AsyncSession, release_id: int, *, status: CallStatus | None = None
) -> Sequence[CallToActionRecord]:
    query = select(CallToActionRecord).where(CallToActionRecord.release_id == release_id)
    if status is not None:
        query = query.where(CallToActionRecord.status == status)
    result = await session.execute(query.order_by(CallToActionRecord.start, CallToActionRecord.id))
    return result.scalars().all()


async def drafted_campaign_slugs(
    session: AsyncSession, calls: Sequence[CallToActionRecord]
) -> dict[int, str]:
    """The slug of each campaign drafted from these calls, by the campaign's id."""
    ids = {call.campaign_id for call in calls if call.campaign_id is not None}
    if not ids:
        return {}
    found = await session.execute(select(Campaign.id, Campaign.slug).where(Campaign.id.in_(ids)))
    return {campaign_id: slug for campaign_id, slug in found.all()}


async def get_call(session: AsyncSession, call_id: int) -> CallToActionRecord:
    call = await session.get(CallToActionRecord, call_id)
    if call is None:
        raise NotFound("no such call to action", field="call_id")
    return call


async def update_call(
    session: AsyncSession, call: CallToActionRecord, data: CallUpdate
) -> CallToActionRecord:
    """Staff correct what the extractor read. Only what differs is changed: targets sent
    back as they were keep what their pronouns stand for."""
    _ensure_open_for_review(call)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "targets" in changes and list(changes["targets"]) != call.targets:
        call.targets = list(changes["targets"])
        call.resolved_targets = []  # staff named the targets themselves
        call.edited = True
    if "action" in changes and changes["action"] != call.action:
        call.action = changes["action"]
        call.edited = True
    if "strength" in changes and Strength(changes["strength"]).value != call.strength:
        call.strength = Strength(changes["strength"]).value
        call.edited = True
    await session.flush()
    return call


async def accept_call(session: AsyncSession, call: CallToActionRecord) -> CallToActionRecord:
    """Staff say this is a call to action: decided, and ready to be drafted from."""
    _ensure_open_for_review(call)
    call.status = CallStatus.ACCEPTED
    await session.flush()
    return call


async def reject_call(session: AsyncSession, call: CallToActionRecord) -> CallToActionRecord:
    _ensure_open_for_review(call)
    call.status = CallStatus.REJECTED
    await session.flush()
    return call


async def promote_call(session: AsyncSession, call: CallToActionRecord) -> CallToActionRecord:
    """Staff say a call the extractor was unsure of is one: it joins the proposed calls."""
    if call.status != CallStatus.POSSIBLE:
        raise InvalidState(
            f"only a possible call can be promoted; this one is {call.status}", field="status"
        )
    call.status = CallStatus.PROPOSED
    await session.flush()
    return call


# A call staff add has no extractor's doubt about it.
_STAFF_CONFIDENCE = 1.0


async def add_call(
    session: AsyncSession, release: Release, data: CallSelection, extractor: Extractor
) -> CallToActionRecord:
    """A call staff found that the extractor missed, from a passage of the release. What
    staff say of it stands; what they leave out is what the extractor reads in the
    passage alone, or nothing."""
    span = _span_chosen(release.text, data)
    await _ensure_no_open_call_repeated(session, release.id, span)
    sentence = release.text[span.start : span.end]
    read = await _read_by_extractor(extractor, sentence, release, data)
    call = CallToActionRecord(
        release_id=release.id,
        sentence=sentence,
        start=span.start,
        end=span.end,
        targets=list(data.targets) if data.targets is not None else list(read.targets),
        resolved_targets=[] if data.targets is not None else list(read.resolved_targets),
        action=data.action if data.action is not None else read.action,
        strength=(data.strength or read.strength).value,
        confidence=_STAFF_CONFIDENCE,
        reason="staff",
        status=CallStatus.PROPOSED,
        edited=True,
    )
    session.add(call)
    await session.flush()
    return call


def _span_chosen(text: str, data: CallSelection) -> Span:
    if data.sentence is not None:
        if data.start is not None or data.end is not None:
            raise InvalidInput("send either start and end, or the sentence", field="sentence")
        return span_of(text, data.sentence)
    if data.start is None:
        raise InvalidInput("send start and end, or the sentence", field="start")
    if data.end is None:
        raise InvalidInput("send end with start", field="end")
    return span_at(text, data.start, data.end)


async def _ensure_no_open_call_repeated(session: AsyncSession, release_id: int, span: Span) -> None:
    for call in await calls_of(session, release_id):
        if call.status in OPEN_FOR_REVIEW and repeats(span, Span(call.start, call.end)):
            raise Conflict(
                f"most of this passage is call {call.id}, still under review: "
                "edit or merge that one instead",
                field="start",
            )


async def _read_by_extractor(
    extractor: Extractor, sentence: str, release: Release, data: CallSelection
) -> CallToAction:
    """The extractor's reading of the passage, or a blank one; not asked when staff
    gave everything it could tell."""
    blank = CallToAction(sentence=sentence, start=0, end=len(sentence))
    if data.targets is not None and data.action is not None and data.strength is not None:
        return blank
    # A passage alone is too short to tell its language: it is in the release's.
    found = await asyncio.to_thread(
        _extract_serially, extractor, sentence, release.organisation, release.language
    )
    return found[0] if found else blank


async def merge_calls(
    session: AsyncSession, data: CallMerge, *, of_release: Release | None = None
) -> CallToActionRecord:
    """Fold several calls of one release (`of_release`, when the caller has one in
    hand) into the first: its span covers them all, its targets are all of theirs (a
    pronoun as what it stands for, so "They" meaning Governments and "Governments" are
    one), its action joins theirs. It stands as the most decided of them: accepted if
    one was, proposed if one was, else possible."""
    calls = await _calls_for_use(session, data.call_ids, field="call_ids")
    if of_release is not None and any(call.release_id != of_release.id for call in calls):
        raise InvalidInput("every call must come from this release", field="call_ids")
    for call in calls:
        if call.campaign_id is not None:
            # Its campaign was written from its words: they must not change under it.
            raise InvalidState(f"call {call.id} has been drafted into a campaign", field="call_ids")
    kept, *others = sorted(calls, key=lambda c: (c.start, c.id))
    release = await get_release(session, kept.release_id)
    kept.start = min(c.start for c in calls)
    kept.end = max(c.end for c in calls)
    kept.sentence = release.text[kept.start : kept.end]
    kept.targets = unique_addressees([t for c in calls for t in addressees_of(c)])
    kept.resolved_targets = []  # the pronouns are resolved into the targets above
    kept.action = "; ".join(_unique([c.action for c in calls if c.action]))
    kept.strength = max((Strength(c.strength) for c in calls), key=_STRENGTH_ORDER.index).value
    kept.confidence = min(c.confidence for c in calls)
    kept.status = min((CallStatus(c.status) for c in calls), key=_DECIDEDNESS.index)
    kept.edited = True
    for other in others:
        other.status = CallStatus.MERGED
        other.merged_into_id = kept.id
    await session.flush()
    return kept


# The status a merged call keeps, most decided first.
_DECIDEDNESS = [CallStatus.ACCEPTED, CallStatus.PROPOSED, CallStatus.POSSIBLE]


@dataclass(frozen=True)
class DraftedCampaign:
    campaign: Campaign
    calls: list[CallToActionRecord]
    # A letter campaign's setup, made with it, and how many officials its rule finds.
    letter: DraftedLetter | None


async def draft_campaign(
    session: AsyncSession, release: Release, data: DraftRequest
) -> DraftedCampaign:
    """A draft campaign (never published here) from one call, or several calls to the
    same target, linked back to the release. A letter campaign gets its letter set up
    too (targets proposed from the directory, the drafted letter as the template), so
    staff review it rather than write it."""
    calls = await _calls_for_use(session, data.call_ids, field="call_ids")
    if any(call.release_id != release.id for call in calls):
        raise InvalidInput("every call must come from this release", field="call_ids")
    _ensure_same_targets(calls)
    # Drafting parses each action: off the event loop, one parse at a time.
    draft = await asyncio.to_thread(_draft_serially, release, calls, CampaignKind(data.kind))
    slug = data.slug or await suggest_slug(session, draft.slug_source)
    campaign = await create_campaign(
        session,
        CampaignCreate(
            slug=slug,
            kind=data.kind,
            title=draft.title,
            summary=draft.summary,
            body_markdown=draft.body_markdown,
            target=draft.target,
            language=release.language,
        ),
    )
    campaign.release_id = release.id
    letter = None
    if draft.letter is not None:
        letter = await set_up_drafted_letter(
            session,
            campaign,
            addressees=draft.addressees,
            subject=draft.letter.subject,
            body=draft.letter.body,
        )
    for call in calls:
        call.status = CallStatus.ACCEPTED
        call.campaign_id = campaign.id
    await session.flush()
    return DraftedCampaign(campaign, calls, letter)


def _draft_serially(release: Release, calls: list[CallToActionRecord], kind: CampaignKind) -> Draft:
    with _PARSER_LOCK:
        return draft_for(release, calls, kind, load_pipeline())


async def _calls_for_use(
    session: AsyncSession, call_ids: list[int], *, field: str
) -> list[CallToActionRecord]:
    if len(set(call_ids)) != len(call_ids):
        raise InvalidInput("a call is named twice", field=field)
    # In the release's order: the first call in the text leads a draft's title and
    # wording, whichever order the ids were ticked or sent in.
    result = await session.execute(
        select(CallToActionRecord)
        .where(CallToActionRecord.id.in_(call_ids))
        .order_by(CallToActionRecord.start, CallToActionRecord.id)
    )
    calls = list(result.scalars())
    if len(calls) != len(call_ids):
        raise NotFound("no such call to action", field=field)
    if len({c.release_id for c in calls}) != 1:
        raise InvalidInput("the calls come from different releases", field=field)
    for call in calls:
        if call.status in {CallStatus.REJECTED, CallStatus.MERGED}:
            raise InvalidState(f"call {call.id} is {call.status}", field=field)
    return calls


def _ensure_open_for_review(call: CallToActionRecord) -> None:
    if call.status not in OPEN_FOR_REVIEW:
        raise InvalidState(f"this call is {call.status} and can no longer change", field="status")


def _ensure_same_targets(calls: list[CallToActionRecord]) -> None:
    # Compared as resolved: "They" standing for Governments is Governments.
    addressees = {frozenset(map(same_addressee, addressees_of(call))) for call in calls}
    if len(addressees) > 1:
        raise InvalidInput("calls in one campaign must have the same targets", field="call_ids")


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))
