"""Staff API: reports of a petition's signers to their officials. See who would be told
what, prepare a run, send it (once, however often it is asked), and read the runs."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import Editor, SessionDep, SettingsDep, StaffCampaign
from api.params import RowIdPath
from api.schemas.official_reports import ReportList, ReportPreview, ReportView
from campaign.reports import service

router = APIRouter(
    prefix="/api/v1/staff/campaigns/{slug}/official-reports", tags=["staff: official reports"]
)


@router.get("/preview")
async def preview_reports(campaign: StaffCampaign, session: SessionDep) -> ReportPreview:
    """Each official who would get a report now, with their division's numbers."""
    return ReportPreview.of(await service.outlook_of(session, campaign))


@router.get("")
async def list_reports(campaign: StaffCampaign, session: SessionDep) -> ReportList:
    reports = await service.list_reports(session, campaign)
    return ReportList(items=[ReportView.of(report) for report in reports])


@router.post("", status_code=status.HTTP_201_CREATED)
async def prepare_report(campaign: StaffCampaign, session: SessionDep, staff: Editor) -> ReportView:
    """A run to send: the one waiting to be sent, if there is one."""
    report = await service.prepare_report(session, campaign, created_by=staff.user_id)
    return ReportView.of(report, await service.report_deliveries(session, report))


@router.get("/{report_id}")
async def read_report(
    report_id: RowIdPath, campaign: StaffCampaign, session: SessionDep
) -> ReportView:
    report = await service.get_report(session, campaign, report_id)
    return ReportView.of(report, await service.report_deliveries(session, report))


@router.post("/{report_id}/send", status_code=status.HTTP_202_ACCEPTED)
async def send_report(
    report_id: RowIdPath,
    campaign: StaffCampaign,
    session: SessionDep,
    settings: SettingsDep,
    staff: Editor,
) -> ReportView:
    """Email each official their report; a run already sent sends nothing more."""
    report = await service.get_report(session, campaign, report_id)
    report = await service.send_report(
        session, campaign, report, sent_by=staff.user_id, settings=settings
    )
    return ReportView.of(report, await service.report_deliveries(session, report))
