"""Sends through SendGrid's v3 mail API with the official client: one request per batch,
one personalization per recipient, our outbox id in `custom_args` so delivery events can
be matched to the message they are about, and the attempt's id beside it so the Email
Activity API can later say whether a request whose answer we never recorded arrived."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from email.message import Message
from typing import Any
from urllib.error import URLError

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient

from campaign.config import Settings
from campaign.observability.metrics import PROVIDER_REQUEST_DURATION
from emails.backends.base import OutcomeUnknown, Rejected, TemporaryFailure
from emails.render import Batch, Recipient

# The provider's error text kept on the message: enough to act on, not a whole page.
_MAX_DETAIL = 1000
# The custom arg that carries the attempt's id.
ATTEMPT_ARG = "outbox_attempt"


class SendGridBackend:
    name = "SendGrid"

    def __init__(self, settings: Settings) -> None:
        if settings.sendgrid_api_key is None:
            raise ValueError("CAMPAIGN_SENDGRID_API_KEY is needed for the sendgrid backend")
        self.settings = settings
        # The client (urllib underneath) blocks, so requests run in threads; each thread
        # gets its own client rather than sharing one's mutable header state.
        self._local = threading.local()

    async def send(self, batch: Batch, attempt_id: str) -> dict[int, str]:
        body = request_body(batch, self.settings, attempt_id)
        with _timed("send"):
            message_id = await asyncio.to_thread(self._post, body)
        return dict.fromkeys(batch.outbox_ids, message_id)

    async def accepted(self, attempt_id: str, outbox_ids: Sequence[int]) -> dict[int, str] | None:
        """Asks the Email Activity API for the emails of the attempt. SendGrid accepts or
        refuses a request whole, so any email listed means it took them all, and none
        listed (asked a lease after the request, time enough for its "processed" events
        to be indexed) means it never got the request."""
        with _timed("activity"):
            listed = await asyncio.to_thread(self._activity_of, attempt_id)
        if listed is None:
            return None
        if not listed:
            return {}
        # An activity msg_id is the request's X-Message-Id, a dot, then SendGrid's own part.
        message_id = str(listed[0].get("msg_id", "")).split(".", 1)[0] or f"sendgrid:{attempt_id}"
        return dict.fromkeys(outbox_ids, message_id)

    def _client(self) -> SendGridAPIClient:
        client = getattr(self._local, "client", None)
        if client is None:
            key = self.settings.sendgrid_api_key
            assert key is not None  # checked in __init__
            client = SendGridAPIClient(key.get_secret_value(), host=self.settings.sendgrid_host)
            client.client.timeout = self.settings.sendgrid_timeout_seconds
            self._local.client = client
        return client

    def _post(self, body: dict[str, Any]) -> str:
        try:
            response = self._client().send(body)
        except HTTPError as error:
            raise _failure_of(error) from None
        except (URLError, TimeoutError, ConnectionError) as error:
            if _refused(error):
                raise TemporaryFailure(f"SendGrid unreachable: {error}") from None
            # Sent, perhaps; unanswered: SendGrid may have queued it.
            raise OutcomeUnknown(f"SendGrid did not answer: {error!r}") from None
        return response.headers.get("X-Message-Id") or f"sendgrid:{response.status_code}"

    def _activity_of(self, attempt_id: str) -> list[dict[str, Any]] | None:
        query = f"unique_args['{ATTEMPT_ARG}']=\"{attempt_id}\""
        try:
            response = self._client().client.messages.get(
                query_params={"query": query, "limit": 1000}
            )
        except HTTPError as error:
            failure = _failure_of(error)
            if isinstance(failure, TemporaryFailure):
                raise failure from None
            return None  # refused: without the add-on or the key's access, it cannot tell
        except (URLError, TimeoutError, ConnectionError) as error:
            raise TemporaryFailure(f"SendGrid unreachable: {error}") from None
        try:
            messages = json.loads(response.body or b"{}").get("messages")
        except (ValueError, AttributeError):
            return None
        return [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else None


@contextmanager
def _timed(operation: str) -> Iterator[None]:
    """Observes how long one request to SendGrid took, and whether it succeeded."""
    started = time.perf_counter()
    outcome = "error"
    try:
        yield
        outcome = "ok"
    finally:
        PROVIDER_REQUEST_DURATION.labels("sendgrid", operation, outcome).observe(
            time.perf_counter() - started
        )


def _refused(error: Exception) -> bool:
    """Whether the connection was refused: then the request never left us."""
    reason = error.reason if isinstance(error, URLError) else error
    return isinstance(reason, ConnectionRefusedError)


def request_body(batch: Batch, settings: Settings, attempt_id: str) -> dict[str, Any]:
    """The JSON of POST /v3/mail/send, built directly: the library's `Mail(is_multiple=
    True)` helper reorders recipients, and a dict is what it would send anyway."""
    subject = batch.recipients[0].subject
    body: dict[str, Any] = {
        "from": {
            "email": settings.email_from_address,
            "name": batch.from_name or settings.email_from_name,
        },
        # The batch's subject; a personalization names its own only where it differs.
        "subject": subject,
        "personalizations": [_personalization(r, subject) for r in batch.recipients],
        "content": [
            {"type": "text/plain", "value": batch.text},
            {"type": "text/html", "value": batch.html},
        ],
        "categories": [batch.kind],
        # Given once for the request: SendGrid adds the message's custom_args and headers
        # to each personalization's own (which win for a name they share).
        "custom_args": {ATTEMPT_ARG: attempt_id},
    }
    if batch.headers:
        body["headers"] = dict(batch.headers)
    if batch.reply_to:
        body["reply_to"] = {"email": batch.reply_to}
    if settings.sendgrid_sandbox_mode:
        body["mail_settings"] = {"sandbox_mode": {"enable": True}}
    return body


def _personalization(recipient: Recipient, batch_subject: str) -> dict[str, Any]:
    to: dict[str, str] = {"email": recipient.address}
    if recipient.name:
        to["name"] = recipient.name
    personalization: dict[str, Any] = {
        "to": [to],
        "custom_args": {"outbox_id": str(recipient.outbox_id)},
    }
    if recipient.subject != batch_subject:
        personalization["subject"] = recipient.subject
    if recipient.substitutions:
        personalization["substitutions"] = recipient.substitutions
    if recipient.headers:
        personalization["headers"] = recipient.headers
    return personalization


def _failure_of(error: HTTPError) -> TemporaryFailure | Rejected:
    status = int(error.status_code)
    body = error.body.decode("utf-8", "replace") if isinstance(error.body, bytes) else error.body
    detail = f"SendGrid {status}: {body}"[:_MAX_DETAIL]
    if status == 429 or status >= 500:
        return TemporaryFailure(
            detail, retry_after=_retry_after(error.headers), rate_limited=status == 429
        )
    return Rejected(detail, status, _personalizations_named(body))


_PERSONALIZATION_FIELD = re.compile(r"^personalizations\.(\d+)\.")


def _personalizations_named(body: str) -> frozenset[int]:
    """SendGrid's 400 lists its errors with the field each is about, such as
    `personalizations.3.to.0.email`: those recipients are the ones at fault. Any error
    about something else (the sender, the content) concerns the whole request."""
    try:
        errors = json.loads(body).get("errors") or []
    except (ValueError, AttributeError):
        return frozenset()
    named = set()
    for error in errors:
        field = error.get("field") if isinstance(error, dict) else None
        match = _PERSONALIZATION_FIELD.match(field or "")
        if match is None:
            return frozenset()
        named.add(int(match.group(1)))
    return frozenset(named)


def _retry_after(headers: Message | None) -> float | None:
    """SendGrid says when its rate limit resets (X-RateLimit-Reset, epoch seconds); other
    servers on the way may send a standard Retry-After in seconds."""
    if headers is None:
        return None
    reset = headers.get("X-RateLimit-Reset")
    if reset is not None:
        try:
            return max(0.0, float(reset) - time.time())
        except ValueError:
            pass
    retry_after = headers.get("Retry-After")
    if retry_after is not None:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            pass
    return None
