"""SendGrid's signed event webhook: verify, store each event once, answer fast."""

from __future__ import annotations

import binascii
import json
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from sendgrid.helpers.eventwebhook import EventWebhook

from api.deps import SessionDep, SettingsDep
from campaign.config import Settings
from campaign.errors import Forbidden, InvalidInput, Unauthorized
from campaign.inbox.service import record_sendgrid_events
from campaign.observability.metrics import WEBHOOK_EVENTS_RECEIVED

router = APIRouter(tags=["webhooks"])

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"


async def verified_events(
    request: Request,
    settings: SettingsDep,
    signature: Annotated[str | None, Header(alias=SIGNATURE_HEADER)] = None,
    timestamp: Annotated[str | None, Header(alias=TIMESTAMP_HEADER)] = None,
) -> list[dict[str, Any]]:
    """The events of a request SendGrid signed, not long ago; anything else is refused."""
    if not settings.sendgrid_webhook_public_key:
        raise Forbidden("the SendGrid webhook is not configured on this server")
    if not signature or not timestamp:
        raise Unauthorized("the request is not signed", field=SIGNATURE_HEADER)
    _ensure_recent(timestamp, settings)
    body = await request.body()
    try:
        payload = body.decode("utf-8")
        valid = EventWebhook(settings.sendgrid_webhook_public_key).verify_signature(
            payload, signature, timestamp
        )
    except (UnicodeDecodeError, binascii.Error, ValueError):
        valid = False
    if not valid:
        raise Forbidden("the signature does not match", field=SIGNATURE_HEADER)
    return _events_in(payload)


def _ensure_recent(timestamp: str, settings: Settings) -> None:
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise Forbidden("the timestamp is not valid", field=TIMESTAMP_HEADER)
    if abs(time.time() - int(timestamp)) > settings.webhook_tolerance_seconds:
        raise Forbidden("the request is too old (or from the future)", field=TIMESTAMP_HEADER)


def _events_in(payload: str) -> list[dict[str, Any]]:
    try:
        events = json.loads(payload)
    except json.JSONDecodeError as error:
        raise InvalidInput("the body is not JSON", field="body") from error
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        raise InvalidInput("the body must be a JSON array of events", field="body")
    return events


VerifiedEvents = Annotated[list[dict[str, Any]], Depends(verified_events)]


@router.post("/webhooks/sendgrid")
async def receive_sendgrid_events(events: VerifiedEvents, session: SessionDep) -> dict[str, int]:
    WEBHOOK_EVENTS_RECEIVED.labels("sendgrid").inc(len(events))
    recorded = await record_sendgrid_events(session, events)
    return {"new": recorded.new, "repeated": recorded.repeated, "malformed": recorded.malformed}
