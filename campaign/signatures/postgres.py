"""The commonest resolution, a first signature, for a whole batch of submissions in one
PostgreSQL statement: the people (if new), the signatures, their consent records and
confirmation emails in a single round trip instead of five per signature, so one worker
keeps up with a surge. It writes nothing for a submission whose signer has signed the
petition already, or whose address another transaction is adding at the same moment:
those are left to the general path in submissions.py, which also resolves every
submission on SQLite. The two paths must write the same rows (the tests run both).
The campaign's state is not asked: a submission accepted while it was open counts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campaign.db import driver_connection

# One array per column of the input, in this order; unnest turns them into rows.
_INPUT = (
    ("submission_id", "bigint"),
    ("campaign_id", "bigint"),
    ("email_normalised", "text"),
    ("email", "text"),
    ("given_name", "text"),
    ("family_name", "text"),
    ("country", "text"),
    ("postcode", "text"),
    ("postcode_normalised", "text"),
    ("comment", "text"),
    ("email_updates", "boolean"),
    ("name_may_be_given", "boolean"),
    ("channel", "text"),
    ("ip_address", "text"),
    ("user_agent", "text"),
    ("referrer", "text"),
    ("utm_source", "text"),
    ("utm_medium", "text"),
    ("utm_campaign", "text"),
    ("status", "text"),
    ("confirmation_token_hash", "text"),
    ("emails_sent", "integer"),
    ("created_at", "timestamptz"),
    ("consent_text_id", "bigint"),
    ("language", "text"),
    ("send_email", "boolean"),
    ("to_name", "text"),
    ("email_context", "text"),
    ("request_id", "text"),
)
_ARRAYS = ", ".join(f"${n}::{kind}[]" for n, (_name, kind) in enumerate(_INPUT, start=1))
_COLUMNS = ", ".join(name for name, _kind in _INPUT)
_NOW = f"${len(_INPUT) + 1}::timestamptz"
_EMAIL_KIND = f"${len(_INPUT) + 2}::text"

# Placeholders are numbered: $1.. the arrays, then the time and the email's kind.
_SQL = f"""
WITH input AS (
    SELECT * FROM unnest({_ARRAYS}) AS t({_COLUMNS})
-- Every insert takes its rows in the submissions' order, so ids follow it as they
-- would had each been resolved alone.
), new_person AS (
    INSERT INTO people (email_normalised, email, given_name, family_name, country, postcode,
                        custom_fields, created_at, modified_at)
    SELECT email_normalised, email, given_name, family_name, country, postcode, '{{}}',
           {_NOW}, {_NOW}
    FROM input
    ORDER BY submission_id
    ON CONFLICT (email_normalised) DO NOTHING
    RETURNING id, email_normalised
), signer AS (
    -- The new row, or the existing one. A person inserted by a concurrent transaction
    -- after this statement began is in neither: then nothing is written for them here.
    SELECT input.*, coalesce(new_person.id, people.id) AS person_id
    FROM input
    LEFT JOIN new_person ON new_person.email_normalised = input.email_normalised
    LEFT JOIN people ON people.email_normalised = input.email_normalised
), new_signature AS (
    INSERT INTO signatures (campaign_id, person_id, status, email, given_name, family_name,
                            country, postcode, postcode_normalised, comment, email_updates,
                            name_may_be_given, channel, language, consent_text_id,
                            ip_address, user_agent, referrer,
                            utm_source, utm_medium, utm_campaign,
                            confirmation_token_hash, emails_sent, created_at, modified_at)
    SELECT campaign_id, person_id, status, email, given_name, family_name,
           country, postcode, postcode_normalised, comment, email_updates,
           name_may_be_given, channel, language, consent_text_id,
           ip_address, user_agent, referrer,
           utm_source, utm_medium, utm_campaign,
           confirmation_token_hash, emails_sent, created_at, created_at
    FROM signer
    WHERE person_id IS NOT NULL
    ORDER BY submission_id
    ON CONFLICT (campaign_id, person_id) DO NOTHING
    RETURNING campaign_id, person_id
), signed AS (
    SELECT signer.*
    FROM signer JOIN new_signature USING (campaign_id, person_id)
), consent AS (
    INSERT INTO consent_records (person_id, consent_text_id, granted, language, campaign_id,
                                 channel, created_at)
    SELECT person_id, consent_text_id, email_updates, language, campaign_id, channel, {_NOW}
    FROM signed
    ORDER BY submission_id
), confirmation AS (
    INSERT INTO outbox_messages (kind, to_address, to_name, context, campaign_id, status,
                                 attempts, created_at, available_at, request_id)
    SELECT {_EMAIL_KIND}, email, to_name, email_context::jsonb, campaign_id, 'pending', 0,
           {_NOW}, {_NOW}, request_id
    FROM signed
    WHERE send_email
    ORDER BY submission_id
)
SELECT signer.submission_id, signer.person_id, new_signature.person_id IS NOT NULL AS signed
FROM signer LEFT JOIN new_signature USING (campaign_id, person_id)
"""  # noqa: S608 (built from the constants above, never from input)


@dataclass(frozen=True)
class FirstSignature:
    """One submission's rows, as the statement takes them. A batch must hold at most one
    per campaign and normalised address: the statement cannot tell two apart."""

    submission_id: int
    signature: dict[str, Any]  # the signature's columns but person_id
    email_normalised: str
    consent_text_id: int
    language: str
    send_email: bool
    to_name: str
    email_context: dict[str, str]
    request_id: str | None = None  # the signing request's, for the email's log lines


@dataclass(frozen=True)
class FirstSignatureOutcomes:
    signed: set[int]  # the submissions resolved here
    # Submissions not resolved here whose signer was found: repeats, to be answered.
    signers: dict[int, int]  # submission id → person id


async def insert_first_signatures(
    session: AsyncSession, firsts: Sequence[FirstSignature], *, now: datetime, email_kind: str
) -> FirstSignatureOutcomes:
    """Insert everything these first signatures need, where they are first signatures.
    Says which submissions it resolved, and who signed the others where it knows; for
    those it wrote nothing.

    The statement goes straight to asyncpg on the session's own connection, inside its
    transaction: it runs for nearly every signature in a surge, and SQLAlchemy's
    statement handling of a few thousand parameters would cost more than the database
    spends on them."""
    if not firsts:
        return FirstSignatureOutcomes(set(), {})
    columns: dict[str, list[Any]] = {name: [] for name, _kind in _INPUT}
    for first in firsts:
        values = {
            **first.signature,
            "submission_id": first.submission_id,
            "email_normalised": first.email_normalised,
            "consent_text_id": first.consent_text_id,
            "language": first.language,
            "send_email": first.send_email,
            "to_name": first.to_name,
            "email_context": json.dumps(first.email_context),
            "request_id": first.request_id,
        }
        for name, column in columns.items():
            column.append(values[name])
    async with driver_connection(session) as driver:
        rows = await driver.fetch(_SQL, *columns.values(), now, email_kind)
    return FirstSignatureOutcomes(
        signed={row["submission_id"] for row in rows if row["signed"]},
        signers={
            row["submission_id"]: row["person_id"]
            for row in rows
            if not row["signed"] and row["person_id"] is not None
        },
    )
