"""The busiest write in the product, a new person's first signature, as one PostgreSQL
statement: person, signature, consent record and confirmation email in a single round
trip instead of four. It writes nothing unless the campaign is still published and the
address is new; everything else (repeats, races, closed campaigns, SQLite) takes the
general path in flows.py, which this must match row for row (tests run both)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.consents.models import ConsentRecord
from campaign.outbox.models import OutboxMessage
from campaign.people.models import Person
from campaign.signatures.models import Signature

_STATEMENT = text(
    """
WITH new_person AS (
    INSERT INTO people (email_normalised, email, given_name, family_name, country, postcode,
                        created_at)
    SELECT :email_normalised, :email, :given_name, :family_name, :country, :postcode, :now
    WHERE EXISTS (SELECT FROM campaigns WHERE id = :campaign_id AND state = 'published')
    ON CONFLICT (email_normalised) DO NOTHING
    RETURNING id
), new_signature AS (
    INSERT INTO signatures (campaign_id, person_id, status, email, given_name, family_name,
                            country, postcode, comment, email_updates, channel, ip_address,
                            referrer, utm_source, utm_medium, utm_campaign,
                            confirmation_token_hash, emails_sent, created_at)
    SELECT :campaign_id, new_person.id, :status, :email, :given_name, :family_name,
           :country, :postcode, :comment, :email_updates, :channel, :ip_address,
           :referrer, :utm_source, :utm_medium, :utm_campaign,
           :confirmation_token_hash, :emails_sent, :now
    FROM new_person
    RETURNING id, person_id
), consent AS (
    INSERT INTO consent_records (person_id, consent_text_id, granted, language, campaign_id,
                                 channel, created_at)
    SELECT new_signature.person_id, :consent_text_id, :email_updates, :language, :campaign_id,
           :channel, :now
    FROM new_signature
), confirmation AS (
    INSERT INTO outbox_messages (kind, to_address, to_name, context, campaign_id, status,
                                 attempts, created_at, available_at)
    SELECT :email_kind, :email, :to_name, :email_context, :campaign_id, 'pending', 0, :now, :now
    FROM new_signature
    WHERE :send_email
)
SELECT id FROM new_signature
"""
).bindparams(
    # Typed, so each parameter is cast (INSERT ... SELECT cannot infer the types).
    *(
        bindparam(name, type_=column.type)
        for name, column in {
            "email_normalised": Person.email_normalised,
            "email": Person.email,
            "given_name": Person.given_name,
            "family_name": Person.family_name,
            "country": Person.country,
            "postcode": Person.postcode,
            "now": Person.created_at,
            "campaign_id": Signature.campaign_id,
            "status": Signature.status,
            "comment": Signature.comment,
            "email_updates": Signature.email_updates,
            "channel": Signature.channel,
            "ip_address": Signature.ip_address,
            "referrer": Signature.referrer,
            "utm_source": Signature.utm_source,
            "utm_medium": Signature.utm_medium,
            "utm_campaign": Signature.utm_campaign,
            "confirmation_token_hash": Signature.confirmation_token_hash,
            "emails_sent": Signature.emails_sent,
            "consent_text_id": ConsentRecord.consent_text_id,
            "language": ConsentRecord.language,
            "email_kind": OutboxMessage.kind,
            "to_name": OutboxMessage.to_name,
            "email_context": OutboxMessage.context,
            "send_email": Signature.email_updates,  # a boolean
        }.items()
    )
)


# Compiled once: the driver gets the SQL with numbered, typed parameters.
_COMPILED = _STATEMENT.compile(dialect=asyncpg_dialect())
_SQL = _COMPILED.string
_PARAMETER_ORDER = tuple(_COMPILED.positiontup or ())


async def insert_new_signer(session: AsyncSession, values: dict[str, Any]) -> int | None:
    """Insert everything a new person's signature needs. Returns the signature id, or
    None when the address is already known or the campaign closed (nothing written).

    The statement goes straight to asyncpg on the session's own connection: this path
    runs for nearly every signature in a surge, and SQLAlchemy's statement handling
    cost more CPU than the database spends on it. Being one statement, it is atomic
    on its own; inside the session's transaction when one has begun, it joins it."""
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    arguments = [
        json.dumps(values[name]) if name == "email_context" else values[name]
        for name in _PARAMETER_ORDER
    ]
    signature_id = await driver.fetchval(_SQL, *arguments)
    return int(signature_id) if signature_id is not None else None
