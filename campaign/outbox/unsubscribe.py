"""Unsubscribe links: a signed token that names the address, so the link works without
login and without storing a token per email. A mailing's copy also names its outbox
row, so that the mailing's numbers count who left from it."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.db import insert_for, utcnow
from campaign.errors import NotFound
from campaign.i18n import gettext_noop as _
from campaign.inbox.models import EmailEvent
from campaign.outbox.models import OutboxMessage, Suppression, SuppressionReason
from campaign.people.addresses import normalise_email

_SALT = "unsubscribe"


@dataclass(frozen=True)
class UnsubscribeLink:
    address: str
    outbox_id: int | None = None


def unsubscribe_token(address: str, secret: str, outbox_id: int | None = None) -> str:
    """The token `itsdangerous.URLSafeSerializer(secret, salt="unsubscribe")` makes of
    the payload (uncompressed), which `link_of` reads with it. Made here, because a
    mailing signs one per copy: the serializer derives its key again on every call,
    which took a fifth of a mailing copy's rendering."""
    normalised = normalise_email(address)
    payload: str | list[object] = normalised if outbox_id is None else [normalised, outbox_id]
    if _PLAIN_IN_JSON.fullmatch(normalised):
        # What json.dumps would write, without its machinery: a third of the cost.
        text = f'"{normalised}"' if outbox_id is None else f'["{normalised}",{int(outbox_id)}]'
    else:
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    body = _base64(text.encode())
    inner_start, outer_start = _signer(secret)
    inner, outer = inner_start.copy(), outer_start.copy()
    inner.update(body)
    outer.update(inner.digest())
    return f"{body.decode()}.{_base64(outer.digest()).decode()}"


# Characters JSON writes as they are (with ensure_ascii off): no quote, backslash or
# control character.
_PLAIN_IN_JSON = re.compile(r'[^"\\\x00-\x1f\x7f]*')


@lru_cache(maxsize=8)
def _signer(secret: str) -> tuple[Any, Any]:
    """HMAC-SHA1 (RFC 2104) with itsdangerous's default key derivation ("django-concat"),
    so that tokens made before this function, by the serializer, and those made by it
    are the same. Its inner and outer hashes are keyed once and copied for each token:
    `hmac.HMAC.copy()` did the same through Python objects at twice the cost."""
    key = hashlib.sha1(_SALT.encode() + b"signer" + secret.encode()).digest()  # noqa: S324
    block = key.ljust(hashlib.sha1().block_size, b"\0")  # noqa: S324
    inner = hashlib.sha1(block.translate(_INNER_PAD))  # noqa: S324
    outer = hashlib.sha1(block.translate(_OUTER_PAD))  # noqa: S324
    return inner, outer


_INNER_PAD = bytes(x ^ 0x36 for x in range(256))
_OUTER_PAD = bytes(x ^ 0x5C for x in range(256))


def _base64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def link_of(token: str, secret: str) -> UnsubscribeLink:
    try:
        payload = URLSafeSerializer(secret, salt=_SALT).loads(token)
    except BadSignature as error:
        raise NotFound(_("this unsubscribe link is not valid"), field="token") from error
    if isinstance(payload, str):
        return UnsubscribeLink(payload)
    match payload:
        case [str(address), int(outbox_id)] if 0 < outbox_id < 2**63:
            return UnsubscribeLink(address, outbox_id)
    raise NotFound(_("this unsubscribe link is not valid"), field="token")


async def campaign_language_of(session: AsyncSession, link: UnsubscribeLink) -> str | None:
    """The language of the campaign whose email held the link, if the link names its
    email and that email belonged to a campaign: one read by primary keys."""
    if link.outbox_id is None:
        return None
    from campaign.campaigns.models import Campaign

    return await session.scalar(
        select(Campaign.language)
        .join(OutboxMessage, OutboxMessage.campaign_id == Campaign.id)
        .where(OutboxMessage.id == link.outbox_id)
    )


def address_of(token: str, secret: str) -> str:
    return link_of(token, secret).address


async def unsubscribe(session: AsyncSession, token: str, secret: str) -> None:
    """Suppress the address for everything but transactional email, and count it
    against the mailing whose copy had the link. Doing it twice is the same as doing it
    once."""
    link = link_of(token, secret)
    now = utcnow()
    await session.execute(
        insert_for(session, Suppression.__table__)
        .values(email_normalised=link.address, reason=SuppressionReason.UNSUBSCRIBE, created_at=now)
        .on_conflict_do_nothing(index_elements=["email_normalised", "reason"])
    )
    if link.outbox_id is not None and await _exists(session, link.outbox_id):
        await session.execute(
            insert_for(session, EmailEvent.__table__)
            .values(
                provider_event_id=f"campaign-unsubscribe-{link.outbox_id}",
                outbox_message_id=link.outbox_id,
                event="unsubscribe",
                occurred_at=now,
                payload={"from": "the email's unsubscribe link"},
                received_at=now,
            )
            .on_conflict_do_nothing(index_elements=["provider_event_id"])
        )


async def _exists(session: AsyncSession, outbox_id: int) -> bool:
    found = await session.scalar(select(OutboxMessage.id).where(OutboxMessage.id == outbox_id))
    return found is not None


def unsubscribe_url(
    address: str, public_url: str, secret: str, outbox_id: int | None = None
) -> str:
    return f"{public_url}/unsubscribe/{unsubscribe_token(address, secret, outbox_id)}"


# RFC 8058: the header that tells a mail client List-Unsubscribe takes a one-click POST.
ONE_CLICK_POST: Mapping[str, str] = MappingProxyType(
    {"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
)


def one_click_headers(url: str) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe, for every email that is not transactional."""
    return {"List-Unsubscribe": f"<{url}>", **ONE_CLICK_POST}


def unsubscribe_headers(address: str, public_url: str, secret: str) -> dict[str, str]:
    return one_click_headers(unsubscribe_url(address, public_url, secret))
