"""Staff's side of mailings: write one, see who it would reach, send a test copy to
yourself, send it now or at a time, cancel it, and read its numbers.

No request waits for the recipients: sending a mailing only marks it, and the worker
writes its recipients into the outbox (campaign/mailings/enqueue.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.campaigns.models import Campaign
from campaign.campaigns.rendering import render_markdown
from campaign.db import utcnow
from campaign.errors import InvalidInput, InvalidState, NotFound
from campaign.inbox.models import EmailEvent
from campaign.mailings.audience import count_recipients
from campaign.mailings.models import Audience, Mailing, MailingStatus
from campaign.mailings.schemas import MailingInput, MailingSend
from campaign.outbox.models import EmailKind, OutboxMessage, OutboxStatus
from campaign.outbox.service import enqueue_email
from campaign.staff.models import StaffUser
from campaign.tags.models import Tag
from campaign.tags.service import normalise_tag_name

# While a mailing is a draft or scheduled, it can still be changed.
EDITABLE = frozenset({MailingStatus.DRAFT, MailingStatus.SCHEDULED})
CANCELLABLE = frozenset({MailingStatus.SCHEDULED, MailingStatus.SENDING, MailingStatus.SENT})


async def create_mailing(
    session: AsyncSession, campaign: Campaign, data: MailingInput, *, created_by: int | None
) -> Mailing:
    mailing = Mailing(campaign_id=campaign.id, created_by=created_by)
    await _apply(session, mailing, data)
    session.add(mailing)
    await session.flush()
    return mailing


async def update_mailing(session: AsyncSession, mailing: Mailing, data: MailingInput) -> Mailing:
    if mailing.status not in EDITABLE:
        raise InvalidState(
            f"a mailing that is {mailing.status} can no longer be changed", field="status"
        )
    await _apply(session, mailing, data)
    await session.flush()
    return mailing


async def _apply(session: AsyncSession, mailing: Mailing, data: MailingInput) -> None:
    mailing.subject = data.subject
    mailing.body_markdown = data.body_markdown
    mailing.body_html = render_markdown(data.body_markdown)
    mailing.sender_name = data.sender_name
    mailing.audience = data.audience
    mailing.tag_ids = await _tag_ids(session, data.tags)
    mailing.country = data.country
    mailing.source = data.source


async def _tag_ids(session: AsyncSession, names: Iterable[str]) -> list[int]:
    wanted = {normalise_tag_name(name): name for name in names}
    if not wanted:
        return []
    found = dict(
        (
            await session.execute(
                select(Tag.name_normalised, Tag.id).where(Tag.name_normalised.in_(wanted))
            )
        ).all()
    )
    missing = [name for key, name in wanted.items() if key not in found]
    if missing:
        raise InvalidInput(f"no tag named {missing[0]!r}", field="tags")
    return sorted(found.values())


async def tag_names(session: AsyncSession, mailing: Mailing) -> list[str]:
    if not mailing.tag_ids:
        return []
    result = await session.scalars(
        select(Tag.name).where(Tag.id.in_(list(mailing.tag_ids))).order_by(Tag.name)
    )
    return list(result)


async def get_mailing(session: AsyncSession, campaign: Campaign, mailing_id: int) -> Mailing:
    mailing = await session.get(Mailing, mailing_id)
    if mailing is None or mailing.campaign_id != campaign.id:
        raise NotFound("no such mailing", field="mailing_id")
    return mailing


async def list_mailings(session: AsyncSession, campaign: Campaign) -> list[Mailing]:
    result = await session.scalars(
        select(Mailing).where(Mailing.campaign_id == campaign.id).order_by(Mailing.id.desc())
    )
    return list(result)


async def audience_size(session: AsyncSession, mailing: Mailing, *, address_key: str) -> int:
    """Who it would reach if it went now; once sending, the recipients it was written to
    so far are in `mailing.recipients` instead. `address_key`: the key of the addresses'
    keyed hashes, by which an erased address that came back is left out."""
    return await count_recipients(session, mailing, address_key=address_key)


async def send_mailing(session: AsyncSession, mailing: Mailing, when: MailingSend) -> Mailing:
    """Send now (the worker starts on its next pass) or at a time."""
    if mailing.status not in EDITABLE:
        raise InvalidState(f"this mailing is already {mailing.status}", field="status")
    now = utcnow()
    starts_at = when.starts_at(now)
    if starts_at is None:
        mailing.status = MailingStatus.SENDING
        mailing.send_at = now
        mailing.started_at = now
    else:
        mailing.status = MailingStatus.SCHEDULED
        mailing.send_at = starts_at
    await session.flush()
    return mailing


async def start_mailing_now(
    session: AsyncSession,
    campaign_id: int,
    *,
    subject: str,
    body_markdown: str,
    audience: Audience,
    created_by: int | None,
) -> Mailing:
    """A mailing the product writes rather than staff in the editor (a petition's
    response to its signers), going now: the worker writes its recipients as it does
    for any mailing sent now, and staff follow it among the campaign's mailings."""
    now = utcnow()
    mailing = Mailing(
        campaign_id=campaign_id,
        subject=subject,
        body_markdown=body_markdown,
        body_html=render_markdown(body_markdown),
        audience=audience,
        tag_ids=[],
        status=MailingStatus.SENDING,
        send_at=now,
        started_at=now,
        created_by=created_by,
    )
    session.add(mailing)
    await session.flush()
    return mailing


async def unschedule_mailing(session: AsyncSession, mailing: Mailing) -> Mailing:
    """A scheduled mailing back to a draft."""
    if mailing.status != MailingStatus.SCHEDULED:
        raise InvalidState("only a scheduled mailing can go back to a draft", field="status")
    mailing.status = MailingStatus.DRAFT
    mailing.send_at = None
    await session.flush()
    return mailing


async def cancel_mailing(session: AsyncSession, mailing: Mailing) -> Mailing:
    """Stop it: no more recipients are written, and what is not yet sent never is. What
    was handed to the provider has gone."""
    if mailing.status not in CANCELLABLE:
        raise InvalidState(
            f"a mailing that is {mailing.status} cannot be cancelled", field="status"
        )
    mailing.status = MailingStatus.CANCELLED
    mailing.cancelled_at = utcnow()
    await session.flush()
    return mailing


async def send_test(session: AsyncSession, mailing: Mailing, user: StaffUser) -> int:
    """One copy to the staff user, marked as a test, counted nowhere."""
    return await enqueue_email(
        session,
        EmailKind.MAILING,
        to_address=user.email,
        to_name=user.name,
        context={"mailing_id": mailing.id, "given_name": user.name.split(" ")[0], "test": True},
        campaign_id=mailing.campaign_id,
        from_name=mailing.sender_name,
    )


async def send_test_to_token_owner(
    session: AsyncSession, mailing: Mailing, user_id: int | None
) -> tuple[int, str]:
    """A test copy to the staff user an API token belongs to; its outbox id and address."""
    user = await session.get(StaffUser, user_id) if user_id else None
    if user is None:
        raise InvalidState(
            "this API token belongs to no staff user, so a test copy has nowhere to go",
            field="token",
        )
    return await send_test(session, mailing, user), user.email


async def mailing_contents(
    session: AsyncSession, mailing_ids: Iterable[int]
) -> dict[int, dict[str, Any]]:
    """What every copy of each mailing shares, for the renderer: its subject, both
    bodies, the campaign it is about, and that campaign's language (the copies')."""
    ids = set(mailing_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(
            Mailing.id,
            Mailing.subject,
            Mailing.body_markdown,
            Mailing.body_html,
            Campaign.title,
            Campaign.language,
        )
        .join(Campaign, Campaign.id == Mailing.campaign_id)
        .where(Mailing.id.in_(ids))
    )
    return {
        mailing_id: {
            "subject": subject,
            "body_text": markdown,
            "body_html": html,
            "campaign_title": title,
            "language": language,
        }
        for mailing_id, subject, markdown, html, title, language in rows.all()
    }


# SendGrid's event names, for each number a mailing shows.
_EVENTS = {
    "delivered": ("delivered",),
    "opened": ("open",),
    "clicked": ("click",),
    "bounced": ("bounce", "dropped"),
    "unsubscribed": ("unsubscribe", "group_unsubscribe"),
    "spam_reports": ("spamreport",),
}


@dataclass(frozen=True)
class MailingNumbers:
    recipients: int
    sent: int
    waiting: int
    not_sent: int
    delivered: int
    opened: int
    clicked: int
    bounced: int
    unsubscribed: int
    spam_reports: int


async def mailing_numbers(session: AsyncSession, mailing: Mailing) -> MailingNumbers:
    """Per mailing, from its outbox rows and the provider's events on them: each
    recipient counted once per kind of event, however many times it happened."""
    statuses = dict(
        (
            await session.execute(
                select(OutboxMessage.status, func.count())
                .where(OutboxMessage.mailing_id == mailing.id)
                .group_by(OutboxMessage.status)
            )
        ).all()
    )
    events = dict(
        (
            await session.execute(
                select(EmailEvent.event, func.count(func.distinct(EmailEvent.outbox_message_id)))
                .join(OutboxMessage, OutboxMessage.id == EmailEvent.outbox_message_id)
                .where(OutboxMessage.mailing_id == mailing.id)
                .group_by(EmailEvent.event)
            )
        ).all()
    )
    counted = {name: sum(events.get(e, 0) for e in names) for name, names in _EVENTS.items()}
    return MailingNumbers(
        recipients=mailing.recipients,
        sent=statuses.get(OutboxStatus.SENT, 0),
        waiting=statuses.get(OutboxStatus.PENDING, 0) + statuses.get(OutboxStatus.SENDING, 0),
        not_sent=statuses.get(OutboxStatus.FAILED, 0),
        **counted,
    )
