"""CSV exports of a campaign's signatures, letters and donations, written row by row as
the database hands them over, so memory stays flat whatever the size.

An export reads through its own session, opened when the response body starts and
closed when it ends: the request's session is committed and closed before the body is
sent. On PostgreSQL one server-side cursor streams the whole table in one snapshot. On
SQLite every transaction takes the write lock (see campaign/db.py), so an export reads
in short keyset pages instead, each its own transaction, letting writers in between."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.donations.models import Donation
from campaign.letters.models import Letter
from campaign.people.models import Person
from campaign.signatures.models import Signature

# Rows fetched from the server per round trip, and rows per page on SQLite.
FETCH_ROWS = 5000
# Rows written into one chunk of the response body.
ROWS_PER_CHUNK = 1000
# A spreadsheet treats a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Export:
    """One export: its file name, header and query (ordered by the table's id, which is
    the first column)."""

    name: str
    header: tuple[str, ...]
    query: Select[*tuple[Any, ...]]
    id_column: Any


def signatures_export(campaign_id: int) -> Export:
    # Not exported: the IP address, token hashes and the email counter.
    columns = (
        Signature.id,
        Signature.status,
        Signature.given_name,
        Signature.family_name,
        Signature.email,
        Signature.country,
        Signature.postcode,
        Signature.comment,
        Signature.email_updates,
        Signature.channel,
        Signature.utm_source,
        Signature.utm_medium,
        Signature.utm_campaign,
        Signature.referrer,
        Signature.created_at,
        Signature.confirmed_at,
    )
    query = select(*columns).where(Signature.campaign_id == campaign_id)
    return Export("signatures", _names(columns), query, Signature.id)


def letters_export(campaign_id: int) -> Export:
    # As staff see letters in the API: no IP address or token hashes.
    columns = (
        Letter.id,
        Letter.status,
        Letter.given_name,
        Letter.family_name,
        Letter.email,
        Letter.country,
        Letter.postcode,
        Letter.locality,
        Letter.subject,
        Letter.body,
        Letter.similarity,
        Letter.personalised,
        Letter.email_updates,
        Letter.created_at,
        Letter.confirmed_at,
    )
    query = select(*columns).where(Letter.campaign_id == campaign_id)
    return Export("letters", _names(columns), query, Letter.id)


def donations_export(campaign_id: int) -> Export:
    # The donor's name and address, beside what the staff donation list shows; no
    # Stripe customer id or checkout URL.
    columns = (
        Donation.id,
        Donation.status,
        Donation.frequency,
        Donation.amount,
        Donation.currency,
        Person.email,
        Person.given_name,
        Person.family_name,
        Donation.stripe_session_id,
        Donation.stripe_subscription_id,
        Donation.created_at,
        Donation.completed_at,
        Donation.ended_at,
    )
    header = (
        "id",
        "status",
        "frequency",
        "amount",
        "currency",
        "email",
        "given_name",
        "family_name",
        "stripe_session_id",
        "stripe_subscription_id",
        "created_at",
        "completed_at",
        "ended_at",
    )
    query = (
        select(*columns)
        .join(Person, Person.id == Donation.person_id)
        .where(Donation.campaign_id == campaign_id)
    )
    return Export("donations", header, query, Donation.id)


async def csv_chunks(
    factory: async_sessionmaker[AsyncSession], export: Export
) -> AsyncIterator[bytes]:
    """The export as CSV, a chunk of rows at a time, header first."""
    yield _csv_text([export.header]).encode()
    async with factory() as session:
        on_postgres = session.get_bind().dialect.name == "postgresql"
    rows = _streamed_rows if on_postgres else _paged_rows
    async for batch in rows(factory, export):
        yield _csv_text(safe_row(row) for row in batch).encode()


async def _streamed_rows(
    factory: async_sessionmaker[AsyncSession], export: Export
) -> AsyncIterator[Sequence[Any]]:
    query = export.query.order_by(export.id_column).execution_options(yield_per=FETCH_ROWS)
    async with factory() as session, session.begin():
        result = await session.stream(query)
        async for partition in result.partitions(ROWS_PER_CHUNK):
            yield partition


async def _paged_rows(
    factory: async_sessionmaker[AsyncSession], export: Export
) -> AsyncIterator[Sequence[Any]]:
    last_id: int | None = None
    while True:
        query = export.query.order_by(export.id_column).limit(ROWS_PER_CHUNK)
        if last_id is not None:
            query = query.where(export.id_column > last_id)
        async with factory() as session, session.begin():
            page = (await session.execute(query)).all()
        if not page:
            return
        yield page
        last_id = page[-1][0]


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in row]


def safe_cell(value: Any) -> Any:
    """A cell as written to the file. Text that a spreadsheet would run as a formula
    gets a leading apostrophe; times are ISO 8601 in UTC."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_text(rows: Iterable[Iterable[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def _names(columns: Sequence[Any]) -> tuple[str, ...]:
    return tuple(column.key for column in columns)
