"""Every column that holds personal data says so, and erasing a person empties every
such column of their rows, leaves their address, names, postcode and words in no row of
any table, and changes no count."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import JSON, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.db import is_personal, transaction
from campaign.letters.models import Letter, LetterDelivery
from campaign.metrics.rollup import update_rollups
from campaign.models import Base
from campaign.outbox.models import OutboxMessage, Suppression
from campaign.people.models import Person
from campaign.privacy.erasure import ERASED_CONTENT, PLACEHOLDER, PLACEHOLDER_ADDRESS
from campaign.signatures.models import Signature
from tests.privacy.conftest import LETTERS, OTHER, PETITIONS, ZEPHYRINE, Campaigns, MakeActive

# Parts of a column's name that say it may hold something about a person.
PERSONAL_WORDS = {
    "email", "name", "postcode", "address", "ip", "agent", "body", "comment", "phone",
    "referrer", "locality", "custom", "payload", "context", "reply", "subject", "prefix",
}  # fmt: skip

# Columns whose names sound personal but are not, and why.
NOT_PERSONAL = {
    "people.email_confirmed_at": "a time, not the address",
    "signatures.email_updates": "a yes or no to updates",
    "signature_submissions.email_updates": "a yes or no to updates",
    "letters.email_updates": "a yes or no to updates",
    "signatures.name_may_be_given": "a yes or no to being named to an official",
    "signature_submissions.name_may_be_given": "a yes or no to being named to an official",
    "suppressions.email_hash": "the keyed hash an erasure keeps, useless without the key",
    "privacy_audit_log.email_hash": "the keyed hash an erasure keeps, useless without the key",
    "invalidation_jobs.email_domain": "a mail domain staff search by, not one person's",
    "officials.name": "an office holder's public name, from a public directory",
    "officials.email": "an office holder's public office address",
    "campaigns.body_markdown": "the campaign's text, written by staff",
    "campaign_versions.body_markdown": "the campaign's text in one language, written by staff",
    "campaign_versions.letter_subject": "the campaign's suggested letter, written by staff",
    "campaign_versions.letter_body": "the campaign's suggested letter, written by staff",
    "letter_setups.body_template": "the campaign's letter template, written by staff",
    "letter_setups.subject_template": "the campaign's letter template, written by staff",
    "mailings.subject": "a mailing staff wrote to many",
    "mailings.body_markdown": "a mailing staff wrote to many",
    "mailings.body_html": "a mailing staff wrote to many",
    "mailings.sender_name": "the sender name staff chose for a mailing",
    "petition_responses.body_markdown": "the target's public response, recorded by staff",
    "petition_responses.body_html": "the target's public response, recorded by staff",
    "tags.name": "a label staff give people, not about one person",
    "tags.name_normalised": "a label staff give people, not about one person",
    "api_tokens.name": "the name staff gave a token",
    "consent_texts.text": "wording shown to everyone",
    "metrics_watermarks.email_event_id": "how far the rollups have read",
    "postcode_divisions.postcode": "a directory of postcodes, whoever lives there",
    "api_tokens.prefix": "the visible start of a staff token",
    "campaigns.postcode_mode": "whether a campaign asks for a postcode",
    "letter_setups.subject_editable": "whether activists may change a subject",
}


def _words(name: str) -> set[str]:
    return set(re.split(r"_", name))


def test_every_column_that_sounds_personal_is_marked_or_explained() -> None:
    unexplained = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            key = f"{table.name}.{column.name}"
            sounds_personal = bool(_words(column.name) & PERSONAL_WORDS) or column.name in {
                "to_address",
                "custom_fields",
                "user_agent",
            }
            if sounds_personal and not is_personal(column) and key not in NOT_PERSONAL:
                unexplained.append(key)
    assert unexplained == [], "mark these info=personal() or list them as not personal"
    for key in NOT_PERSONAL:
        table, column = key.split(".")
        assert not is_personal(Base.metadata.tables[table].columns[column]), key


def _textual(column: Any) -> bool:
    return isinstance(column.type, String | Text | JSON) or "JSON" in type(column.type).__name__


async def _every_text(factory: async_sessionmaker[AsyncSession]) -> list[tuple[str, str]]:
    """(table.column, lower-case text) of every textual value in the database."""
    found = []
    async with factory() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if _textual(c)]
            if not columns:
                continue
            for row in (await session.execute(select(*columns))).all():
                for column, value in zip(columns, row, strict=True):
                    if value is not None:
                        found.append((f"{table.name}.{column.name}", str(value).lower()))
    return found


def _emptied(value: Any) -> bool:
    if value in (None, "", {}, PLACEHOLDER, PLACEHOLDER_ADDRESS, ERASED_CONTENT):
        return True
    return isinstance(value, str) and (
        value.endswith("@erased.invalid") or value == "https://news.example/"
    )


async def _counts(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    counts: dict[str, Any] = {}
    for slug in PETITIONS:
        staff = await client.get(f"/api/v1/staff/campaigns/{slug}", headers=headers)
        counts[slug] = staff.json()["counts"]
        metrics = await client.get(f"/api/v1/staff/campaigns/{slug}/metrics", headers=headers)
        assert metrics.status_code == 200, metrics.text
        # Its figures, not the moment they were read at.
        counts[f"{slug} metrics"] = {
            k: v for k, v in metrics.json().items() if k not in ("as_of", "window")
        }
    letters = await client.get(f"/api/v1/staff/campaigns/{LETTERS}/letters", headers=headers)
    counts[LETTERS] = letters.json()["totals"]
    return counts


async def test_erasure_empties_every_personal_column_and_changes_no_count(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    campaigns: Campaigns,
    make_active: MakeActive,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await campaigns()
    person_id = await make_active(ZEPHYRINE)
    await make_active(OTHER)
    async with transaction(session_factory) as session:
        await update_rollups(session, lag=timedelta(0))
    before = await _counts(client, admin)
    texts = await _every_text(session_factory)
    for trace in ZEPHYRINE.traces:
        assert any(trace in text for _, text in texts), f"the test data lacks {trace!r}"
    async with session_factory() as session:
        their_messages = list(
            await session.scalars(
                select(OutboxMessage.id).where(OutboxMessage.to_address.ilike(ZEPHYRINE.email))
            )
        )
    assert len(their_messages) == 3  # two confirmations and the letter's copy

    erased = await client.post(
        "/api/v1/staff/privacy/erase",
        json={"email": ZEPHYRINE.email, "confirm_email": ZEPHYRINE.email.upper()},
        headers=admin,
    )
    assert erased.status_code == 200, erased.text
    assert erased.json() == {
        "people": 1,
        "signatures": 2,
        "letters": 1,
        "emails": len(their_messages),
    }

    leftovers = [
        (where, trace)
        for where, text in await _every_text(session_factory)
        for trace in ZEPHYRINE.traces
        if trace in text
    ]
    assert leftovers == []
    # The other person is untouched.
    after_texts = await _every_text(session_factory)
    for trace in OTHER.traces:
        assert any(trace in text for _, text in after_texts), trace

    async with session_factory() as session:
        person = await session.get_one(Person, person_id)
        rows: list[Any] = [person]
        rows += list(
            await session.scalars(select(Signature).where(Signature.person_id == person_id))
        )
        letters = list(await session.scalars(select(Letter).where(Letter.person_id == person_id)))
        rows += letters
        rows += list(
            await session.scalars(
                select(LetterDelivery).where(LetterDelivery.letter_id.in_([x.id for x in letters]))
            )
        )
        rows += list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(their_messages)))
        )
        for row in rows:
            for column in row.__table__.columns:
                if is_personal(column):
                    value = getattr(row, column.key)
                    assert _emptied(value), (row.__tablename__, column.name, value)
        assert person.erased_at is not None
        hashed = list(
            await session.scalars(
                select(Suppression.reason).where(Suppression.email_hash.is_not(None))
            )
        )
        assert hashed == ["erased"]

    async with transaction(session_factory) as session:
        await update_rollups(session, lag=timedelta(0))
    assert await _counts(client, admin) == before

    # Erasing again finds nothing more to do, and is no error.
    again = await client.post(
        "/api/v1/staff/privacy/erase",
        json={"email": ZEPHYRINE.email, "confirm_email": ZEPHYRINE.email},
        headers=admin,
    )
    assert again.status_code == 200
    assert again.json() == {"people": 0, "signatures": 0, "letters": 0, "emails": 0}
    assert await _counts(client, admin) == before
