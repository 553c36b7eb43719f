"""Staff API: a campaign's mailings. Write, count, test, send or schedule, cancel,
and read each one's numbers."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import Editor, SessionDep, SettingsDep, StaffCampaign
from api.params import RowIdPath
from api.schemas.mailings import MailingList, MailingView, TestSent
from campaign.config import Settings
from campaign.mailings import service
from campaign.mailings.models import Mailing
from campaign.mailings.schemas import MailingInput, MailingSend

router = APIRouter(prefix="/api/v1/staff/campaigns/{slug}/mailings", tags=["staff: mailings"])


async def _view(session: AsyncSession, settings: Settings, mailing: Mailing) -> MailingView:
    tags = await service.tag_names(session, mailing)
    if mailing.status in service.EDITABLE:
        size = await service.audience_size(
            session, mailing, address_key=settings.secret_key.get_secret_value()
        )
        return MailingView.of(mailing, tags, audience_size=size)
    return MailingView.of(mailing, tags, numbers=await service.mailing_numbers(session, mailing))


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_mailing(
    data: MailingInput,
    campaign: StaffCampaign,
    session: SessionDep,
    settings: SettingsDep,
    staff: Editor,
) -> MailingView:
    mailing = await service.create_mailing(session, campaign, data, created_by=staff.user_id)
    return await _view(session, settings, mailing)


@router.get("")
async def list_mailings(campaign: StaffCampaign, session: SessionDep) -> MailingList:
    mailings = await service.list_mailings(session, campaign)
    return MailingList(
        items=[MailingView.of(m, await service.tag_names(session, m)) for m in mailings]
    )


@router.get("/{mailing_id}")
async def read_mailing(
    mailing_id: RowIdPath, campaign: StaffCampaign, session: SessionDep, settings: SettingsDep
) -> MailingView:
    return await _view(session, settings, await service.get_mailing(session, campaign, mailing_id))


@router.put("/{mailing_id}")
async def update_mailing(
    mailing_id: RowIdPath,
    data: MailingInput,
    campaign: StaffCampaign,
    session: SessionDep,
    settings: SettingsDep,
    _staff: Editor,
) -> MailingView:
    mailing = await service.get_mailing(session, campaign, mailing_id)
    return await _view(session, settings, await service.update_mailing(session, mailing, data))


@router.post("/{mailing_id}/test", status_code=status.HTTP_202_ACCEPTED)
async def send_test(
    mailing_id: RowIdPath, campaign: StaffCampaign, session: SessionDep, staff: Editor
) -> TestSent:
    """A copy to the staff user the token belongs to."""
    mailing = await service.get_mailing(session, campaign, mailing_id)
    outbox_id, address = await service.send_test_to_token_owner(session, mailing, staff.user_id)
    return TestSent(outbox_id=outbox_id, to=address)


@router.post("/{mailing_id}/send", status_code=status.HTTP_202_ACCEPTED)
async def send_mailing(
    mailing_id: RowIdPath,
    when: MailingSend,
    campaign: StaffCampaign,
    session: SessionDep,
    settings: SettingsDep,
    _staff: Editor,
) -> MailingView:
    """Now, or at `send_at`; the worker writes its recipients and sends them."""
    mailing = await service.get_mailing(session, campaign, mailing_id)
    return await _view(session, settings, await service.send_mailing(session, mailing, when))


@router.post("/{mailing_id}/unschedule")
async def unschedule_mailing(
    mailing_id: RowIdPath,
    campaign: StaffCampaign,
    session: SessionDep,
    settings: SettingsDep,
    _staff: Editor,
) -> MailingView:
    mailing = await service.get_mailing(session, campaign, mailing_id)
    return await _view(session, settings, await service.unschedule_mailing(session, mailing))


@router.post("/{mailing_id}/cancel")
async def cancel_mailing(
    mailing_id: RowIdPath,
    campaign: StaffCampaign,
    session: SessionDep,
    settings: SettingsDep,
    _staff: Editor,
) -> MailingView:
    mailing = await service.get_mailing(session, campaign, mailing_id)
    return await _view(session, settings, await service.cancel_mailing(session, mailing))
