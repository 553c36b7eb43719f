"""The directory of officials on the dashboard: browse, search, add, edit, import."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Request, UploadFile, status
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api.dashboard.rendering import may_edit, page, refusable, see_other
from api.deps import EditorForm, SessionDep, StaffLogin, requires_staff_login
from api.page_forms import (
    FormState,
    blank_is_none,
    field_errors,
    read_form,
    state_for_service_error,
)
from api.params import RowIdPath, RowIdQuery
from api.uploads import MAX_IMPORT_BYTES, read_upload
from campaign.errors import InvalidInput
from campaign.i18n import translations
from campaign.staff.models import Role
from campaign.staff.sessions import ActiveSession
from campaign.targets import directory, imports, queries
from campaign.targets.models import Official
from campaign.targets.schemas import OfficialRow, OfficialSearch, OfficialUpdate
from campaign.targets.service import get_official

router = APIRouter()
# The staff workspace is shown in English; its messages are marked for the `staff` domain.
_ = translations("en", "staff").gettext

# The add and import forms are only for those who may use them; their links are not
# shown to viewers either.
EditorLogin = Annotated[ActiveSession, Depends(requires_staff_login(Role.EDITOR))]
# An id to page from, bounded like ids in paths.
PageFrom = RowIdQuery

OptionalUpload = Annotated[UploadFile | None, File()]

LIST_PATH = "/staff/officials"
SEARCH_FIELDS = ("name", "role", "organisation", "country", "division_id", "active")
OFFICIAL_FIELDS = (
    "external_id",
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
# A file of thousands of bad rows would make a page no one reads: the report lists this
# many and counts the rest.
SHOWN_SKIPPED_ROWS = 200
_CHECKED = "yes"
_SAVED_NOTICES = {"added": _("The official was added."), "changed": _("Your changes were saved.")}
# Errors about these are not about one of the form's fields: shown above the form.
_WHOLE_FORM = ("official_id", "body")


@router.get("/officials")
async def official_list(
    request: Request,
    session: SessionDep,
    active: StaffLogin,
    after: PageFrom = None,
    before: PageFrom = None,
) -> HTMLResponse:
    values = {name: request.query_params.get(name, "") for name in SEARCH_FIELDS}
    try:
        search = OfficialSearch.model_validate(_given(values))
    except ValidationError as invalid:
        return _list_page(
            request,
            active,
            FormState(values, field_errors(invalid)),
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    found = await queries.officials_page(session, search, after=after, before=before)
    return _list_page(
        request,
        active,
        FormState(values),
        found=found,
        searched=bool(_given(values)),
        paged=after is not None or before is not None,
        first_url=_list_url(values),
        next_url=_list_url(values, after=found.next_after) if found.next_after else None,
        previous_url=(
            _list_url(values, before=found.previous_before) if found.previous_before else None
        ),
    )


@router.get("/officials/new")
async def new_official(request: Request, active: EditorLogin) -> HTMLResponse:
    return _new_official_page(request, active, FormState())


@router.post("/officials/new")
async def add_official(request: Request, session: SessionDep, active: EditorForm) -> Response:
    values = _official_values(await read_form(request))
    try:
        data = OfficialRow.model_validate(_given(values))
    except ValidationError as invalid:
        state = FormState(values, field_errors(invalid))
        return _new_official_page(request, active, state, status.HTTP_422_UNPROCESSABLE_CONTENT)
    async with refusable(session) as refused:
        official = await directory.add_official(session, data)
    if refused.error:
        state = state_for_service_error(values, refused.error, whole_form=_WHOLE_FORM)
        return _new_official_page(request, active, state, refused.status_code)
    return see_other(f"{LIST_PATH}/{official.id}?saved=added")


@router.get("/officials/import")
@router.get("/officials/import/postcodes")
async def import_forms(request: Request, active: EditorLogin) -> HTMLResponse:
    return _import_page(request, active)


@router.post("/officials/import")
async def import_officials(
    request: Request, session: SessionDep, active: EditorForm, file: OptionalUpload = None
) -> HTMLResponse:
    """Upsert the file's officials; the page is the report (or why nothing was imported).
    The whole file is one transaction: a file refused half way leaves nothing behind."""
    values = await read_form(request)
    report = None
    async with refusable(session) as refused:
        upload = _chosen(file)
        text = await read_upload(upload, MAX_IMPORT_BYTES)
        source = imports.read_officials_file(
            upload.filename or "", text, country=blank_is_none(values.get("country"))
        )
        report = await imports.import_officials(session, source.rows)
    if refused.error:
        state = state_for_service_error(values, refused.error, whole_form=_WHOLE_FORM)
        return _import_page(request, active, officials=state, status_code=refused.status_code)
    return _import_page(
        request, active, report=report, report_of="officials", filename=_filename(file)
    )


@router.post("/officials/import/postcodes")
async def import_postcodes(
    request: Request, session: SessionDep, active: EditorForm, file: OptionalUpload = None
) -> HTMLResponse:
    values = await read_form(request)
    report = None
    async with refusable(session) as refused:
        upload = _chosen(file)
        text = await read_upload(upload, MAX_IMPORT_BYTES)
        report = await imports.import_postcodes(
            session,
            imports.csv_lines(upload.filename or "", text),
            country=values.get("country", ""),
            replace=values.get("replace") == _CHECKED,
        )
    if refused.error:
        state = state_for_service_error(values, refused.error, whole_form=_WHOLE_FORM)
        return _import_page(request, active, postcodes=state, status_code=refused.status_code)
    return _import_page(
        request, active, report=report, report_of="postcodes", filename=_filename(file)
    )


@router.get("/officials/{official_id}")
async def official_page(
    official_id: RowIdPath,
    request: Request,
    session: SessionDep,
    active: StaffLogin,
    saved: str | None = None,
) -> HTMLResponse:
    official = await get_official(session, official_id)
    saved_notice = _SAVED_NOTICES.get(saved or "")
    return _official_page(request, active, official, FormState(_values_of(official)), saved_notice)


@router.post("/officials/{official_id}")
async def change_official(
    official_id: RowIdPath, request: Request, session: SessionDep, active: EditorForm
) -> Response:
    official = await get_official(session, official_id)
    form = await read_form(request)
    values = _official_values(form) | {"active": _CHECKED if form.get("active") else ""}
    try:
        # Every field is sent: an optional one left empty is cleared, and a required one
        # left empty is refused by the service, as the API's null is.
        data = OfficialUpdate.model_validate(
            {name: blank_is_none(values[name]) for name in OFFICIAL_FIELDS}
            | {"active": bool(values["active"])}
        )
    except ValidationError as invalid:
        state = FormState(values, field_errors(invalid))
        return _official_page(
            request, active, official, state, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT
        )
    async with refusable(session) as refused:
        await directory.change_official(session, official, data)
    if refused.error:
        official = await get_official(session, official_id)
        state = state_for_service_error(values, refused.error, whole_form=_WHOLE_FORM)
        return _official_page(request, active, official, state, status_code=refused.status_code)
    return see_other(f"{LIST_PATH}/{official_id}?saved=changed")


def _given(values: dict[str, str]) -> dict[str, str]:
    # A field left empty is not given: optional ones keep their defaults.
    return {name: value for name, value in values.items() if value.strip()}


def _official_values(form: dict[str, str]) -> dict[str, str]:
    return {name: form.get(name, "") for name in OFFICIAL_FIELDS}


def _values_of(official: Official) -> dict[str, str]:
    values = {name: getattr(official, name) or "" for name in OFFICIAL_FIELDS}
    return values | {"active": _CHECKED if official.active else ""}


def _list_url(values: dict[str, str], **page_from: int) -> str:
    query = urlencode(_given(values) | page_from)
    return f"{LIST_PATH}?{query}" if query else LIST_PATH


def _chosen(file: UploadFile | None) -> UploadFile:
    # A browser sends a file part with no name when none was chosen.
    if file is None or not file.filename:
        raise InvalidInput(_("choose a file to import"), field="file")
    return file


def _filename(file: UploadFile | None) -> str:
    return file.filename or "" if file else ""


def _list_page(
    request: Request,
    active: ActiveSession,
    form: FormState,
    *,
    status_code: int = status.HTTP_200_OK,
    **context: Any,
) -> HTMLResponse:
    return page(
        request,
        "staff/officials.html",
        status_code=status_code,
        active=active,
        form=form,
        may_edit=may_edit(active),
        official_columns=imports.OFFICIAL_CSV_COLUMNS,
        postcode_columns=imports.POSTCODE_CSV_COLUMNS,
        **({"found": None} | context),
    )


def _new_official_page(
    request: Request,
    active: ActiveSession,
    form: FormState,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    return page(
        request,
        "staff/official.html",
        status_code=status_code,
        active=active,
        official=None,
        form=form,
        may_edit=True,
    )


def _official_page(
    request: Request,
    active: ActiveSession,
    official: Official,
    form: FormState,
    saved: str | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    return page(
        request,
        "staff/official.html",
        status_code=status_code,
        active=active,
        official=official,
        form=form,
        saved=saved,
        may_edit=may_edit(active),
    )


def _import_page(
    request: Request,
    active: ActiveSession,
    *,
    officials: FormState | None = None,
    postcodes: FormState | None = None,
    report: imports.ImportReport | None = None,
    report_of: str | None = None,
    filename: str = "",
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    return page(
        request,
        "staff/officials_import.html",
        status_code=status_code,
        active=active,
        officials_form=officials or FormState(),
        postcodes_form=postcodes or FormState(values={"replace": ""}),
        report=report,
        report_of=report_of,
        filename=filename,
        shown_skipped=report.skipped[:SHOWN_SKIPPED_ROWS] if report else [],
        max_bytes=MAX_IMPORT_BYTES,
        official_columns=imports.OFFICIAL_CSV_COLUMNS,
        required_official_columns=imports.REQUIRED_OFFICIAL_COLUMNS,
        postcode_columns=imports.POSTCODE_CSV_COLUMNS,
    )
