"""CSV exports of a campaign's signatures, letters and donations, written row by row as
the database hands them over, so memory stays flat whatever the size.

An export reads through its own session, opened when the response body starts and
closed when it ends: the request's session is committed and closed before the body is
sent. On PostgreSQL the database writes the CSV itself (COPY TO STDOUT, a server-side
stream) from one snapshot: three times as fast as formatting rows in Python. On SQLite
every transaction takes the write lock (see campaign/db.py), so an export reads
in short keyset pages instead, each its own transaction, letting writers in between."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Select, String, case, func, literal, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.campaigns.models import CampaignKind
from campaign.db import UTCDateTime, driver_connection
from campaign.donations.models import Donation
from campaign.letters.models import Letter
from campaign.people.models import Person
from campaign.signatures.models import Signature
from campaign.tags.models import Tag, Tagging
from campaign.tags.service import normalise_tag_name

# Rows per page, and so per chunk of the response body, on SQLite.
ROWS_PER_CHUNK = 1000
# Chunks of COPY output (PostgreSQL) waiting to be sent, at most.
COPY_QUEUE_CHUNKS = 16
# A spreadsheet treats a cell starting with one of these as a formula.
FORMULA_CHARACTERS = frozenset("=+-@\t\r")


@dataclass(frozen=True)
class Export:
    """One export: its file name, header and query (ordered by the table's id, which is
    the first column)."""

    name: str
    header: tuple[str, ...]
    query: Select[*tuple[Any, ...]]
    id_column: Any


def _tagged(person_id: Any, tag: str | None) -> list[Any]:
    """The condition "the person has this tag" (any case or spacing); none without one."""
    if tag is None or not tag.strip():
        return []
    people = (
        select(Tagging.person_id)
        .join(Tag, Tag.id == Tagging.tag_id)
        .where(Tag.name_normalised == normalise_tag_name(tag))
    )
    return [person_id.in_(people)]


def signatures_export(campaign_id: int, tag: str | None = None) -> Export:
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
        # The language version signed: the one count, split as staff need it.
        Signature.language,
        Signature.utm_source,
        Signature.utm_medium,
        Signature.utm_campaign,
        Signature.referrer,
        Signature.created_at,
        Signature.confirmed_at,
    )
    query = select(*columns).where(
        Signature.campaign_id == campaign_id, *_tagged(Signature.person_id, tag)
    )
    return Export("signatures", _names(columns), query, Signature.id)


def letters_export(campaign_id: int, tag: str | None = None) -> Export:
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
    query = select(*columns).where(
        Letter.campaign_id == campaign_id, *_tagged(Letter.person_id, tag)
    )
    return Export("letters", _names(columns), query, Letter.id)


def donations_export(campaign_id: int, tag: str | None = None) -> Export:
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
        .where(Donation.campaign_id == campaign_id, *_tagged(Donation.person_id, tag))
    )
    return Export("donations", header, query, Donation.id)


EXPORTS: dict[str, Callable[[int, str | None], Export]] = {
    "signatures": signatures_export,
    "letters": letters_export,
    "donations": donations_export,
}


def exports_for(kind: str, *, takes_donations: bool) -> list[str]:
    """The exports that apply to a campaign: its signatures or its letters, and its
    donations if it takes them."""
    names = ["letters" if kind == CampaignKind.LETTER else "signatures"]
    return names + (["donations"] if takes_donations else [])


async def csv_chunks(
    factory: async_sessionmaker[AsyncSession], export: Export
) -> AsyncIterator[bytes]:
    """The export as CSV, a chunk of rows at a time, header first."""
    yield _csv_text([export.header]).encode()
    async with factory() as session:
        on_postgres = session.get_bind().dialect.name == "postgresql"
    if on_postgres:
        async for data in _copied_csv(factory, export):
            yield data
        return
    make_safe = row_guard(export)
    async for batch in _paged_rows(factory, export):
        yield _csv_text(map(make_safe, batch)).encode()


async def _copied_csv(
    factory: async_sessionmaker[AsyncSession], export: Export
) -> AsyncIterator[bytes]:
    """PostgreSQL writes the CSV itself (COPY ... TO STDOUT), from one snapshot, cells
    already made safe by `copy_query`; the bytes pass through a small queue, so a slow
    client holds the copy back instead of filling memory."""
    chunks: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=COPY_QUEUE_CHUNKS)
    async with factory() as session, session.begin(), driver_connection(session) as driver:

        async def copy() -> None:
            try:
                await driver.copy_from_query(copy_query(export), output=chunks.put, format="csv")
            finally:
                await chunks.put(None)

        copying = asyncio.create_task(copy())
        try:
            while (data := await chunks.get()) is not None:
                yield bytes(data)
            await copying  # raises what the copy raised
        finally:
            if not copying.done():
                copying.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await copying


def copy_query(export: Export) -> str:
    """The export's SELECT for COPY, with each cell as `row_guard` would write it:
    formula-like text quoted, times in ISO 8601 UTC, booleans as True/False."""
    cells = []
    for column in export.query.selected_columns:
        if isinstance(column.type, UTCDateTime):
            utc = func.timezone("UTC", column)
            cell: Any = func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
        elif isinstance(column.type, String):
            first = func.left(column, 1)
            formula = first.in_(["=", "+", "-", "@", func.chr(9), func.chr(13)])
            cell = case((formula, literal("'") + column), else_=column)
        elif isinstance(column.type, Boolean):
            cell = case((column.is_(None), None), (column, "True"), else_="False")
        else:
            cell = column
        cells.append(cell)
    query = export.query.with_only_columns(*cells).order_by(export.id_column)
    compiled = query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    return str(compiled)


def row_guard(export: Export) -> Callable[[Sequence[Any]], list[Any]]:
    """A function that makes one row safe to open in a spreadsheet (see `safe_cell`),
    looking only at the columns that can hold text or times: this runs per row of a
    million-row export."""
    text_columns: list[int] = []
    time_columns: list[int] = []
    for index, column in enumerate(export.query.selected_columns):
        if isinstance(column.type, UTCDateTime):
            time_columns.append(index)
        elif isinstance(column.type, String):
            text_columns.append(index)

    def guard(row: Sequence[Any]) -> list[Any]:
        cells = list(row)
        for index in text_columns:
            value = cells[index]
            if value and value[0] in FORMULA_CHARACTERS:
                cells[index] = "'" + value
        for index in time_columns:
            value = cells[index]
            if value is not None:
                cells[index] = value.isoformat()
        return cells

    return guard


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


def safe_cell(value: Any) -> Any:
    """A cell as written to the file. Text that a spreadsheet would run as a formula
    gets a leading apostrophe; times are ISO 8601 in UTC."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in FORMULA_CHARACTERS:
        return "'" + value
    return value


def _csv_text(rows: Iterable[Iterable[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def _names(columns: Sequence[Any]) -> tuple[str, ...]:
    return tuple(column.key for column in columns)
