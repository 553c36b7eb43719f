"""A campaign's numbers on its dashboard page: a petition's live counts and the charts
from the metrics rollups, a letter campaign's letters in total and per official, a line
of donations if it takes them, and the CSV exports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api.charts import bar_chart, column_chart
from api.deps import SessionDep, StaffLogin, public_counts
from api.params import SlugPath, TagQuery
from api.routers.metrics import csv_download
from campaign.campaigns import service as campaigns
from campaign.campaigns.models import Campaign, CampaignKind
from campaign.donations import service as donations
from campaign.donations.money import format_amount
from campaign.errors import NotFound
from campaign.letters.delivery import LetterDeliveryStatus
from campaign.metrics.exports import EXPORTS, exports_for
from campaign.metrics.letters import letter_numbers
from campaign.metrics.queries import donation_figures, rollups_as_of
from campaign.staff import dashboard

router = APIRouter()

# The order statuses are listed in on the page: the way a letter goes.
STATUS_ORDER = list(LetterDeliveryStatus)


async def campaign_numbers(
    request: Request, session: AsyncSession, campaign: Campaign
) -> dict[str, Any]:
    """What staff/_campaign_numbers.html shows, as template context."""
    takes_donations = await donations.get_setup(session, campaign.id) is not None
    context: dict[str, Any] = {
        "as_of": await rollups_as_of(session),
        "exports": exports_for(campaign.kind, takes_donations=takes_donations),
        "donations": await _donation_line(session, campaign) if takes_donations else None,
    }
    if campaign.kind == CampaignKind.LETTER:
        numbers = await letter_numbers(session, campaign.id)
        statuses = numbers.to_officials.by_status
        context["letters"] = numbers
        context["letter_statuses"] = [
            (status.value.replace("_", " "), status.value, statuses[status])
            for status in STATUS_ORDER
            if statuses[status]
        ]
        return context
    per_day = await dashboard.signatures_per_day(session, campaign.id)
    countries = await dashboard.signatures_by_country(session, campaign.id)
    funnel = await dashboard.signing_funnel(session, campaign.id)
    return context | {
        # The public count: exact within its cache's second or two, and cheap.
        "counts": await public_counts(request).get(session, campaign.id),
        "funnel": funnel,
        "per_day_chart": column_chart(
            [(day.isoformat(), count) for day, count in per_day], title="Signatures per day"
        ),
        "country_chart": bar_chart(countries, title="Signatures by country"),
        "funnel_chart": bar_chart(
            [
                ("Page views", funnel.page_views),
                ("Signatures", funnel.signatures),
                ("Confirmations", funnel.confirmations),
                ("Donations", funnel.donations),
            ],
            title="From page view to donation",
        ),
    }


async def _donation_line(session: AsyncSession, campaign: Campaign) -> dict[str, Any]:
    """Donations as of the last metrics pass, the same figures as the funnel's."""
    figures = await donation_figures(session, campaign.id)
    return {
        "donations": figures.donations,
        "currencies": [
            {
                "payments": line.payments,
                "received": format_amount(line.received, line.currency, "en"),
                "refunded": format_amount(line.refunded, line.currency, "en"),
                "any_refunded": line.refunded > 0,
            }
            for line in figures.currencies
        ],
    }


@router.get("/campaigns/{slug}/exports/{name}.csv")
async def export(
    slug: SlugPath,
    name: str,
    request: Request,
    session: SessionDep,
    _active: StaffLogin,
    tag: TagQuery = None,
) -> StreamingResponse:
    """The same CSV exports as the staff API's, for a logged-in user (viewers too)."""
    campaign = await campaigns.get_campaign(session, slug)
    make_export = EXPORTS.get(name)
    if make_export is None:
        raise NotFound(f"no export named {name!r}", field="name")
    return csv_download(request, campaign.slug, make_export(campaign.id, tag))
