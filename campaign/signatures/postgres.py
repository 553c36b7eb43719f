"""The busiest write in the product, a first signature, as one PostgreSQL statement:
the person (if new), the signature, the consent record and the confirmation email in a
single round trip instead of five. It writes nothing unless the campaign is still
published and this person has not signed it; what it learnt on the way (is the campaign
open, who is the person) lets the general path in flows.py take over for repeats and
races. The two paths must write the same rows (the tests run both: PostgreSQL takes
this one, SQLite the general one)."""

from __future__ import annotations

import json
from dataclasses import dataclass
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
WITH campaign_open AS (
    SELECT FROM campaigns WHERE id = :campaign_id AND state = 'published'
), new_person AS (
    INSERT INTO people (email_normalised, email, given_name, family_name, country, postcode,
                        created_at)
    SELECT :email_normalised, :email, :given_name, :family_name, :country, :postcode, :now
    WHERE EXISTS (SELECT FROM campaign_open)
    ON CONFLICT (email_normalised) DO NOTHING
    RETURNING id
), signer AS (
    -- The new row, or the existing one. A person inserted by a concurrent transaction
    -- after this statement began is in neither: then nothing is written here.
    SELECT id FROM new_person
    UNION ALL
    SELECT id FROM people
    WHERE email_normalised = :email_normalised AND EXISTS (SELECT FROM campaign_open)
), new_signature AS (
    INSERT INTO signatures (campaign_id, person_id, status, email, given_name, family_name,
                            country, postcode, comment, email_updates, channel, ip_address,
                            referrer, utm_source, utm_medium, utm_campaign,
                            confirmation_token_hash, emails_sent, created_at)
    SELECT :campaign_id, signer.id, :status, :email, :given_name, :family_name,
           :country, :postcode, :comment, :email_updates, :channel, :ip_address,
           :referrer, :utm_source, :utm_medium, :utm_campaign,
           :confirmation_token_hash, :emails_sent, :now
    FROM signer
    ON CONFLICT (campaign_id, person_id) DO NOTHING
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
SELECT (SELECT id FROM new_signature) AS signature_id,
       (SELECT id FROM signer) AS person_id,
       EXISTS (SELECT FROM campaign_open) AS campaign_open
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


@dataclass(frozen=True)
class FirstSignatureOutcome:
    signature_id: int | None  # None: nothing was written
    person_id: int | None  # None: the address is new and another request is adding it
    campaign_open: bool


async def insert_first_signature(
    session: AsyncSession, values: dict[str, Any]
) -> FirstSignatureOutcome:
    """Insert everything a first signature needs, if it is one.

    The statement goes straight to asyncpg on the session's own connection: this path
    runs for nearly every signature in a surge, and SQLAlchemy's statement handling
    cost more CPU than the database spends on it. Being one statement, it is atomic
    on its own; inside the session's transaction when one has begun, it joins it. It
    uses the session's connection, never a second one: requests that hold one pooled
    connection while waiting for another deadlock the pool under load (the
    200-request concurrency test shows it)."""
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    arguments = [
        json.dumps(values[name]) if name == "email_context" else values[name]
        for name in _PARAMETER_ORDER
    ]
    row = await driver.fetchrow(_SQL, *arguments)
    assert row is not None  # the final SELECT always returns one row
    return FirstSignatureOutcome(row["signature_id"], row["person_id"], row["campaign_open"])
