"""Staff metrics and CSV exports; the public page-view beacon."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from api.deps import (
    CampaignToSign,
    ClientIp,
    ReadSessionDep,
    SessionDep,
    StaffCampaign,
    Viewer,
)
from api.params import TagQuery
from api.schemas.metrics import MetricsView
from campaign.metrics.exports import (
    Export,
    csv_chunks,
    donations_export,
    letters_export,
    signatures_export,
)
from campaign.metrics.queries import read_metrics
from campaign.metrics.schemas import Bucket, metrics_window
from campaign.metrics.service import record_page_view
from campaign.signatures.schemas import Tracking

router = APIRouter()


@router.post(
    "/api/v1/campaigns/{slug}/views", status_code=status.HTTP_204_NO_CONTENT, tags=["public"]
)
async def record_view(
    campaign: CampaignToSign,
    session: SessionDep,
    request: Request,
    ip: ClientIp,
    tracking: Annotated[Tracking | None, Body()] = None,
) -> Response:
    """A page view, from the campaign page's beacon. Nothing about the visitor is kept;
    views beyond the per-IP limit are answered the same and not recorded."""
    limit = request.app.state.view_rate_limit
    if ip is None or await limit.hit("view", ip, str(campaign.id)):
        await record_page_view(session, campaign.id, tracking or Tracking())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


WindowStart = Annotated[
    datetime | None, Query(alias="from", description="Start (ISO 8601); naive: in `tz`.")
]
WindowEnd = Annotated[datetime | None, Query(alias="to", description="End, exclusive.")]
BucketQuery = Annotated[Bucket, Query(description="Series bucket size.")]
ZoneQuery = Annotated[str, Query(max_length=64, description="IANA time zone of the series.")]


@router.get("/api/v1/staff/metrics", tags=["staff"])
async def all_campaign_metrics(
    request: Request,
    session: ReadSessionDep,
    _staff: Viewer,
    start: WindowStart = None,
    end: WindowEnd = None,
    bucket: BucketQuery = Bucket.DAY,
    tz: ZoneQuery = "UTC",
) -> MetricsView:
    window = metrics_window(start, end, bucket, tz)
    spare = request.app.state.spare_sessions
    return MetricsView.of(await read_metrics(session, None, window, spare))


@router.get("/api/v1/staff/campaigns/{slug}/metrics", tags=["staff"])
async def campaign_metrics(
    request: Request,
    campaign: StaffCampaign,
    session: ReadSessionDep,
    start: WindowStart = None,
    end: WindowEnd = None,
    bucket: BucketQuery = Bucket.DAY,
    tz: ZoneQuery = "UTC",
) -> MetricsView:
    window = metrics_window(start, end, bucket, tz)
    spare = request.app.state.spare_sessions
    return MetricsView.of(await read_metrics(session, campaign.id, window, spare))


@router.get(
    "/api/v1/staff/campaigns/{slug}/signatures.csv",
    response_class=StreamingResponse,
    tags=["staff"],
)
async def export_signatures(
    campaign: StaffCampaign, request: Request, tag: TagQuery = None
) -> StreamingResponse:
    return csv_download(request, campaign.slug, signatures_export(campaign.id, tag))


@router.get(
    "/api/v1/staff/campaigns/{slug}/letters.csv", response_class=StreamingResponse, tags=["staff"]
)
async def export_letters(
    campaign: StaffCampaign, request: Request, tag: TagQuery = None
) -> StreamingResponse:
    return csv_download(request, campaign.slug, letters_export(campaign.id, tag))


@router.get(
    "/api/v1/staff/campaigns/{slug}/donations.csv", response_class=StreamingResponse, tags=["staff"]
)
async def export_donations(
    campaign: StaffCampaign, request: Request, tag: TagQuery = None
) -> StreamingResponse:
    return csv_download(request, campaign.slug, donations_export(campaign.id, tag))


def csv_download(request: Request, slug: str, export: Export) -> StreamingResponse:
    """An export as a CSV file download, for the API and the dashboard alike. The body
    reads through its own session (see campaign/metrics/exports.py): the request's
    session is committed and closed before streaming starts."""
    filename = f"{slug}-{export.name}.csv"
    return StreamingResponse(
        # From the read replica where there is one: an export reads a campaign whole.
        csv_chunks(request.app.state.read_session_factory, export),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
