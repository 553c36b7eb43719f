"""A campaign's numbers on its dashboard page: the live counts, the charts from the
metrics rollups, and the exports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession

from api.charts import bar_chart, column_chart
from api.deps import public_counts
from campaign.campaigns.models import Campaign
from campaign.metrics.queries import rollups_as_of
from campaign.staff import dashboard

router = APIRouter()


async def campaign_numbers(
    request: Request, session: AsyncSession, campaign: Campaign
) -> dict[str, Any]:
    """What staff/_campaign_numbers.html shows, as template context."""
    per_day = await dashboard.signatures_per_day(session, campaign.id)
    countries = await dashboard.signatures_by_country(session, campaign.id)
    funnel = await dashboard.signing_funnel(session, campaign.id)
    return {
        # The public count: exact within its cache's second or two, and cheap.
        "counts": await public_counts(request).get(session, campaign.id),
        "as_of": await rollups_as_of(session),
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
