"""The public signing API's confirmation request and its answers."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ConfirmationRequest(BaseModel):
    """The token from the confirmation email's link, for clients that confirm by API."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=10, max_length=100)


class SignatureReceived(BaseModel):
    """The same answer for a first signature, a repeat and one held back: nobody
    can use this endpoint to learn whether an address has signed."""

    status: str = "received"
    message: str = (
        "Thank you. Check your inbox: we have sent an email about your signature. "
        "It counts once you follow the link in it."
    )


class SignatureConfirmed(BaseModel):
    status: str = "confirmed"
    campaign_slug: str
    campaign_title: str
