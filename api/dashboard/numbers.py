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
from campaign.campaigns.versions import list_versions
from campaign.donations import service as donations
from campaign.donations.money import format_amount
from campaign.errors import NotFound
from campaign.i18n import language_name, translations
from campaign.letters.delivery import LetterDeliveryStatus
from campaign.metrics.counts import signature_counts_by_version
from campaign.metrics.exports import EXPORTS, exports_for
from campaign.metrics.letters import letter_numbers
from campaign.metrics.queries import donation_figures, rollups_as_of
from campaign.signatures.schemas import SignatureCounts
from campaign.staff import dashboard

router = APIRouter()
# The staff workspace is shown in English; its messages are marked for the `staff` domain.
_ = translations("en", "staff").gettext

# The order statuses are listed in on the page: the way a letter goes.
STATUS_ORDER = list(LetterDeliveryStatus)
STATUS_LABELS = {
    LetterDeliveryStatus.AWAITING_CONFIRMATION: _("awaiting confirmation"),
    LetterDeliveryStatus.HELD: _("held"),
    LetterDeliveryStatus.IN_DIGEST: _("in digest"),
    LetterDeliveryStatus.QUEUED: _("queued"),
    LetterDeliveryStatus.FAILED: _("failed"),
    LetterDeliveryStatus.SENT: _("sent"),
    LetterDeliveryStatus.DEFERRED: _("deferred"),
    LetterDeliveryStatus.DELIVERED: _("delivered"),
    LetterDeliveryStatus.BOUNCED: _("bounced"),
    LetterDeliveryStatus.DROPPED: _("dropped"),
}
# The exports' buttons, by the export's name (campaign.metrics.exports).
EXPORT_LABELS = {
    "signatures": _("Signatures (CSV)"),
    "letters": _("Letters (CSV)"),
    "donations": _("Donations (CSV)"),
}


async def campaign_numbers(
    request: Request, session: AsyncSession, campaign: Campaign
) -> dict[str, Any]:
    """What staff/_campaign_numbers.html shows, as template context."""
    takes_donations = await donations.get_setup(session, campaign.id) is not None
    context: dict[str, Any] = {
        "as_of": await rollups_as_of(session),
        "exports": exports_for(campaign.kind, takes_donations=takes_donations),
        "export_labels": EXPORT_LABELS,
        "donations": await _donation_line(session, campaign) if takes_donations else None,
    }
    if campaign.kind == CampaignKind.LETTER:
        numbers = await letter_numbers(session, campaign.id)
        statuses = numbers.to_officials.by_status
        context["letters"] = numbers
        context["letter_statuses"] = [
            (STATUS_LABELS[status], status.value, statuses[status])
            for status in STATUS_ORDER
            if statuses[status]
        ]
        return context
    context["by_version"] = await _counts_by_version(session, campaign)
    per_day = await dashboard.signatures_per_day(session, campaign.id)
    countries = await dashboard.signatures_by_country(session, campaign.id)
    funnel = await dashboard.signing_funnel(session, campaign.id)
    return context | {
        # The public count: exact within its cache's second or two, and cheap.
        "counts": await public_counts(request).get(session, campaign.id),
        "funnel": funnel,
        "per_day_chart": column_chart(
            [(day.isoformat(), count) for day, count in per_day], title=_("Signatures per day")
        ),
        "country_chart": bar_chart(countries, title=_("Signatures by country")),
        "funnel_chart": bar_chart(
            [
                (_("Page views"), funnel.page_views),
                (_("Signatures"), funnel.signatures),
                (_("Confirmations"), funnel.confirmations),
                (_("Donations"), funnel.donations),
            ],
            title=_("From page view to donation"),
        ),
    }


async def _counts_by_version(session: AsyncSession, campaign: Campaign) -> list[dict[str, Any]]:
    """The one count split by the language version signed: each version's line, the
    campaign's own first, and any language signed in whose version has since gone. None
    for a campaign only ever in its own language."""
    counts = await signature_counts_by_version(session, campaign.id)
    languages = [
        campaign.language,
        *(v.language for v in await list_versions(session, campaign.id)),
    ]
    languages += [language for language in counts if language not in languages]
    if len(languages) == 1:
        return []
    return [
        {
            "language": language,
            "name": language_name(language),
            "counts": counts.get(language, SignatureCounts()),
        }
        for language in languages
    ]


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
