"""Staff API for the target directory: list, add and change officials, and import
officials or a postcode table from a file."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile, status

from api.deps import Editor, SessionDep, Viewer
from api.params import OffsetQuery, RowIdPath
from api.schemas.targets import ImportReportView, OfficialPage, OfficialView
from api.uploads import MAX_IMPORT_BYTES, read_upload
from campaign.targets import directory, imports
from campaign.targets.schemas import DivisionId, OfficialRow, OfficialUpdate, RoleKey
from campaign.targets.service import get_official
from campaign.types import CountryCode, TargetName

router = APIRouter(prefix="/api/v1/staff", tags=["staff: target directory"])

# Ids are BIGINT: a bigger number is no official, not a database error.
OfficialId = RowIdPath


@router.get("/officials")
async def list_officials(
    session: SessionDep,
    _staff: Viewer,
    country: Annotated[CountryCode | None, Query()] = None,
    role: Annotated[RoleKey | None, Query()] = None,
    organisation: Annotated[TargetName | None, Query()] = None,
    division_id: Annotated[DivisionId | None, Query()] = None,
    q: Annotated[TargetName | None, Query(description="part of a name, title or body")] = None,
    active: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: OffsetQuery = 0,
) -> OfficialPage:
    officials = await directory.list_officials(
        session,
        country=country,
        role=role,
        organisation=organisation,
        division_id=division_id,
        q=q,
        active=active,
        limit=limit,
        offset=offset,
    )
    return OfficialPage(
        items=[OfficialView.model_validate(o) for o in officials], limit=limit, offset=offset
    )


@router.post("/officials", status_code=status.HTTP_201_CREATED)
async def add_official(data: OfficialRow, session: SessionDep, _staff: Editor) -> OfficialView:
    return OfficialView.model_validate(await directory.add_official(session, data))


@router.patch("/officials/{official_id}")
async def change_official(
    official_id: OfficialId, data: OfficialUpdate, session: SessionDep, _staff: Editor
) -> OfficialView:
    official = await get_official(session, official_id)
    return OfficialView.model_validate(await directory.change_official(session, official, data))


@router.post("/officials/import")
async def import_officials(
    session: SessionDep,
    _staff: Editor,
    file: Annotated[UploadFile, File(description="Officials: a .csv or a Popolo .json file")],
    country: Annotated[
        str | None, Form(description="For Popolo areas whose OCD id names no country")
    ] = None,
) -> ImportReportView:
    """Upsert the file's officials on their external id; the answer says what was
    created, updated and skipped (with the line or membership, and why)."""
    text = await read_upload(file, MAX_IMPORT_BYTES)
    source = imports.read_officials_file(file.filename or "", text, country=country)
    return ImportReportView.of(await imports.import_officials(session, source.rows))


@router.post("/postcodes/import")
async def import_postcodes(
    session: SessionDep,
    _staff: Editor,
    file: Annotated[UploadFile, File(description="CSV: postcode,division_id[,country]")],
    country: Annotated[str, Form(description="For rows without a country column")],
    replace: Annotated[bool, Form(description="Delete the country's rows first")] = False,
) -> ImportReportView:
    text = await read_upload(file, MAX_IMPORT_BYTES)
    report = await imports.import_postcodes(
        session, imports.csv_lines(file.filename or "", text), country=country, replace=replace
    )
    return ImportReportView.of(report)
