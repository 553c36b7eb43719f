"""What the responses API answers: a petition's thresholds, and its response with where
its mailing to the signers has got to."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel

from campaign.mailings.service import MailingNumbers
from campaign.responses.models import PetitionResponse
from campaign.responses.service import ThresholdState


class ThresholdsView(BaseModel):
    # The petition's confirmed count now, as its public page shows it.
    confirmed: int
    # Pydantic reads the service's dataclass as it is.
    items: list[ThresholdState]


class ResponseView(BaseModel):
    body_markdown: str
    body_html: str
    responded_on: date
    link: str | None
    status: str
    published_at: datetime | None
    created_at: datetime
    modified_at: datetime
    # The mailing that tells the signers, once published; its numbers as any mailing's.
    mailing_id: int | None
    numbers: MailingNumbers | None = None
    # While a draft: how many signers publishing would email now.
    signers_to_tell: int | None = None

    @classmethod
    def of(
        cls,
        response: PetitionResponse,
        *,
        numbers: MailingNumbers | None = None,
        signers_to_tell: int | None = None,
    ) -> ResponseView:
        return cls(
            body_markdown=response.body_markdown,
            body_html=response.body_html,
            responded_on=response.responded_on,
            link=response.link,
            status=response.status,
            published_at=response.published_at,
            created_at=response.created_at,
            modified_at=response.modified_at,
            mailing_id=response.mailing_id,
            numbers=numbers,
            signers_to_tell=signers_to_tell,
        )
