"""The consent ledger for an auditor: every consent record, with the exact wording and
version it answered, as CSV (written by campaign/metrics/exports, like every export)."""

from __future__ import annotations

from sqlalchemy import select

from campaign.campaigns.models import Campaign
from campaign.consents.models import ConsentRecord, ConsentText
from campaign.metrics.exports import Export

LEDGER_HEADER = (
    "record_id",
    "person_id",
    "purpose",
    "granted",
    "wording",
    "wording_version",
    "language",
    "channel",
    "campaign",
    "recorded_at",
)


def consent_ledger_export() -> Export:
    query = (
        select(
            ConsentRecord.id,
            ConsentRecord.person_id,
            ConsentText.purpose,
            ConsentRecord.granted,
            ConsentText.text,
            ConsentText.version,
            ConsentRecord.language,
            ConsentRecord.channel,
            Campaign.slug,
            ConsentRecord.created_at,
        )
        .join(ConsentText, ConsentText.id == ConsentRecord.consent_text_id)
        .outerjoin(Campaign, Campaign.id == ConsentRecord.campaign_id)
    )
    return Export("consent-ledger", LEDGER_HEADER, query, ConsentRecord.id)
