"""Stripe's webhook: verify the signature with the official library, apply each event
once, answer 2xx fast."""

from __future__ import annotations

import json
from typing import Annotated, Any

import stripe
from fastapi import APIRouter, Depends, Header, Request

from api.deps import SessionDep, SettingsDep
from campaign.donations.events import apply_event
from campaign.donations.gateway import verify_webhook
from campaign.errors import Forbidden, InvalidInput, Unauthorized
from campaign.observability.metrics import WEBHOOK_EVENTS_RECEIVED

router = APIRouter(tags=["webhooks"])

SIGNATURE_HEADER = "Stripe-Signature"


async def verified_event(
    request: Request,
    settings: SettingsDep,
    signature: Annotated[str | None, Header(alias=SIGNATURE_HEADER)] = None,
) -> dict[str, Any]:
    """The event of a request Stripe signed, not long ago; anything else is refused."""
    secret = settings.stripe_webhook_secret
    if secret is None:
        raise Forbidden("the Stripe webhook is not configured on this server")
    if not signature:
        raise Unauthorized("the request is not signed", field=SIGNATURE_HEADER)
    body = await request.body()
    try:
        verify_webhook(
            body, signature, secret.get_secret_value(), settings.webhook_tolerance_seconds
        )
    except (stripe.SignatureVerificationError, UnicodeDecodeError):
        raise Forbidden(
            "the signature does not match, or the request is too old", field=SIGNATURE_HEADER
        ) from None
    try:
        event = json.loads(body)
    except json.JSONDecodeError as error:
        raise InvalidInput("the body is not JSON", field="body") from error
    if (
        not isinstance(event, dict)
        or not isinstance(event.get("id"), str)
        or not isinstance((event.get("data") or {}).get("object"), dict)
    ):
        raise InvalidInput("the body is not a Stripe event", field="body")
    return event


VerifiedEvent = Annotated[dict[str, Any], Depends(verified_event)]


@router.post("/webhooks/stripe")
async def receive_stripe_event(event: VerifiedEvent, session: SessionDep) -> dict[str, bool]:
    WEBHOOK_EVENTS_RECEIVED.labels("stripe").inc()
    return {"applied": await apply_event(session, event)}
