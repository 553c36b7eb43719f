"""Reports to officials on the dashboard: each official who represents a petition's
signers, what their division's numbers are, the email one of them would get, then a
page that says what sending will do and the button that does it; and the runs so far."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.dashboard.rendering import may_edit, page, refusable, see_other
from api.deps import EditorForm, SessionDep, SettingsDep, StaffLogin
from api.params import RowIdPath, RowIdQuery, SlugPath
from campaign.campaigns import service as campaigns
from campaign.campaigns.models import Campaign
from campaign.config import Settings
from campaign.errors import CampaignError
from campaign.i18n import translations
from campaign.outbox.models import EmailKind, OutboxMessage
from campaign.reports import service
from campaign.reports.models import OfficialReport, ReportStatus
from campaign.reports.queries import OfficialTally, ReportOutlook
from campaign.staff.sessions import ActiveSession
from emails.render import render_message

router = APIRouter()
# The staff workspace is shown in English; its messages are marked for the `staff` domain.
_ = translations("en", "staff").gettext


def _base(slug: str) -> str:
    return f"/staff/campaigns/{slug}/official-reports"


@router.get("/campaigns/{slug}/official-reports")
async def reports_page(
    slug: SlugPath,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    active: StaffLogin,
    official: RowIdQuery = None,
) -> HTMLResponse:
    campaign = await campaigns.get_campaign(session, slug)
    return await _reports_page(request, session, settings, active, campaign, official)


@router.post("/campaigns/{slug}/official-reports")
async def prepare_report(
    slug: SlugPath, request: Request, session: SessionDep, settings: SettingsDep, active: EditorForm
) -> Response:
    campaign = await campaigns.get_campaign(session, slug)
    async with refusable(session) as refused:
        report = await service.prepare_report(session, campaign, created_by=active.user.id)
    if refused.error:
        return await _reports_page(
            request, session, settings, active, campaign, None, status_code=refused.status_code
        )
    return see_other(f"{_base(slug)}/{report.id}")


@router.get("/campaigns/{slug}/official-reports/{report_id}")
async def report_page(
    slug: SlugPath,
    report_id: RowIdPath,
    request: Request,
    session: SessionDep,
    active: StaffLogin,
    sent: bool = False,
) -> HTMLResponse:
    campaign = await campaigns.get_campaign(session, slug)
    report = await service.get_report(session, campaign, report_id)
    return await _report_page(request, session, active, campaign, report, sent=sent)


@router.post("/campaigns/{slug}/official-reports/{report_id}/send")
async def send_report(
    slug: SlugPath,
    report_id: RowIdPath,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    active: EditorForm,
) -> Response:
    campaign = await campaigns.get_campaign(session, slug)
    report = await service.get_report(session, campaign, report_id)
    async with refusable(session) as refused:
        await service.send_report(
            session, campaign, report, sent_by=active.user.id, settings=settings
        )
    if refused.error:
        return await _report_page(
            request,
            session,
            active,
            campaign,
            report,
            error=refused.error.detail,
            status_code=refused.status_code,
        )
    return see_other(f"{_base(slug)}/{report.id}?sent=1")


async def _reports_page(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    active: ActiveSession,
    campaign: Campaign,
    official_id: int | None,
    *,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "campaign": campaign,
        "may_edit": may_edit(active),
        "reports": await service.list_reports(session, campaign),
        "outlook": None,
        "refusal": None,
    }
    try:
        outlook = await service.outlook_of(session, campaign)
    except CampaignError as error:
        context["refusal"] = error.detail
    else:
        shown = (outlook.tally_of(official_id) if official_id else None) or outlook.tallies[0]
        context |= {
            "outlook": outlook,
            "shown": shown,
            "email": _rendered(campaign, shown, settings),
            "busiest": _busiest_week(outlook),
        }
    return page(
        request, "staff/official_reports.html", status_code=status_code, active=active, **context
    )


def _busiest_week(outlook: ReportOutlook) -> int:
    return max((week.signers for t in outlook.tallies for week in t.weeks), default=0)


def _rendered(campaign: Campaign, tally: OfficialTally, settings: Settings) -> dict[str, str]:
    """The email this official would get, rendered as the worker renders it."""
    message = OutboxMessage(
        id=0,
        kind=EmailKind.OFFICIAL_REPORT.value,
        to_address=tally.official.email,
        to_name=tally.official.name,
        context=service.report_context(campaign, tally, settings),
        campaign_id=campaign.id,
    )
    email = render_message(message, settings)
    text = email.get_body(preferencelist=("plain",))
    return {
        "to": str(email["To"]),
        "subject": str(email["Subject"]),
        "text": str(text.get_content()) if text is not None else "",
    }


async def _report_page(
    request: Request,
    session: AsyncSession,
    active: ActiveSession,
    campaign: Campaign,
    report: OfficialReport,
    *,
    sent: bool = False,
    error: str | None = None,
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "campaign": campaign,
        "report": report,
        "may_edit": may_edit(active),
        "notice": _("The reports are in the outbox: each official gets one.") if sent else None,
        "error": error,
        "deliveries": await service.report_deliveries(session, report),
        "outlook": None,
    }
    if report.status == ReportStatus.PREPARED and error is None:
        try:
            context["outlook"] = await service.outlook_of(session, campaign)
        except CampaignError as refusal:
            context["error"] = refusal.detail
    return page(
        request, "staff/official_report.html", status_code=status_code, active=active, **context
    )
