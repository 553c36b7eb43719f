"""Staff API: one address's data, exported as JSON or erased (admins), and the consent
ledger as CSV (admins). Each is written to the privacy audit log."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from api.deps import Admin, Editor, SessionDep, SettingsDep
from api.routers.data_rights import json_download
from api.routers.metrics import csv_download
from campaign.db import utcnow
from campaign.privacy import service
from campaign.privacy.erasure import Erasure
from campaign.privacy.ledger import consent_ledger_export
from campaign.privacy.schemas import AddressInput, ErasureInput
from campaign.staff.models import ApiToken

router = APIRouter(prefix="/api/v1/staff/privacy", tags=["staff: data rights"])


def _actor(token: ApiToken) -> service.StaffActor:
    return service.StaffActor(user_id=token.user_id, token_id=token.id)


@router.post("/export")
async def export_data(
    data: AddressInput, session: SessionDep, settings: SettingsDep, staff: Editor
) -> Response:
    """Everything held for the address, as a JSON file."""
    document = await service.export_for_staff(
        session,
        data.email,
        key=settings.secret_key.get_secret_value(),
        actor=_actor(staff),
        now=utcnow(),
    )
    return json_download(document, "personal-data.json")


@router.post("/erase")
async def erase_data(
    data: ErasureInput, session: SessionDep, settings: SettingsDep, staff: Admin
) -> Erasure:
    """Erase the address's personal data; its signatures and letters still count."""
    return await service.erase_for_staff(
        session,
        data.email,
        key=settings.secret_key.get_secret_value(),
        actor=_actor(staff),
        now=utcnow(),
    )


@router.get("/consent-ledger.csv", response_class=StreamingResponse)
async def consent_ledger(request: Request, session: SessionDep, staff: Admin) -> StreamingResponse:
    """Every consent record, with the wording and version it answered."""
    await service.note_ledger_export(session, actor=_actor(staff), now=utcnow())
    return csv_download(request, "all", consent_ledger_export())
