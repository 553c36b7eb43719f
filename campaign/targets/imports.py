"""Filling the target directory from files: officials from CSV or Popolo JSON, and the
postcode table, written in bulk (officials upserted on their stable id).

Readers turn a file into rows and skipped rows, each skipped row with where it was and
why; writers put the rows in the database in chunks, flush nothing else, and never
commit: the caller's transaction decides."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePath
from typing import Any, Literal

import pydantic_core
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.db import insert_for, utcnow
from campaign.errors import InvalidInput
from campaign.targets.models import Official, PostcodeDivision
from campaign.targets.schemas import OCD_DIVISION_PREFIX, DivisionId, OfficialRow
from campaign.targets.service import normalise_postcode
from campaign.types import CountryCode

# Called with the number of rows read so far, so a command can draw a progress bar.
Progress = Callable[[int], None]
Place = Literal["line", "membership"]

# Columns of an officials CSV; `id` becomes the official's external_id, as given.
OFFICIAL_CSV_COLUMNS = (
    "id",
    "name",
    "title",
    "role",
    "organisation",
    "email",
    "country",
    "division_id",
    "party",
    "source",
)
REQUIRED_OFFICIAL_COLUMNS = ("id", "name", "role", "organisation", "email", "country")
POSTCODE_CSV_COLUMNS = ("postcode", "division_id", "country")
REQUIRED_POSTCODE_COLUMNS = ("postcode", "division_id")
_MAX_POSTCODE_LENGTH = 16  # the postcode column's length

# Rows written at a time. The INSERTs are one statement each, compiled once and run by
# the driver for every row of a chunk (executemany): a multi-row VALUES of 13,000
# parameters costs SQLAlchemy more time to compile (four times the whole import, measured)
# than the database takes to run it. What binds a parameter per row is the query for the
# chunk's ids already there: SQLite allows 32,766 since 3.32 (999 before), asyncpg 32,767.
_CHUNK_ROWS = 1000
_MAX_PARAMETERS = 32_766 if sqlite3.sqlite_version_info >= (3, 32, 0) else 999
_OFFICIAL_UPDATED_COLUMNS = (
    "name",
    "title",
    "role",
    "organisation",
    "email",
    "country",
    "division_id",
    "party",
    "source",
    "active",
    "updated_at",
)
_POPOLO_BODIES = ("legislature", "executive")
_COUNTRY_IN_DIVISION = re.compile(r"(?:^|/)country:([a-z]{2})(?:/|$)")
_POPOLO_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_EMAIL_SEPARATORS = re.compile(r"[;,\s]+")

_country_code = TypeAdapter(CountryCode)
_division_id = TypeAdapter(DivisionId)


@dataclass(frozen=True)
class SkippedRow:
    """A row left out: CSV lines count from 1 (the header), Popolo memberships from 0."""

    place: Place
    number: int
    reason: str

    def __str__(self) -> str:
        return f"{self.place} {self.number}: {self.reason}"


@dataclass(frozen=True)
class OfficialAt:
    place: Place
    number: int
    row: OfficialRow


@dataclass(frozen=True)
class PostcodeAt:
    number: int
    country: str
    postcode: str
    division_id: str


@dataclass
class ImportReport:
    """What an import did. created + updated + unchanged + skipped = total."""

    total: int = 0
    created: int = 0
    updated: int = 0
    # Postcode rows that were there already (an official found again is `updated`).
    unchanged: int = 0
    skipped: list[SkippedRow] = field(default_factory=list)


@dataclass(frozen=True)
class OfficialsFile:
    rows: Iterator[OfficialAt | SkippedRow]
    # How many rows the file holds, about (CSV: its lines), for a progress bar.
    size: int


# --- reading officials -------------------------------------------------------------


def read_officials_file(
    filename: str, text: str, *, country: str | None = None, today: date | None = None
) -> OfficialsFile:
    """The officials of a `.csv` or Popolo `.json` file. `country` is for Popolo areas
    without an OCD id that names one."""
    default_country = valid_country_argument(country) if country else None
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".csv":
        return OfficialsFile(read_officials_csv(csv_lines(filename, text)), text.count("\n"))
    if suffix == ".json":
        document = _parse_json(text.removeprefix("\ufeff"))
        memberships = document.get("memberships") if isinstance(document, dict) else None
        size = len(memberships) if isinstance(memberships, list) else 0
        rows = read_popolo(document, country=default_country, today=today or utcnow().date())
        return OfficialsFile(rows, size)
    raise InvalidInput("the file must be .csv or .json (Popolo)", field="file")


def read_officials_csv(lines: Iterable[str]) -> Iterator[OfficialAt | SkippedRow]:
    """Rows of a CSV with OFFICIAL_CSV_COLUMNS; columns it does not know are ignored.
    A file without the required columns is refused here, before any row is read."""
    reader = csv.reader(lines)
    header = _csv_header(reader, REQUIRED_OFFICIAL_COLUMNS)
    return _officials_of_csv_records(reader, header)


def _officials_of_csv_records(reader: Any, header: list[str]) -> Iterator[OfficialAt | SkippedRow]:
    for line, cells in _csv_records(reader, len(header)):
        if isinstance(cells, SkippedRow):
            yield cells
            continue
        values = _given_cells(header, cells, OFFICIAL_CSV_COLUMNS)
        if "id" in values:
            values["external_id"] = values.pop("id")
        try:
            yield OfficialAt("line", line, OfficialRow.model_validate(values))
        except ValidationError as error:
            yield SkippedRow("line", line, _reason(error, {"external_id": "id"}))


def read_popolo(
    document: object, *, country: str | None, today: date
) -> Iterator[OfficialAt | SkippedRow]:
    """One official per current membership of a legislature or executive (or of any
    organization that has no classification). EveryPolitician's files are this format.
    A document that is not Popolo is refused here, before any membership is read."""
    return _officials_of_memberships(_PopoloIndex.of(document), country, today)


def _officials_of_memberships(
    popolo: _PopoloIndex, country: str | None, today: date
) -> Iterator[OfficialAt | SkippedRow]:
    for index, membership in enumerate(popolo.memberships):
        try:
            values = _official_of_membership(membership, popolo, country, today)
            yield OfficialAt("membership", index, OfficialRow.model_validate(values))
        except _Skip as skip:
            yield SkippedRow("membership", index, skip.reason)
        except ValidationError as error:
            yield SkippedRow("membership", index, _reason(error))
        except _NoCountry as error:
            raise InvalidInput(
                f"membership {index}: its area names no country (an OCD id with country:xx); "
                "give the country",
                field="country",
            ) from error


class _Skip(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _NoCountry(Exception):
    pass


@dataclass(frozen=True)
class _PopoloIndex:
    persons: dict[str, dict[str, Any]]
    organizations: dict[str, dict[str, Any]]
    areas: dict[str, dict[str, Any]]
    posts: dict[str, dict[str, Any]]
    memberships: list[Any]

    @classmethod
    def of(cls, document: object) -> _PopoloIndex:
        if not isinstance(document, dict) or not all(
            isinstance(document.get(key), list) for key in ("persons", "memberships")
        ):
            raise InvalidInput(
                "a Popolo file is a JSON object with lists of persons and memberships",
                field="file",
            )
        return cls(
            persons=_by_id(document, "persons"),
            organizations=_by_id(document, "organizations"),
            areas=_by_id(document, "areas"),
            posts=_by_id(document, "posts"),
            memberships=document["memberships"],
        )


def _official_of_membership(
    membership: object, popolo: _PopoloIndex, default_country: str | None, today: date
) -> dict[str, Any]:
    if not isinstance(membership, dict):
        raise _Skip("not a JSON object")
    if _has_ended(membership.get("end_date"), today):
        raise _Skip(f"ended on {membership['end_date']}")
    post = popolo.posts.get(_popolo_id(membership.get("post_id")) or "", {})
    organization_id = _popolo_id(membership.get("organization_id")) or _popolo_id(
        post.get("organization_id")
    )
    organization = popolo.organizations.get(organization_id or "")
    if organization is None:
        raise _Skip(f"no organization with id {organization_id!r}")
    classification = organization.get("classification")
    if classification is not None and classification not in _POPOLO_BODIES:
        raise _Skip(f"its organization is a {classification}, not a legislature or executive")
    person_id = _popolo_id(membership.get("person_id"))
    person = popolo.persons.get(person_id or "")
    if person is None:
        raise _Skip(f"no person with id {person_id!r}")
    email = _email_of(person)
    if email is None:
        raise _Skip("no email")

    area_id = _popolo_id(membership.get("area_id")) or _popolo_id(post.get("area_id"))
    area = popolo.areas.get(area_id or "", {})
    division_id = _division_of(area_id, area)
    country = _country_of(division_id) or default_country
    if country is None:
        raise _NoCountry
    party = popolo.organizations.get(_popolo_id(membership.get("on_behalf_of_id")) or "", {})
    role = membership.get("role") or ("legislator" if classification == "legislature" else "member")
    place = area_id or _popolo_id(membership.get("post_id")) or ""
    values = {
        "external_id": f"popolo:{person_id}:{organization_id}:{place}",
        "name": person.get("name"),
        "title": membership.get("label")
        or post.get("label")
        or _membership_title(organization.get("name"), area.get("name")),
        "role": role,
        "organisation": organization.get("name"),
        "email": email,
        "country": country,
        "division_id": division_id,
        "party": party.get("name"),
    }
    # Left out rather than None, so a missing name reads "Field required".
    return {name: value for name, value in values.items() if value is not None}


def _by_id(document: dict[str, Any], key: str) -> dict[str, dict[str, Any]]:
    items = document.get(key) or []
    if not isinstance(items, list):
        raise InvalidInput(f"{key} must be a list", field="file")
    found = {}
    for item in items:
        if isinstance(item, dict) and (item_id := _popolo_id(item.get("id"))) is not None:
            found[item_id] = item
    return found


def _popolo_id(value: object) -> str | None:
    # Ids are strings in Popolo; numbers are tolerated, anything else is no id.
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _has_ended(end_date: object, today: date) -> bool:
    if end_date in (None, ""):
        return False
    if not isinstance(end_date, str) or not _POPOLO_DATE.match(end_date):
        raise _Skip("end_date: must be a date such as 2024-05-31")
    # Popolo dates may be a year or a month: "2025" has not ended while 2025 lasts.
    return end_date < today.isoformat()[: len(end_date)]


def _email_of(person: dict[str, Any]) -> str | None:
    email = person.get("email")
    if not email:
        contacts = person.get("contact_details")
        if isinstance(contacts, list):
            email = next(
                (
                    c.get("value")
                    for c in contacts
                    if isinstance(c, dict) and c.get("type") == "email" and c.get("value")
                ),
                None,
            )
    if isinstance(email, str):
        # Some sources list several addresses in one field: the first is used.
        return next((part for part in _EMAIL_SEPARATORS.split(email) if part), None)
    return email if email else None


def _division_of(area_id: str | None, area: dict[str, Any]) -> str | None:
    if area_id and area_id.startswith(OCD_DIVISION_PREFIX):
        return area_id
    identifiers = area.get("identifiers")
    if isinstance(identifiers, list):
        for identifier in identifiers:
            if isinstance(identifier, dict) and identifier.get("scheme") == "ocd-division":
                value = identifier.get("identifier")
                return value if isinstance(value, str) else None
    return None


def _country_of(division_id: str | None) -> str | None:
    found = _COUNTRY_IN_DIVISION.search(division_id or "")
    return found.group(1).upper() if found else None


def _membership_title(organisation: object, area: object) -> str | None:
    if not isinstance(organisation, str):
        return None
    if isinstance(area, str) and area.strip():
        return f"Member of {organisation} for {area}"
    return f"Member of {organisation}"


# --- writing officials ---------------------------------------------------------------


async def import_officials(
    session: AsyncSession,
    rows: Iterable[OfficialAt | SkippedRow],
    progress: Progress | None = None,
) -> ImportReport:
    """Upsert the officials on their external id, in chunks; the last of several rows
    with one id wins, and the others are reported as skipped."""
    report = ImportReport()
    upsert = _OfficialUpsert(session, report)
    for row in rows:
        report.total += 1
        if isinstance(row, SkippedRow):
            report.skipped.append(row)
        else:
            await upsert.add(row)
        if progress is not None and report.total % _CHUNK_ROWS == 0:
            progress(report.total)
    await upsert.write_pending()
    if progress is not None:
        progress(report.total)
    report.skipped.sort(key=lambda skipped: skipped.number)
    return report


class _OfficialUpsert:
    def __init__(self, session: AsyncSession, report: ImportReport) -> None:
        self.session = session
        self.report = report
        self.chunk_rows = min(_CHUNK_ROWS, _MAX_PARAMETERS)
        self.pending: dict[str, OfficialRow] = {}
        # Where each external id was last seen in this file, and which ids were written.
        self.seen_at: dict[str, tuple[Place, int]] = {}
        self.written: set[str] = set()
        insert = insert_for(session, Official.__table__)
        self.statement = insert.on_conflict_do_update(
            index_elements=["external_id"],
            set_={column: insert.excluded[column] for column in _OFFICIAL_UPDATED_COLUMNS},
        )

    async def add(self, found: OfficialAt) -> None:
        external_id = found.row.external_id
        earlier = self.seen_at.get(external_id)
        if earlier is not None:
            self.pending.pop(external_id, None)
            self.report.skipped.append(
                SkippedRow(
                    earlier[0],
                    earlier[1],
                    f"id {external_id!r} comes again at {found.place} {found.number}, "
                    "which is kept",
                )
            )
        self.seen_at[external_id] = (found.place, found.number)
        self.pending[external_id] = found.row
        if len(self.pending) >= self.chunk_rows:
            await self.write_pending()

    async def write_pending(self) -> None:
        if not self.pending:
            return
        external_ids = list(self.pending)
        existing = set(
            await self.session.scalars(
                select(Official.external_id).where(Official.external_id.in_(external_ids))
            )
        )
        now = utcnow()
        values = [
            {**row.model_dump(), "active": True, "created_at": now, "updated_at": now}
            for row in self.pending.values()
        ]
        await self.session.execute(self.statement, values)
        for external_id in external_ids:
            # An id written earlier in this same import was counted then; its earlier
            # row is now reported as skipped.
            if external_id in self.written:
                continue
            if external_id in existing:
                self.report.updated += 1
            else:
                self.report.created += 1
        self.written.update(external_ids)
        self.pending.clear()


# --- postcodes -----------------------------------------------------------------------


def read_postcodes_csv(lines: Iterable[str], *, country: str) -> Iterator[PostcodeAt | SkippedRow]:
    """Rows of a CSV with `postcode,division_id` and optionally `country` (else `country`)."""
    reader = csv.reader(lines)
    header = _csv_header(reader, REQUIRED_POSTCODE_COLUMNS)
    return _postcodes_of_csv_records(reader, header, country)


def _postcodes_of_csv_records(
    reader: Any, header: list[str], country: str
) -> Iterator[PostcodeAt | SkippedRow]:
    for line, cells in _csv_records(reader, len(header)):
        if isinstance(cells, SkippedRow):
            yield cells
            continue
        values = _given_cells(header, cells, POSTCODE_CSV_COLUMNS)
        try:
            yield _postcode_row(line, values, country)
        except _Skip as skip:
            yield SkippedRow("line", line, skip.reason)


def _postcode_row(line: int, values: dict[str, str], default_country: str) -> PostcodeAt:
    postcode = normalise_postcode(values.get("postcode", ""))
    if not postcode:
        raise _Skip("postcode: empty")
    if len(postcode) > _MAX_POSTCODE_LENGTH:
        raise _Skip(f"postcode: must be at most {_MAX_POSTCODE_LENGTH} letters and digits")
    if "division_id" not in values:
        raise _Skip("division_id: empty")
    division_id = _valid_cell(_division_id, "division_id", values["division_id"])
    country = _valid_cell(_country_code, "country", values.get("country", default_country))
    return PostcodeAt(line, country, postcode, division_id)


def _valid_cell(adapter: TypeAdapter[str], name: str, value: str) -> str:
    try:
        return adapter.validate_python(value)
    except ValidationError as error:
        raise _Skip(f"{name}: {_reason(error)}") from error


async def import_postcodes(
    session: AsyncSession,
    lines: Iterable[str],
    *,
    country: str,
    replace: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Add the postcode rows that are not there yet; with `replace`, the country's rows
    are deleted first, in the same transaction, so lookups never see a half-empty table."""
    country = valid_country_argument(country)
    if replace:
        await session.execute(delete(PostcodeDivision).where(PostcodeDivision.country == country))
    # The driver cannot say how many rows of an executemany were inserted rather than
    # already there; the table's size before and after can, inside this transaction
    # (another postcode import running at the same time would blur it).
    rows_before = await _count_postcode_rows(session)
    statement = insert_for(session, PostcodeDivision.__table__).on_conflict_do_nothing(
        index_elements=["country", "postcode", "division_id"]
    )
    report = ImportReport()
    chunk: list[dict[str, str]] = []
    written = 0
    for row in read_postcodes_csv(lines, country=country):
        report.total += 1
        if isinstance(row, SkippedRow):
            report.skipped.append(row)
        else:
            chunk.append(
                {"country": row.country, "postcode": row.postcode, "division_id": row.division_id}
            )
        if len(chunk) >= _CHUNK_ROWS:
            await session.execute(statement, chunk)
            written += len(chunk)
            chunk = []
        if progress is not None and report.total % _CHUNK_ROWS == 0:
            progress(report.total)
    if chunk:
        await session.execute(statement, chunk)
        written += len(chunk)
    if progress is not None:
        progress(report.total)
    report.created = await _count_postcode_rows(session) - rows_before
    report.unchanged = written - report.created
    return report


async def _count_postcode_rows(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(PostcodeDivision)) or 0


# --- shared --------------------------------------------------------------------------


def csv_lines(filename: str, text: str) -> Iterator[str]:
    """A .csv file's text as lines for the csv module, which splits records itself (a
    quoted field may hold a line break)."""
    if PurePath(filename).suffix.lower() != ".csv":
        raise InvalidInput("the file must be .csv", field="file")
    # A byte order mark (spreadsheet exports) would stick to the first column's name.
    return io.StringIO(text.removeprefix("\ufeff"), newline="")


def valid_country_argument(country: str) -> str:
    try:
        return _country_code.validate_python(country)
    except ValidationError as error:
        raise InvalidInput(_reason(error), field="country") from error


def _parse_json(text: str) -> object:
    # pydantic's parser, not json.loads: it refuses lone surrogates (which no database
    # stores) and limits nesting, instead of raising RecursionError.
    try:
        return pydantic_core.from_json(text)
    except ValueError as error:
        raise InvalidInput(f"the file is not valid JSON: {error}", field="file") from error


def _csv_header(reader: Any, required: tuple[str, ...]) -> list[str]:
    try:
        first = next(reader, None)
    except csv.Error as error:
        raise InvalidInput(f"line 1: {error}", field="file") from error
    if first is None:
        raise InvalidInput("the file is empty", field="file")
    header = [cell.strip().lower() for cell in first]
    missing = [name for name in required if name not in header]
    if missing:
        raise InvalidInput(
            f"the header row lacks the column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}",
            field="file",
        )
    return header


def _csv_records(reader: Any, width: int) -> Iterator[tuple[int, list[str] | SkippedRow]]:
    """(line where the record starts, its cells), blank lines left out; a record with
    more cells than the header is a SkippedRow."""
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader, None)
        except csv.Error as error:
            raise InvalidInput(f"line {line}: {error}", field="file") from error
        if cells is None:
            return
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > width:
            yield line, SkippedRow("line", line, f"{len(cells)} fields, the header has {width}")
        else:
            yield line, cells


def _given_cells(header: list[str], cells: list[str], known: tuple[str, ...]) -> dict[str, str]:
    # Blank cells are left out, so optional fields fall back to their defaults.
    return {
        name: cell
        for name, cell in zip(header, cells, strict=False)
        if name in known and cell.strip()
    }


def _reason(error: ValidationError, renamed: dict[str, str] | None = None) -> str:
    reasons = []
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"])
        name = (renamed or {}).get(name, name)
        message = str(item["msg"]).removeprefix("Value error, ")
        reasons.append(f"{name}: {message}" if name else message)
    return "; ".join(reasons)
