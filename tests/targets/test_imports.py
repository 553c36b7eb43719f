"""Importing officials (CSV, Popolo) and postcode tables through the service functions,
against the real database."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.db import transaction
from campaign.errors import InvalidInput
from campaign.targets.imports import (
    ImportReport,
    OfficialAt,
    SkippedRow,
    csv_lines,
    import_officials,
    import_postcodes,
    read_officials_file,
    read_popolo,
)
from campaign.targets.models import Official
from campaign.targets.service import divisions_of_postcode
from tests.targets.documents import (
    CSV_HEADER,
    EASTMOOR,
    KETTLE,
    OFFICIALS_CSV,
    OFFICIALS_CSV_SKIPPED,
    POSTCODES_CSV,
    UPPER_FOLD,
    popolo_document,
)

Factory = async_sessionmaker[AsyncSession]
TODAY = date(2026, 1, 1)


async def import_csv(factory: Factory, text: str) -> ImportReport:
    async with transaction(factory) as session:
        source = read_officials_file("officials.csv", text)
        return await import_officials(session, source.rows)


async def officials_by_external_id(factory: Factory) -> dict[str, Official]:
    async with factory() as session:
        return {o.external_id: o for o in await session.scalars(select(Official))}


def official_line(number: int, **overrides: str) -> str:
    fields = {
        "id": f"mp-{number}",
        "name": f"Member {number}",
        "title": f"Member for District {number}",
        "role": "legislator",
        "organisation": "Assembly of Westland",
        "email": f"member.{number}@assembly.example",
        "country": "GB",
        "division_id": f"ocd-division/country:gb/district:d{number}",
        "party": "",
        "source": "",
    }
    fields.update(overrides)
    return ",".join(fields.values()) + "\n"


async def test_a_csv_imports_its_good_rows_and_reports_the_bad_by_line(
    session_factory: Factory,
) -> None:
    report = await import_csv(session_factory, OFFICIALS_CSV)

    assert [str(skipped) for skipped in report.skipped] == OFFICIALS_CSV_SKIPPED
    assert (report.total, report.created, report.updated) == (8, 2, 0)
    stored = await officials_by_external_id(session_factory)
    assert set(stored) == {"mp-1", "fm-1"}
    orla = stored["mp-1"]
    assert (orla.name, orla.title, orla.role, orla.party) == (
        "Orla Penhallow",
        "Member for Eastmoor",
        "legislator",
        "Green Lanterns",
    )
    assert (orla.division_id, orla.source, orla.active) == (
        EASTMOOR,
        "https://assembly.example/m",
        True,
    )
    tobias = stored["fm-1"]
    # The title falls back to the role as written; the role becomes a key.
    assert (tobias.title, tobias.role) == ("Foreign Minister", "foreign_minister")
    assert (tobias.email, tobias.country) == ("Tobias.Wren@gov.example", "GB")
    assert (tobias.division_id, tobias.party, tobias.source) == (None, None, None)


async def test_importing_again_updates_on_the_stable_id_instead_of_duplicating(
    session_factory: Factory,
) -> None:
    await import_csv(session_factory, OFFICIALS_CSV)
    before = await officials_by_external_id(session_factory)
    changed = OFFICIALS_CSV.replace("Member for Eastmoor", "Member for East Moor")

    report = await import_csv(session_factory, changed)

    assert (report.created, report.updated, len(report.skipped)) == (0, 2, 6)
    after = await officials_by_external_id(session_factory)
    assert set(after) == set(before)
    assert after["mp-1"].id == before["mp-1"].id
    assert after["mp-1"].title == "Member for East Moor"
    assert after["mp-1"].updated_at > before["mp-1"].updated_at
    assert after["mp-1"].created_at == before["mp-1"].created_at


async def test_an_import_brings_back_an_official_taken_out_of_use(
    session_factory: Factory,
) -> None:
    await import_csv(session_factory, OFFICIALS_CSV)
    async with transaction(session_factory) as session:
        official = await session.scalar(select(Official).where(Official.external_id == "mp-1"))
        assert official is not None
        official.active = False
    await import_csv(session_factory, OFFICIALS_CSV)
    assert (await officials_by_external_id(session_factory))["mp-1"].active is True


async def test_the_last_row_with_an_id_wins_and_the_earlier_is_reported(
    session_factory: Factory,
) -> None:
    text = (
        CSV_HEADER
        + official_line(1, name="First Spelling")
        + official_line(2)
        + official_line(1, name="Second Spelling")
    )
    report = await import_csv(session_factory, text)

    assert [str(s) for s in report.skipped] == [
        "line 2: id 'mp-1' comes again at line 4, which is kept"
    ]
    assert (report.total, report.created, report.updated) == (3, 2, 0)
    assert (await officials_by_external_id(session_factory))["mp-1"].name == "Second Spelling"


async def test_counts_stay_true_across_chunks_and_repeated_ids_across_them(
    session_factory: Factory,
) -> None:
    # 1,500 rows are two chunks; id mp-10 comes back in the second one.
    lines = [official_line(n) for n in range(1500)]
    lines[1400] = official_line(10, name="Moved Later")
    text = CSV_HEADER + "".join(lines)

    first = await import_csv(session_factory, text)
    again = await import_csv(session_factory, text)

    assert (first.total, first.created, first.updated, len(first.skipped)) == (1500, 1499, 0, 1)
    assert str(first.skipped[0]) == "line 12: id 'mp-10' comes again at line 1402, which is kept"
    assert (again.created, again.updated, len(again.skipped)) == (0, 1499, 1)
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Official)) == 1499
    assert (await officials_by_external_id(session_factory))["mp-10"].name == "Moved Later"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("id,name,email\n", "the header row lacks the columns role, organisation, country"),
    ],
)
async def test_a_csv_without_the_columns_is_refused_whole(
    session_factory: Factory, text: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await import_csv(session_factory, text)
    assert (refused.value.detail, refused.value.field) == (message, "file")


async def test_a_spreadsheet_byte_order_mark_is_not_part_of_the_first_column(
    session_factory: Factory,
) -> None:
    report = await import_csv(session_factory, "\ufeff" + CSV_HEADER + official_line(1))
    assert (report.created, report.skipped) == (1, [])


def test_popolo_gives_one_official_per_current_membership() -> None:
    rows = list(read_popolo(popolo_document(), country="GB", today=TODAY))

    skipped = {row.number: row.reason for row in rows if isinstance(row, SkippedRow)}
    assert skipped == {
        2: "no email",
        3: "ended on 2020-01-31",
        5: "its organization is a party, not a legislature or executive",
    }
    officials = {row.number: row.row for row in rows if isinstance(row, OfficialAt)}
    orla, tobias, ida, hal = officials[0], officials[1], officials[4], officials[6]
    assert orla.external_id == f"popolo:p-orla:assembly:{EASTMOOR}"
    assert (orla.name, orla.email, orla.organisation, orla.party) == (
        "Orla Penhallow",
        "orla.penhallow@assembly.example",
        "Assembly of Westland",
        "Green Lanterns",
    )
    assert (orla.role, orla.title) == ("legislator", "Member of Assembly of Westland for Eastmoor")
    assert (orla.division_id, orla.country) == (EASTMOOR, "GB")

    # An executive role as given, its label as title, the email from contact details,
    # and the country from the option, since there is no area.
    assert tobias.external_id == "popolo:p-tobias:cabinet:"
    assert (tobias.role, tobias.title) == ("foreign_minister", "Minister for Foreign Affairs")
    assert (tobias.email, tobias.country, tobias.division_id) == (
        "tobias.wren@gov.example",
        "GB",
        None,
    )

    # The area's id is not an OCD id; its ocd-division identifier is used.
    assert ida.external_id == "popolo:p-ida:assembly:area-kettle"
    assert (ida.division_id, ida.title) == (KETTLE, "Member of Assembly of Westland for Kettle")

    # A membership of a post takes the post's organisation and label.
    assert hal.external_id == "popolo:p-hal:assembly:post-chair"
    assert (hal.title, hal.organisation, hal.role) == (
        "Chair of the Assembly",
        "Assembly of Westland",
        "legislator",
    )


def test_a_popolo_membership_ending_this_month_still_counts_until_it_is_over() -> None:
    [ida] = [
        r
        for r in read_popolo(popolo_document(), country="GB", today=date(2026, 6, 30))
        if r.number == 4
    ]
    assert isinstance(ida, OfficialAt)
    [ida] = [
        r
        for r in read_popolo(popolo_document(), country="GB", today=date(2026, 7, 1))
        if r.number == 4
    ]
    assert isinstance(ida, SkippedRow)
    assert ida.reason == "ended on 2026-06"


def test_popolo_without_a_country_for_an_area_less_membership_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        list(read_popolo(popolo_document(), country=None, today=TODAY))
    assert refused.value.field == "country"
    assert refused.value.detail.startswith("membership 1:")


@pytest.mark.parametrize(
    "document",
    [[], {"persons": []}, {"persons": {}, "memberships": []}, "text", 3],
)
def test_something_that_is_not_popolo_is_refused(document: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        list(read_popolo(document, country="GB", today=TODAY))
    assert refused.value.field == "file"


def test_odd_popolo_values_skip_their_membership_with_a_reason() -> None:
    document = popolo_document()
    document["persons"][0]["name"] = 17
    document["memberships"][1]["end_date"] = "last spring"
    document["memberships"].append("not an object")
    document["memberships"].append({"person_id": ["p-ida"], "organization_id": "assembly"})
    rows = list(read_popolo(document, country="GB", today=TODAY))
    skipped = {row.number: row.reason for row in rows if isinstance(row, SkippedRow)}
    assert skipped[0] == "name: Input should be a valid string"
    assert skipped[1] == "end_date: must be a date such as 2024-05-31"
    assert skipped[7] == "not a JSON object"
    assert skipped[8] == "no person with id None"


async def test_a_popolo_file_is_imported_through_the_same_writer(
    session_factory: Factory,
) -> None:
    text = json.dumps(popolo_document())
    async with transaction(session_factory) as session:
        source = read_officials_file("westland.json", text, country="GB", today=TODAY)
        assert source.size == 7
        report = await import_officials(session, source.rows)
    assert (report.total, report.created, len(report.skipped)) == (7, 4, 3)
    assert [s.place for s in report.skipped] == ["membership"] * 3
    stored = await officials_by_external_id(session_factory)
    assert stored["popolo:p-ida:assembly:area-kettle"].party == "Green Lanterns"


@pytest.mark.parametrize(
    ("name", "text"),
    [("westland.json", '{"persons": [], "memberships": [}'), ("westland.xlsx", "PK")],
)
def test_an_unreadable_officials_file_is_refused(name: str, text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        read_officials_file(name, text)
    assert refused.value.field == "file"


def test_a_lone_surrogate_in_popolo_json_is_refused_not_stored() -> None:
    with pytest.raises(InvalidInput):
        read_officials_file(
            "westland.json", '{"persons": [{"name": "\\ud800"}], "memberships": []}'
        )


async def test_postcodes_are_normalised_and_found_as_a_supporter_types_them(
    session_factory: Factory,
) -> None:
    async with transaction(session_factory) as session:
        report = await import_postcodes(
            session, csv_lines("postcodes.csv", POSTCODES_CSV), country="gb"
        )
    assert (report.total, report.created, report.unchanged) == (6, 3, 1)
    assert [str(s) for s in report.skipped] == [
        "line 6: postcode: empty",
        "line 7: division_id: must be an Open Civic Data id starting with ocd-division/",
    ]
    async with session_factory() as session:
        assert await divisions_of_postcode(session, "GB", "sw1a 1aa") == [EASTMOOR]
        assert await divisions_of_postcode(session, "GB", "SW1A1AA") == [EASTMOOR]
        # A postcode that straddles a boundary is in both divisions.
        assert await divisions_of_postcode(session, "GB", "N1 9GU") == [KETTLE, UPPER_FOLD]
        assert await divisions_of_postcode(session, "FR", "SW1A 1AA") == []


async def test_replacing_a_countrys_postcodes_leaves_other_countries_alone(
    session_factory: Factory,
) -> None:
    with_countries = (
        "postcode,division_id,country\n"
        f"SW1A 1AA,{EASTMOOR},\n"
        "75001,ocd-division/country:fr/departement:75,FR\n"
    )
    async with transaction(session_factory) as session:
        await import_postcodes(session, csv_lines("p.csv", with_countries), country="GB")
    async with transaction(session_factory) as session:
        report = await import_postcodes(
            session,
            io.StringIO(f"postcode,division_id\nE1 6AN,{KETTLE}\n"),
            country="GB",
            replace=True,
        )
    assert report.created == 1
    async with session_factory() as session:
        assert await divisions_of_postcode(session, "GB", "SW1A 1AA") == []
        assert await divisions_of_postcode(session, "GB", "e1 6an") == [KETTLE]
        assert await divisions_of_postcode(session, "FR", "75001") == [
            "ocd-division/country:fr/departement:75"
        ]


async def test_a_postcode_import_needs_a_real_country(session_factory: Factory) -> None:
    async with transaction(session_factory) as session:
        with pytest.raises(InvalidInput) as refused:
            await import_postcodes(session, io.StringIO(POSTCODES_CSV), country="Westland")
    assert refused.value.field == "country"


async def test_progress_is_reported_as_rows_are_read(session_factory: Factory) -> None:
    seen: list[int] = []
    text = CSV_HEADER + "".join(official_line(n) for n in range(2500))
    async with transaction(session_factory) as session:
        source = read_officials_file("officials.csv", text)
        await import_officials(session, source.rows, progress=seen.append)
    assert seen == [1000, 2000, 2500]
