"""Data rights on the dashboard: export one address's data as JSON (editors and admins),
erase it after typing the address again (admins), and download the consent ledger
(admins). Every one of these is in the audit log shown on the page."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.dashboard.rendering import is_admin, may_edit, page, see_other
from api.deps import AdminForm, AdminLogin, EditorForm, SessionDep, SettingsDep, StaffLogin
from api.page_forms import FormState, read_form, worded_field_errors
from api.routers.data_rights import json_download
from api.routers.metrics import csv_download
from campaign.db import utcnow
from campaign.i18n import translations
from campaign.privacy import service
from campaign.privacy.ledger import consent_ledger_export
from campaign.privacy.schemas import AddressInput, ErasureInput
from campaign.staff.sessions import ActiveSession

router = APIRouter()
# The staff workspace is shown in English; its messages are marked for the `staff` domain.
_ = translations("en", "staff").gettext

PRIVACY = "/staff/privacy"
_WHEN_EMPTY = {
    "email": _("Enter the email address."),
    "confirm_email": _("Type the email address again to confirm."),
}
_DONE = {
    "erased": _(
        "The data of that address is erased. Its signatures and letters still count, "
        "and it gets no bulk email again."
    )
}


def _actor(active: ActiveSession) -> service.StaffActor:
    return service.StaffActor(user_id=active.user.id)


@router.get("/privacy")
async def privacy_page(
    request: Request, session: SessionDep, active: StaffLogin, done: str | None = None
) -> HTMLResponse:
    return await _page(request, session, active, notice=_DONE.get(done or ""))


@router.post("/privacy/export")
async def export_data(
    request: Request, session: SessionDep, settings: SettingsDep, active: EditorForm
) -> Response:
    form = await read_form(request)
    values = {"email": form.get("email", "")}
    try:
        data = AddressInput.model_validate(values)
    except ValidationError as invalid:
        state = FormState(values, worded_field_errors(invalid, _WHEN_EMPTY))
        return await _page(
            request,
            session,
            active,
            export=state,
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    document = await service.export_for_staff(
        session,
        data.email,
        key=settings.secret_key.get_secret_value(),
        actor=_actor(active),
        now=utcnow(),
    )
    return json_download(document, "personal-data.json")


@router.post("/privacy/erase")
async def erase_data(
    request: Request, session: SessionDep, settings: SettingsDep, active: AdminForm
) -> Response:
    form = await read_form(request)
    values = {
        "email": form.get("erase_email", ""),
        "confirm_email": form.get("confirm_email", ""),
    }
    try:
        data = ErasureInput.model_validate(values)
    except ValidationError as invalid:
        errors = worded_field_errors(invalid, _WHEN_EMPTY)
        if "email" in errors:
            errors["erase_email"] = errors.pop("email")
        state = FormState({"erase_email": values["email"], **values}, errors)
        return await _page(
            request, session, active, erase=state, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT
        )
    await service.erase_for_staff(
        session,
        data.email,
        key=settings.secret_key.get_secret_value(),
        actor=_actor(active),
        now=utcnow(),
    )
    return see_other(f"{PRIVACY}?done=erased")


@router.get("/privacy/consent-ledger.csv", response_class=StreamingResponse)
async def consent_ledger(
    request: Request, session: SessionDep, active: AdminLogin
) -> StreamingResponse:
    await service.note_ledger_export(session, actor=_actor(active), now=utcnow())
    return csv_download(request, "all", consent_ledger_export())


async def _page(
    request: Request,
    session: AsyncSession,
    active: ActiveSession,
    *,
    export: FormState | None = None,
    erase: FormState | None = None,
    notice: str | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    return page(
        request,
        "staff/privacy.html",
        status_code=status_code,
        active=active,
        may_edit=may_edit(active),
        is_admin=is_admin(active),
        export=export or FormState(),
        erase=erase or FormState(),
        notice=notice,
        audit=await service.recent_audit(session),
    )
