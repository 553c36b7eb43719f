"""Staff's side of a petition's response: set its thresholds, write the target's
response as a draft, change it, and publish it.

Publishing puts it on the petition's page and starts a mailing to every confirmed signer
(campaign/mailings, audience `response_signers`): the worker writes its recipients a
chunk at a time, so no request waits for a million of them. The response is published
once, and its mailing made once, whoever presses the button and however often."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.campaigns.models import Campaign, CampaignKind
from campaign.campaigns.rendering import render_markdown
from campaign.db import utcnow
from campaign.errors import InvalidState, NotFound
from campaign.mailings.audience import count_recipients
from campaign.mailings.models import SUBJECT_LENGTH, Audience, Mailing
from campaign.mailings.service import MailingNumbers, mailing_numbers, start_mailing_now
from campaign.responses.models import (
    PetitionResponse,
    PetitionThreshold,
    ResponseStatus,
    ThresholdReached,
)
from campaign.responses.schemas import ResponseInput, ThresholdsInput


def ensure_petition(campaign: Campaign) -> None:
    if campaign.kind != CampaignKind.PETITION:
        raise InvalidState("thresholds and a target's response belong to petitions", field="kind")


# -- Thresholds ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ThresholdState:
    threshold: int
    # When staff were told it was reached, and the count then; None while it is not.
    reached_at: datetime | None = None
    signatures: int | None = None


async def thresholds_of(session: AsyncSession, campaign: Campaign) -> list[ThresholdState]:
    """The petition's thresholds, lowest first, each with when it was reached."""
    rows = await session.execute(
        select(
            PetitionThreshold.threshold, ThresholdReached.reached_at, ThresholdReached.signatures
        )
        .outerjoin(
            ThresholdReached,
            (ThresholdReached.campaign_id == PetitionThreshold.campaign_id)
            & (ThresholdReached.threshold == PetitionThreshold.threshold),
        )
        .where(PetitionThreshold.campaign_id == campaign.id)
        .order_by(PetitionThreshold.threshold)
    )
    return [ThresholdState(*row) for row in rows.all()]


async def reached_thresholds(session: AsyncSession, campaign: Campaign) -> list[ThresholdReached]:
    """The thresholds the petition has reached (staff were told), lowest first."""
    result = await session.scalars(
        select(ThresholdReached)
        .where(ThresholdReached.campaign_id == campaign.id)
        .order_by(ThresholdReached.threshold)
    )
    return list(result)


async def set_thresholds(
    session: AsyncSession, campaign: Campaign, data: ThresholdsInput
) -> list[ThresholdState]:
    """Replace the petition's thresholds. One reached before stays reached: staff are
    told about each threshold once, ever."""
    ensure_petition(campaign)
    wanted = set(data.thresholds)
    await session.execute(
        delete(PetitionThreshold).where(
            PetitionThreshold.campaign_id == campaign.id,
            PetitionThreshold.threshold.not_in(wanted),
        )
    )
    have = set(
        await session.scalars(
            select(PetitionThreshold.threshold).where(PetitionThreshold.campaign_id == campaign.id)
        )
    )
    session.add_all(
        PetitionThreshold(campaign_id=campaign.id, threshold=threshold)
        for threshold in sorted(wanted - have)
    )
    await session.flush()
    return await thresholds_of(session, campaign)


# -- The response --------------------------------------------------------------------------


async def response_of(session: AsyncSession, campaign: Campaign) -> PetitionResponse | None:
    return await session.scalar(
        select(PetitionResponse).where(PetitionResponse.campaign_id == campaign.id)
    )


async def get_response(session: AsyncSession, campaign: Campaign) -> PetitionResponse:
    response = await response_of(session, campaign)
    if response is None:
        raise NotFound("no response has been recorded for this petition", field="response")
    return response


async def published_response(session: AsyncSession, campaign_id: int) -> PetitionResponse | None:
    """What the petition's public page shows: the response once published."""
    return await session.scalar(
        select(PetitionResponse).where(
            PetitionResponse.campaign_id == campaign_id,
            PetitionResponse.status == ResponseStatus.PUBLISHED,
        )
    )


async def save_response(
    session: AsyncSession, campaign: Campaign, data: ResponseInput, *, created_by: int | None
) -> PetitionResponse:
    """Write the response, or change the draft. Once published it is what the signers
    were sent, and stays as it is."""
    ensure_petition(campaign)
    response = await response_of(session, campaign)
    if response is None:
        response = PetitionResponse(campaign_id=campaign.id, created_by=created_by)
        session.add(response)
    elif response.status != ResponseStatus.DRAFT:
        raise InvalidState(
            "the response is published: its signers have been sent it as it is",
            field="status",
        )
    response.body_markdown = data.body_markdown
    response.body_html = render_markdown(data.body_markdown)
    response.responded_on = data.responded_on
    response.link = str(data.link) if data.link is not None else None
    await session.flush()
    return response


async def signers_to_tell(session: AsyncSession, campaign: Campaign, *, address_key: str) -> int:
    """How many people publishing would email now: the confirmed signers whose address
    is not suppressed. Counted by the mailing's own definition of its audience."""
    audience = Mailing(campaign_id=campaign.id, audience=Audience.RESPONSE_SIGNERS, tag_ids=[])
    return await count_recipients(session, audience, address_key=address_key)


async def publish_response(
    session: AsyncSession, campaign: Campaign, *, published_by: int | None
) -> PetitionResponse:
    """On the petition's page from now, and emailed to its signers by a mailing made
    here, once: a second publish (a double click, two staff at once) finds it published
    and does nothing more."""
    response = await get_response(session, campaign)
    now = utcnow()
    # The draft → published step as one conditional UPDATE: of two at once, the second
    # waits for the first and then matches no row, so only one makes the mailing.
    result = await session.execute(
        update(PetitionResponse)
        .where(PetitionResponse.id == response.id, PetitionResponse.status == ResponseStatus.DRAFT)
        .values(status=ResponseStatus.PUBLISHED, published_at=now, modified_at=now),
        execution_options={"synchronize_session": False},
    )
    if int(getattr(result, "rowcount", 0) or 0) == 1:
        mailing = await start_mailing_now(
            session,
            campaign.id,
            subject=response_subject(campaign),
            body_markdown=response.body_markdown,
            audience=Audience.RESPONSE_SIGNERS,
            created_by=published_by,
        )
        await session.execute(
            update(PetitionResponse)
            .where(PetitionResponse.id == response.id)
            .values(mailing_id=mailing.id),
            execution_options={"synchronize_session": False},
        )
    await session.refresh(response)
    return response


async def mailing_numbers_of(
    session: AsyncSession, response: PetitionResponse
) -> MailingNumbers | None:
    """The numbers of the mailing that told the signers; None before it is published."""
    if response.mailing_id is None:
        return None
    mailing = await session.get(Mailing, response.mailing_id)
    return await mailing_numbers(session, mailing) if mailing is not None else None


def response_subject(campaign: Campaign) -> str:
    """“<target> responded to '<petition>'”, shortened to fit a subject line."""
    subject = f"{campaign.target} responded to '{campaign.title}'"
    if len(subject) <= SUBJECT_LENGTH:
        return subject
    room = SUBJECT_LENGTH - len(f"{campaign.target} responded to '…'")
    if room >= 20:
        return f"{campaign.target} responded to '{campaign.title[:room].rstrip()}…'"
    return subject[: SUBJECT_LENGTH - 1].rstrip() + "…"


async def with_response_details(
    session: AsyncSession, contents: Mapping[int, Mapping[str, Any]], public_url: str
) -> dict[int, Mapping[str, Any]]:
    """A mailing's shared values (campaign/mailings/service.mailing_contents), with,
    for a petition's response, who responded, when, the link, and the petition's page."""
    found = dict(contents)
    if not found:
        return found
    rows = await session.execute(
        select(
            PetitionResponse.mailing_id,
            PetitionResponse.responded_on,
            PetitionResponse.link,
            Campaign.target,
            Campaign.slug,
        )
        .join(Campaign, Campaign.id == PetitionResponse.campaign_id)
        .where(PetitionResponse.mailing_id.in_(list(found)))
    )
    for mailing_id, responded_on, link, target, slug in rows.all():
        assert mailing_id is not None
        found[mailing_id] = {
            **found[mailing_id],
            "target": target,
            # Written for the language with the email (emails/render.py).
            "responded_on": responded_on.isoformat(),
            "link": link,
            "petition_url": f"{public_url}/c/{slug}",
        }
    return found
