"""The outbox: written inside the transaction of the action that causes an email,
claimed and settled by the worker in emails/."""

from __future__ import annotations

import json
import secrets
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    String,
    bindparam,
    case,
    cast,
    func,
    insert,
    literal,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.db import utcnow
from campaign.errors import InvalidState, NotFound
from campaign.observability.request_ids import current_request_id
from campaign.outbox.models import (
    EmailKind,
    OutboxMessage,
    OutboxStatus,
    Priority,
    Suppression,
    SuppressionReason,
)
from campaign.people.addresses import normalise_email
from campaign.privacy.hashing import address_hash


async def enqueue_email(
    session: AsyncSession,
    kind: EmailKind,
    *,
    to_address: str,
    to_name: str | None,
    context: dict[str, Any],
    campaign_id: int | None = None,
    from_name: str | None = None,
    reply_to: str | None = None,
    not_before: datetime | None = None,
    priority: Priority = Priority.FIRST,
    request_id: str | None = None,
) -> int:
    """Queue one email in the caller's transaction; returns its outbox id. The bulk
    lane's `priority` goes at the worker's mailing rate, after what people wait for.
    `request_id`: the request that caused it, by default the one being answered."""
    now = utcnow()
    result = await session.execute(
        insert(OutboxMessage)
        .values(
            kind=kind.value,
            to_address=to_address,
            to_name=to_name,
            from_name=from_name,
            reply_to=reply_to,
            context=context,
            campaign_id=campaign_id,
            priority=int(priority),
            status=OutboxStatus.PENDING.value,
            attempts=0,
            created_at=now,
            available_at=max(now, not_before) if not_before else now,
            request_id=request_id or current_request_id.get(),
        )
        .returning(OutboxMessage.id)
    )
    return int(result.scalar_one())


MAX_ATTEMPTS = 5
# The first retry waits this long, each further one twice as long, up to the cap.
FIRST_RETRY_DELAY = timedelta(seconds=30)
MAX_RETRY_DELAY = timedelta(hours=1)


async def claim_due_messages(
    session: AsyncSession,
    limit: int,
    lease: timedelta,
    *,
    bulk_limit: int | None = None,
    bulk_size: int | None = None,
) -> list[OutboxMessage]:
    """Take due messages for this worker: up to `limit` of the first lane's (what a
    person is waiting for), then the bulk lane's (mailings) to fill the claim up to
    `bulk_size` (`limit` if None), of which at most `bulk_limit` (the mailing rate's
    allowance; no cap if None). A claimed message is not due again until `lease` has
    passed: if its worker dies before settling it, another worker retries it then. On
    PostgreSQL, SKIP LOCKED lets any number of workers claim side by side without
    taking the same row.

    A claim is not an attempt: attempts count hand-overs to the provider (see
    mark_sending). A worker killed again and again with a claim in hand, or one that
    claims ahead while its last batches are going out, costs a message nothing. The
    claim's random id goes in `attempt_id`, so a worker whose lease ran out (and whose
    messages another worker claimed since) can tell it may no longer send them."""
    claim_id = new_attempt_id()
    claimed = await _claim_lane(session, Priority.FIRST, limit, lease, claim_id)
    room = (limit if bulk_size is None else max(bulk_size, limit)) - len(claimed)
    if bulk_limit is not None:
        room = min(room, bulk_limit)
    if room > 0:
        claimed += await _claim_lane(session, Priority.BULK, room, lease, claim_id)
    return claimed


async def _claim_lane(
    session: AsyncSession, priority: Priority, limit: int, lease: timedelta, claim_id: str
) -> list[OutboxMessage]:
    now = utcnow()
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.priority == int(priority),
            OutboxMessage.available_at <= now,
        )
        .order_by(OutboxMessage.available_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = await session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()))
        .values(attempt_id=claim_id, available_at=now + lease)
        .returning(OutboxMessage),
        execution_options={"synchronize_session": False},
    )
    return sorted(result, key=lambda message: message.id)


# Context keys that are secrets (a confirmation link's token): needed to write the
# email, and nowhere after it has gone.
SECRET_CONTEXT_KEYS = ("token", "view_token")

# How a message that may have reached its recipient twice says so to staff, in
# `last_error`; recording the sending keeps it (see mark_sent).
MAY_HAVE_BEEN_SENT_TWICE = "may have been sent twice"


def new_attempt_id() -> str:
    """The id of one hand-over, random so no two workers ever make the same one."""
    return secrets.token_hex(16)


async def mark_sending(
    session: AsyncSession,
    messages: Sequence[OutboxMessage],
    attempt_id: str,
    lease: timedelta,
) -> set[int]:
    """Record, before the hand-over, that these claimed messages are about to be given to
    the provider as one request with `attempt_id`, and count the attempt; returns the ids
    that may go. A message still as this worker last left it (status pending or sending,
    and the claim's or the last hand-over's id in `attempt_id`) may go: one another
    worker claimed after this one's lease ran out may not. Sending again (the rest of a
    batch the provider refused in part) takes a new attempt id. The messages given are
    brought up to date (attempt id and count) for those that go."""
    now = utcnow()
    # Joined with (id, attempt id) pairs rather than matched against a list of tuples,
    # which PostgreSQL plans as one OR branch per message.
    claimed = _id_to_text_pairs(session, {m.id: m.attempt_id or "" for m in messages})
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == cast(claimed.c.key, BigInteger),
            OutboxMessage.attempt_id == claimed.c.value,
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
        )
        .values(
            status=OutboxStatus.SENDING,
            attempt_id=attempt_id,
            attempts=OutboxMessage.attempts + 1,
            sending_at=now,
            available_at=now + lease,
        )
        .returning(OutboxMessage.id),
        execution_options={"synchronize_session": False},
    )
    going = set(result.scalars())
    for message in messages:
        if message.id in going:
            message.attempt_id = attempt_id
            message.attempts += 1
    return going


async def mark_sent(session: AsyncSession, provider_ids: Mapping[int, str]) -> None:
    """Record the hand-over, and forget the emails' secrets: whoever can read the
    database later must not be able to follow someone else's confirmation link.
    One statement for a whole batch, whether it has one provider id (a SendGrid request)
    or one per message (the file backend)."""
    if not provider_ids:
        return
    distinct = set(provider_ids.values())
    update_sent = update(OutboxMessage).values(
        status=OutboxStatus.SENT,
        sent_at=utcnow(),
        last_error=case(
            (
                OutboxMessage.last_error.startswith(MAY_HAVE_BEEN_SENT_TWICE),
                OutboxMessage.last_error,
            ),
            else_=None,
        ),
        context=_context_without_secrets(session),
    )
    # Only pending or sending ones: `sent_at` is set once (the metrics count it), even if
    # a message whose lease ran out was sent twice.
    unsettled = OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])
    if len(distinct) == 1:
        statement = update_sent.values(provider_message_id=distinct.pop()).where(
            OutboxMessage.id.in_(list(provider_ids)), unsettled
        )
    else:
        given = _id_to_text_pairs(session, provider_ids)
        statement = update_sent.values(provider_message_id=given.c.value).where(
            OutboxMessage.id == cast(given.c.key, BigInteger), unsettled
        )
    await session.execute(statement, execution_options={"synchronize_session": False})


def _id_to_text_pairs(session: AsyncSession, values: Mapping[int, str]) -> Any:
    """(key, value) rows from one JSON object bound as one parameter: a table to join an
    UPDATE with, on both databases, however many rows."""
    mapping = {str(key): value for key, value in values.items()}
    if session.get_bind().dialect.name == "postgresql":
        given = bindparam("provider_ids", mapping, type_=JSONB)
        return func.jsonb_each_text(given).table_valued("key", "value")
    return func.json_each(json.dumps(mapping)).table_valued("key", "value")


def _context_without_secrets(session: AsyncSession) -> ColumnElement[Any]:
    context: ColumnElement[Any] = OutboxMessage.context.expression
    if session.get_bind().dialect.name == "postgresql":
        for key in SECRET_CONTEXT_KEYS:
            context = type_coerce(context, JSONB).op("-")(literal(key, String))
        return context
    paths = [f"$.{key}" for key in SECRET_CONTEXT_KEYS]
    return type_coerce(func.json_remove(OutboxMessage.context, *paths), JSON)


async def claim_unsettled_attempts(
    session: AsyncSession, limit: int, lease: timedelta
) -> list[OutboxMessage]:
    """Take up to `limit` messages whose hand-over was never settled (their worker died,
    or could not record the outcome) and whose lease has run out, to find out from the
    provider what became of them. Taken for another lease, as a claim is."""
    now = utcnow()
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.available_at <= now)
        .order_by(OutboxMessage.available_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = await session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()))
        .values(available_at=now + lease)
        .returning(OutboxMessage),
        execution_options={"synchronize_session": False},
    )
    return sorted(result, key=lambda message: message.id)


async def settle_unsettled_attempt(
    session: AsyncSession,
    attempt_id: str,
    messages: Sequence[OutboxMessage],
    accepted: Mapping[int, str] | None,
    *,
    unknown_outcome_wait: timedelta,
    provider: str,
) -> None:
    """Settle one attempt's messages from the provider's answer. `accepted` (outbox id
    to provider id) are the ones it has: sent. The others it never got: due again now.
    None means the provider cannot tell: the messages wait `unknown_outcome_wait` from
    their hand-over, then go again, marked as perhaps sent twice."""
    ids = [message.id for message in messages]
    if accepted is not None:
        await mark_sent(session, accepted)
        await _due_again(session, attempt_id, [i for i in ids if i not in accepted])
        return
    now = utcnow()
    sending_at = min((m.sending_at for m in messages if m.sending_at), default=now)
    this_attempt = (
        OutboxMessage.id.in_(ids),
        OutboxMessage.status == OutboxStatus.SENDING,
        OutboxMessage.attempt_id == attempt_id,
    )
    if now < sending_at + unknown_outcome_wait:
        values: dict[str, object] = {"available_at": sending_at + unknown_outcome_wait}
    else:
        values = {
            "status": OutboxStatus.PENDING,
            "available_at": now,
            "last_error": (
                f"{MAY_HAVE_BEEN_SENT_TWICE}: {provider} cannot tell whether it got attempt "
                f"{attempt_id} of {sending_at:%Y-%m-%d %H:%M:%S} UTC, whose outcome was "
                "never recorded; sent again after waiting"
            ),
        }
    await session.execute(
        update(OutboxMessage).where(*this_attempt).values(**values),
        execution_options={"synchronize_session": False},
    )


async def leave_outcome_unknown(
    session: AsyncSession, attempt_id: str, outbox_ids: Sequence[int], error: str
) -> None:
    """A hand-over that failed in a way that does not say whether the provider got it
    (a timeout, a broken connection): it stays `sending`, so that when its lease runs
    out the provider is asked rather than sent the batch again."""
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(outbox_ids),
            OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.attempt_id == attempt_id,
        )
        .values(last_error=error[:2000]),
        execution_options={"synchronize_session": False},
    )


async def _due_again(session: AsyncSession, attempt_id: str, outbox_ids: Sequence[int]) -> None:
    """The provider never got these: pending and due now, the attempt still counted; a
    message that has had MAX_ATTEMPTS ends as failed."""
    if not outbox_ids:
        return
    this_attempt = (
        OutboxMessage.id.in_(outbox_ids),
        OutboxMessage.status == OutboxStatus.SENDING,
        OutboxMessage.attempt_id == attempt_id,
    )
    await session.execute(
        update(OutboxMessage)
        .where(*this_attempt)
        .values(
            status=case(
                (OutboxMessage.attempts >= MAX_ATTEMPTS, OutboxStatus.FAILED.value),
                else_=OutboxStatus.PENDING.value,
            ),
            available_at=utcnow(),
        ),
        execution_options={"synchronize_session": False},
    )


def retry_delay(attempts: int, jitter: float) -> timedelta:
    """Exponential backoff; `jitter` (0 to 1) spreads retries of messages that failed
    together so they don't come back together."""
    base = min(FIRST_RETRY_DELAY * 2 ** (attempts - 1), MAX_RETRY_DELAY)
    return base * (0.5 + jitter)


async def mark_attempt_failed(
    session: AsyncSession,
    messages: Sequence[OutboxMessage],
    error: str,
    *,
    jitter: float,
    not_before: timedelta | None = None,
    handed_over: bool = True,
) -> None:
    """Retry later with backoff (never sooner than `not_before`, the provider's word), or
    give up on messages that have had MAX_ATTEMPTS. Messages that failed before they
    were handed over (`handed_over` false: their rendering failed) have this attempt
    counted here; a hand-over counted its own (mark_sending)."""
    by_attempts: dict[int, list[int]] = defaultdict(list)
    for message in messages:
        by_attempts[message.attempts + (0 if handed_over else 1)].append(message.id)
    now = utcnow()
    for attempts, ids in by_attempts.items():
        values: dict[str, object] = {"last_error": error[:2000], "attempts": attempts}
        if attempts >= MAX_ATTEMPTS:
            values["status"] = OutboxStatus.FAILED
        else:
            delay = max(retry_delay(attempts, jitter), not_before or timedelta(0))
            # A batch the provider answered with a failure was `sending`: it has nothing.
            values["status"] = OutboxStatus.PENDING
            values["available_at"] = now + delay
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(**values),
            execution_options={"synchronize_session": False},
        )


async def mark_failed(session: AsyncSession, outbox_ids: Sequence[int], error: str) -> None:
    """The provider refused these for good: no more attempts, the reason kept for staff."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(outbox_ids))
        .values(status=OutboxStatus.FAILED, last_error=error[:2000]),
        execution_options={"synchronize_session": False},
    )


async def release(
    session: AsyncSession, outbox_ids: Sequence[int], not_before: timedelta = timedelta(0)
) -> None:
    """Give claimed messages back unsent, without counting an attempt: the worker is
    stopping (they are still only claimed), or the provider asked us to slow down (and
    said it took nothing: the hand-over it refused is not counted either)."""
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(outbox_ids),
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
        )
        .values(
            status=OutboxStatus.PENDING,
            attempts=case(
                (OutboxMessage.status == OutboxStatus.SENDING.value, OutboxMessage.attempts - 1),
                else_=OutboxMessage.attempts,
            ),
            available_at=utcnow() + not_before,
        ),
        execution_options={"synchronize_session": False},
    )


# Emails a person needs because of something they just did, and letters a constituent
# writes to their representative: still sent to an address that complained or
# unsubscribed (never to one that bounced hard). Everything else is marketing.
TRANSACTIONAL_KINDS = frozenset(
    {
        EmailKind.SIGNATURE_CONFIRMATION,
        EmailKind.ALREADY_SIGNED,
        EmailKind.LETTER_CONFIRMATION,
        EmailKind.LETTER_TO_OFFICIAL,
        EmailKind.LETTER_COPY,
        EmailKind.LETTER_DIGEST,
        EmailKind.DONATION_RECEIPT,
        EmailKind.DATA_RIGHTS_LINK,
        EmailKind.STAFF_INVITATION,
        EmailKind.STAFF_PASSWORD_RESET,
        EmailKind.THRESHOLD_REACHED,
        EmailKind.OFFICIAL_REPORT,
    }
)


async def hold_suppressed(
    session: AsyncSession, messages: list[OutboxMessage], *, address_key: str | None = None
) -> list[OutboxMessage]:
    """Of the claimed messages, those that may go; the others end as failed, with the
    suppression as their error, and are not sent. With `address_key`, an address whose
    keyed hash is suppressed (an erased person's, campaign/privacy) is held too."""
    addresses = {normalise_email(m.to_address) for m in messages}
    hashes = {address_hash(a, address_key): a for a in addresses} if address_key else {}
    reasons: dict[str, set[str]] = {}
    rows = await session.execute(
        select(Suppression.email_normalised, Suppression.email_hash, Suppression.reason).where(
            or_(
                Suppression.email_normalised.in_(addresses),
                Suppression.email_hash.in_(list(hashes)),
            )
        )
    )
    for address, hashed, reason in rows.all():
        known = address if address is not None else hashes.get(hashed or "")
        if known is not None:
            reasons.setdefault(known, set()).add(reason)
    allowed = []
    for message in messages:
        held = reasons.get(normalise_email(message.to_address), set())
        if SuppressionReason.HARD_BOUNCE in held or (
            held and message.kind not in TRANSACTIONAL_KINDS
        ):
            message.status = OutboxStatus.FAILED
            message.last_error = "suppressed: " + ", ".join(sorted(held))
        else:
            allowed.append(message)
    await session.flush()
    return allowed


async def list_messages(
    session: AsyncSession,
    *,
    campaign_id: int | None,
    kind: EmailKind | None,
    status: OutboxStatus | None,
    limit: int,
    offset: int,
) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if campaign_id is not None:
        query = query.where(OutboxMessage.campaign_id == campaign_id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    result = await session.execute(query.limit(limit).offset(offset))
    return list(result.scalars())


async def get_message(session: AsyncSession, message_id: int) -> OutboxMessage:
    message = await session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound("no such message", field="message_id")
    return message


async def retry_message(session: AsyncSession, message: OutboxMessage) -> OutboxMessage:
    """Give a failed message another round of attempts, now. A suppressed address stays
    suppressed: the worker will hold the message again."""
    if message.status != OutboxStatus.FAILED:
        raise InvalidState(
            f"only failed messages can be retried; this one is {message.status}", field="status"
        )
    message.status = OutboxStatus.PENDING
    message.attempts = 0
    message.available_at = utcnow()
    await session.flush()
    return message
