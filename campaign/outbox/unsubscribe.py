"""Unsubscribe links: a signed token that names the address, so the link works without
login and without storing a token per email."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.db import insert_for, utcnow
from campaign.errors import NotFound
from campaign.outbox.models import Suppression, SuppressionReason
from campaign.people.addresses import normalise_email

_SALT = "unsubscribe"


def unsubscribe_token(address: str, secret: str) -> str:
    return URLSafeSerializer(secret, salt=_SALT).dumps(normalise_email(address))


def address_of(token: str, secret: str) -> str:
    try:
        address = URLSafeSerializer(secret, salt=_SALT).loads(token)
    except BadSignature as error:
        raise NotFound("this unsubscribe link is not valid", field="token") from error
    if not isinstance(address, str):
        raise NotFound("this unsubscribe link is not valid", field="token")
    return address


async def unsubscribe(session: AsyncSession, token: str, secret: str) -> None:
    """Suppress the address for everything but transactional email. Doing it twice is
    the same as doing it once."""
    await session.execute(
        insert_for(session, Suppression.__table__)
        .values(
            email_normalised=address_of(token, secret),
            reason=SuppressionReason.UNSUBSCRIBE,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["email_normalised", "reason"])
    )


def unsubscribe_url(address: str, public_url: str, secret: str) -> str:
    return f"{public_url}/unsubscribe/{unsubscribe_token(address, secret)}"


def one_click_headers(url: str) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe, for every email that is not transactional."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def unsubscribe_headers(address: str, public_url: str, secret: str) -> dict[str, str]:
    return one_click_headers(unsubscribe_url(address, public_url, secret))
