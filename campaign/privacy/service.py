"""The verbs of data rights, for staff and for the person: export and erase an
address's data, each written to the audit log (by keyed hash, never the address); and
the emailed link through which a person does both themselves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.errors import NotFound
from campaign.i18n import gettext_noop as _
from campaign.outbox.models import EmailKind
from campaign.outbox.service import enqueue_email
from campaign.people.addresses import normalise_email
from campaign.people.models import Person
from campaign.privacy.erasure import Erasure, erase_address
from campaign.privacy.export import export_address
from campaign.privacy.hashing import address_hash
from campaign.privacy.models import DataRightsLink, PrivacyAction, PrivacyAuditEntry, Requester
from campaign.staff.models import StaffUser
from campaign.tokens import hash_token, new_token

LINK_LIFETIME = timedelta(hours=24)
# One answer for a link that is unknown, expired or already used to erase.
LINK_NOT_VALID = _(
    "this link no longer works: it has expired or was used to erase the data. Ask for a new one"
)
_MAX_SECRET_LENGTH = 100


@dataclass(frozen=True)
class StaffActor:
    """Who on the staff side: a dashboard user, or an API token (and its owner, if any)."""

    user_id: int | None
    token_id: int | None = None


async def _audit(
    session: AsyncSession,
    action: PrivacyAction,
    *,
    email_hash: str | None,
    actor: StaffActor | None,
    now: datetime,
) -> None:
    session.add(
        PrivacyAuditEntry(
            action=action.value,
            requester=(Requester.STAFF if actor is not None else Requester.PERSON).value,
            email_hash=email_hash,
            staff_user_id=actor.user_id if actor else None,
            api_token_id=actor.token_id if actor else None,
            created_at=now,
        )
    )
    await session.flush()


async def export_for_staff(
    session: AsyncSession, address: str, *, key: str, actor: StaffActor, now: datetime
) -> dict[str, Any]:
    await _audit(
        session, PrivacyAction.EXPORT, email_hash=address_hash(address, key), actor=actor, now=now
    )
    return await export_address(session, address, key=key)


async def erase_for_staff(
    session: AsyncSession, address: str, *, key: str, actor: StaffActor, now: datetime
) -> Erasure:
    await _audit(
        session, PrivacyAction.ERASURE, email_hash=address_hash(address, key), actor=actor, now=now
    )
    return await erase_address(session, address, key=key, now=now)


async def note_ledger_export(session: AsyncSession, *, actor: StaffActor, now: datetime) -> None:
    await _audit(session, PrivacyAction.CONSENT_LEDGER, email_hash=None, actor=actor, now=now)


# --- The person's own link ----------------------------------------------------------------


async def send_link_if_held(
    session: AsyncSession, address: str, *, now: datetime, language: str | None = None
) -> bool:
    """Email a link to the address if anything is held about it, in `language` (the
    page's where it was asked for; English if None); whether one was sent. The caller
    answers the same either way, so nobody learns who has signed."""
    normalised = normalise_email(address)
    person = await session.scalar(
        select(Person).where(Person.email_normalised == normalised, Person.erased_at.is_(None))
    )
    if person is None:
        return False
    # A newer link replaces the older ones.
    await session.execute(
        delete(DataRightsLink).where(DataRightsLink.email_normalised == normalised)
    )
    secret = new_token()
    session.add(
        DataRightsLink(
            token_hash=hash_token(secret),
            email_normalised=normalised,
            created_at=now,
            expires_at=now + LINK_LIFETIME,
        )
    )
    await session.flush()
    await enqueue_email(
        session,
        EmailKind.DATA_RIGHTS_LINK,
        to_address=person.email,
        to_name=None,
        # `token` becomes the link when the email is written, and leaves the row once
        # it has been sent (campaign/outbox/service.mark_sent).
        context={
            "token": secret,
            "valid_hours": int(LINK_LIFETIME.total_seconds() // 3600),
            "language": language,
        },
    )
    return True


async def open_link(session: AsyncSession, secret: str, *, now: datetime) -> DataRightsLink:
    link = None
    if secret and len(secret) <= _MAX_SECRET_LENGTH:
        link = await session.scalar(
            select(DataRightsLink).where(
                DataRightsLink.token_hash == hash_token(secret), DataRightsLink.expires_at > now
            )
        )
    if link is None:
        raise NotFound(LINK_NOT_VALID, field="token")
    return link


async def export_by_link(
    session: AsyncSession, secret: str, *, key: str, now: datetime
) -> dict[str, Any]:
    link = await open_link(session, secret, now=now)
    address = link.email_normalised
    await _audit(
        session, PrivacyAction.EXPORT, email_hash=address_hash(address, key), actor=None, now=now
    )
    return await export_address(session, address, key=key)


async def erase_by_link(session: AsyncSession, secret: str, *, key: str, now: datetime) -> Erasure:
    """Erase the link's address; the link (and any other for the address) ends with it."""
    link = await open_link(session, secret, now=now)
    address = link.email_normalised
    await _audit(
        session, PrivacyAction.ERASURE, email_hash=address_hash(address, key), actor=None, now=now
    )
    return await erase_address(session, address, key=key, now=now)


@dataclass(frozen=True)
class AuditLine:
    entry: PrivacyAuditEntry
    staff_name: str | None


async def recent_audit(session: AsyncSession, limit: int = 50) -> list[AuditLine]:
    """The latest exports and erasures, newest first, with who asked (by name)."""
    rows = await session.execute(
        select(PrivacyAuditEntry, StaffUser.name)
        .outerjoin(StaffUser, StaffUser.id == PrivacyAuditEntry.staff_user_id)
        .order_by(PrivacyAuditEntry.id.desc())
        .limit(limit)
    )
    return [AuditLine(entry, name) for entry, name in rows.all()]
