"""What the letters API answers: officials without their addresses for the public, the
setup and letters with their delivery for staff, and an activist's own letter."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field

from campaign.letters.models import Letter, LetterSetup
from campaign.letters.queries import DeliveryView, SentCopy
from campaign.metrics.letters import DeliveryTally, LetterNumbers, OfficialLetters
from campaign.targets.models import Official


class PublicOfficial(BaseModel):
    """An official as the public sees them: never their email address."""

    id: int
    name: str
    title: str
    organisation: str
    party: str | None

    @classmethod
    def of(cls, official: Official) -> PublicOfficial:
        return cls(
            id=official.id,
            name=official.name,
            title=official.title,
            organisation=official.organisation,
            party=official.party,
        )


class OfficialsFound(BaseModel):
    officials: list[PublicOfficial]


class LetterReceived(BaseModel):
    """The same answer whoever the address belongs to."""

    status: str = "received"
    message: str = (
        "Thank you. Check your inbox: we have sent you an email about your letter. "
        "Follow the link in it to send the letter, if we asked you to."
    )


class LetterConfirmationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=10, max_length=100)


class LetterConfirmed(BaseModel):
    status: str = "confirmed"
    campaign_slug: str
    campaign_title: str


class OfficialDeliveryView(BaseModel):
    official_name: str
    official_title: str
    organisation: str
    state: str
    scheduled_at: datetime | None
    # Where this letter to this official has got to, the one word every screen shows
    # (campaign/letters/delivery.py letter_delivery_status): awaiting_confirmation,
    # held, in_digest, queued, failed, sent, deferred, delivered, bounced or dropped.
    email_status: str
    sent_at: datetime | None

    @classmethod
    def of(cls, view: DeliveryView) -> Self:
        return cls.model_validate({**asdict(view), "email_status": view.status.value})


class OwnDeliveryView(OfficialDeliveryView):
    # The activist's answer to the follow-up about this official: yes (they replied),
    # no, not_yet; None if not asked or not answered yet (campaign/followups).
    followup_answer: str | None = None


class OwnLetterView(BaseModel):
    """An activist's letter, seen through their private link: as it was sent, filled in
    for the official named in `sent_to` (each official's copy is addressed to them)."""

    status: str
    subject: str
    body: str
    sent_to: str | None
    created_at: datetime
    confirmed_at: datetime | None
    deliveries: list[OwnDeliveryView]

    @classmethod
    def of(
        cls,
        letter: Letter,
        deliveries: list[DeliveryView],
        copy: SentCopy | None,
        answers: Mapping[int, str] | None = None,
    ) -> OwnLetterView:
        answers = answers or {}
        return cls(
            status=letter.status,
            subject=copy.subject if copy else letter.subject,
            body=copy.body if copy else letter.body,
            sent_to=copy.official_name if copy else None,
            created_at=letter.created_at,
            confirmed_at=letter.confirmed_at,
            deliveries=[
                OwnDeliveryView.of(d).model_copy(
                    update={"followup_answer": answers.get(d.official_id)}
                )
                for d in deliveries
            ],
        )


class StaffDeliveryStatus(OfficialDeliveryView):
    official_id: int


class StaffLetterView(BaseModel):
    id: int
    status: str
    given_name: str
    family_name: str
    email: str
    country: str
    postcode: str | None
    locality: str | None
    subject: str
    body: str
    similarity: float
    personalised: bool
    created_at: datetime
    confirmed_at: datetime | None
    deliveries: list[StaffDeliveryStatus]

    @classmethod
    def of(cls, letter: Letter, deliveries: list[DeliveryView]) -> StaffLetterView:
        return cls(
            id=letter.id,
            status=letter.status,
            given_name=letter.given_name,
            family_name=letter.family_name,
            email=letter.email,
            country=letter.country,
            postcode=letter.postcode,
            locality=letter.locality,
            subject=letter.subject,
            body=letter.body,
            similarity=letter.similarity,
            personalised=letter.personalised,
            created_at=letter.created_at,
            confirmed_at=letter.confirmed_at,
            deliveries=[StaffDeliveryStatus.of(d) for d in deliveries],
        )


class DeliveryTallyView(BaseModel):
    """Letters to officials (one per letter per official), by how far they got."""

    written: int
    confirmed: int
    sent: int  # handed to the provider: delivered, bounced and dropped are part of it
    delivered: int
    bounced: int  # bounced or dropped
    failed: int
    queued_by_limit: int  # moved by the per-official limit to a later hour or day
    in_digests: int

    @classmethod
    def of(cls, tally: DeliveryTally) -> DeliveryTallyView:
        return cls(
            written=tally.written,
            confirmed=tally.confirmed,
            sent=tally.sent,
            delivered=tally.delivered,
            bounced=tally.bounced,
            failed=tally.failed,
            queued_by_limit=tally.queued_by_limit,
            in_digests=tally.in_digests,
        )


class OfficialLettersView(DeliveryTallyView):
    official_id: int
    name: str
    title: str
    role: str
    organisation: str

    @classmethod
    def of_official(cls, line: OfficialLetters) -> OfficialLettersView:
        return cls(
            official_id=line.official_id,
            name=line.name,
            title=line.title,
            role=line.role,
            organisation=line.organisation,
            **DeliveryTallyView.of(line.letters).model_dump(),
        )


class LetterTotalsView(BaseModel):
    letters_by_status: dict[str, int]
    personalised: int
    unedited: int
    deliveries_by_state: dict[str, int]
    # Every letter to every official by the status its delivery shows (the same word as
    # `email_status` in each letter's deliveries, counted by the same function).
    emails_by_status: dict[str, int]
    to_officials: DeliveryTallyView
    digests_written: int
    digests_sent: int
    officials: list[OfficialLettersView]

    @classmethod
    def of(cls, numbers: LetterNumbers) -> LetterTotalsView:
        return cls(
            letters_by_status=numbers.letters_by_status,
            personalised=numbers.personalised,
            unedited=numbers.unedited,
            deliveries_by_state=numbers.deliveries_by_state,
            emails_by_status=dict(numbers.to_officials.by_status),
            to_officials=DeliveryTallyView.of(numbers.to_officials),
            digests_written=numbers.digests_written,
            digests_sent=numbers.digests_sent,
            officials=[OfficialLettersView.of_official(line) for line in numbers.officials],
        )


class StaffLetterPage(BaseModel):
    totals: LetterTotalsView
    letters: list[StaffLetterView]


class LetterSetupView(BaseModel):
    campaign_id: int
    targets: dict[str, Any]
    subject_template: str
    body_template: str
    subject_editable: bool
    min_length: int
    max_length: int
    required_phrases: list[str]
    per_official_hourly_limit: int | None
    per_official_daily_limit: int | None
    over_limit: str
    updated_at: datetime

    @classmethod
    def of(cls, setup: LetterSetup) -> LetterSetupView:
        targets: dict[str, Any] = {"kind": setup.target_kind}
        if setup.target_kind == "fixed":
            targets["official_ids"] = setup.target_official_ids
        elif setup.target_kind == "division":
            targets["organisation"] = setup.target_organisation
        else:
            targets["role"] = setup.target_role
        return cls(
            campaign_id=setup.campaign_id,
            targets=targets,
            subject_template=setup.subject_template,
            body_template=setup.body_template,
            subject_editable=setup.subject_editable,
            min_length=setup.min_length,
            max_length=setup.max_length,
            required_phrases=setup.required_phrases,
            per_official_hourly_limit=setup.per_official_hourly_limit,
            per_official_daily_limit=setup.per_official_daily_limit,
            over_limit=setup.over_limit,
            updated_at=setup.updated_at,
        )
