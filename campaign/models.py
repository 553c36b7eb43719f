"""Every domain's models in one place, so Alembic and the app see one metadata."""

from campaign.campaigns.models import Campaign
from campaign.consents.models import ConsentRecord, ConsentText
from campaign.db import Base
from campaign.donations.models import Donation, DonationPayment, DonationSetup, StripeEvent
from campaign.followups.models import FollowupQuestion, LetterFollowup
from campaign.inbox.models import EmailEvent
from campaign.letters.models import Letter, LetterDelivery, LetterDigest, LetterSetup
from campaign.mailings.models import Mailing
from campaign.metrics.models import (
    PageView,
    PageViewRollup,
    RollupWatermark,
    SignatureCountryRollup,
    SignatureHourly,
    SignatureSourceRollup,
)
from campaign.osdi.models import PageMark
from campaign.outbox.models import OutboxMessage, Suppression
from campaign.people.models import Person
from campaign.privacy.models import DataRightsLink, PrivacyAuditEntry
from campaign.releases.models import CallToActionRecord, Release
from campaign.reports.models import OfficialReport, OfficialReportDelivery
from campaign.responses.models import PetitionResponse, PetitionThreshold, ThresholdReached
from campaign.signatures.invalidations import InvalidatedSignature, InvalidationJob
from campaign.signatures.models import Signature
from campaign.staff.models import ApiToken, StaffSession, StaffUser
from campaign.tags.models import Tag, Tagging
from campaign.targets.models import Official, PostcodeDivision
from campaign.webhooks.models import FeedEvent, WebhookEndpoint

__all__ = [
    "ApiToken",
    "Base",
    "CallToActionRecord",
    "Campaign",
    "ConsentRecord",
    "ConsentText",
    "DataRightsLink",
    "Donation",
    "DonationPayment",
    "DonationSetup",
    "EmailEvent",
    "FeedEvent",
    "FollowupQuestion",
    "InvalidatedSignature",
    "InvalidationJob",
    "Letter",
    "LetterDelivery",
    "LetterDigest",
    "LetterFollowup",
    "LetterSetup",
    "Mailing",
    "Official",
    "OfficialReport",
    "OfficialReportDelivery",
    "OutboxMessage",
    "PageMark",
    "PageView",
    "PageViewRollup",
    "Person",
    "PetitionResponse",
    "PetitionThreshold",
    "PostcodeDivision",
    "PrivacyAuditEntry",
    "Release",
    "RollupWatermark",
    "Signature",
    "SignatureCountryRollup",
    "SignatureHourly",
    "SignatureSourceRollup",
    "StaffSession",
    "StaffUser",
    "StripeEvent",
    "Suppression",
    "Tag",
    "Tagging",
    "ThresholdReached",
    "WebhookEndpoint",
]
