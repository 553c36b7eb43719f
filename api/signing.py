"""The signing API's own way through the server: `POST /api/v1/campaigns/{slug}/signatures`
with a JSON body that passes validation is answered here, before the framework's routing,
request objects and dependency graph, which cost several times the signature's own work
when a petition is signed hundreds of times a second.

The rules are the ones the route uses, called the same way: the body is checked by
SignatureInput, the campaign comes from the same cache, and submit_signature_batched counts
the limits and writes the submission (flows.py). Only the plumbing differs. Anything this
path does not answer itself is passed on unchanged to the application, whose route answers
it as before: a body that is not JSON or not valid, a malformed slug, another content type.
So every refusal of input is the framework's own, with the field named, and a request
whose input is valid gets the route's answer, byte for byte. An error once the input is
valid (an unknown or closed petition, the database away) is answered by the application's
own exception handlers (problems.py).

It sits inside the security-headers middleware, whose headers its answers get too, and
outside the body-size limit: a body over that limit is handed on, as received, for the
limit to refuse."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.middleware import MAX_BODY_BYTES
from api.params import SLUG_PATTERN
from api.ratelimit import SigningLimits
from api.routers.public_campaigns import SIGNING_PATH
from api.schemas.signatures import SignatureReceived
from api.telemetry import ROUTE_TEMPLATE_KEY
from campaign.campaigns.cache import SignableCampaignCache
from campaign.signatures.flows import submit_signature_batched
from campaign.signatures.models import SignatureChannel
from campaign.signatures.schemas import SignatureInput, SigningContext
from campaign.signatures.writer import SubmissionWriter

_SIGNING_PATH = re.compile(r"/api/v1/campaigns/([^/]+)/signatures")
_SLUG = re.compile(SLUG_PATTERN)
_JSON = b"application/json"


def _answer() -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The route's 202, rendered once the way the framework renders it."""
    response = JSONResponse(jsonable_encoder(SignatureReceived()), status_code=202)
    return list(response.raw_headers), bytes(response.body)


_ANSWER_HEADERS, _ANSWER_BODY = _answer()


class SigningFastPath:
    def __init__(self, app: ASGIApp, application: FastAPI) -> None:
        self.app = app
        self.application = application

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        match = _SIGNING_PATH.fullmatch(scope["path"])
        if match is None or not _SLUG.fullmatch(slug := match.group(1)):
            await self.app(scope, receive, send)
            return
        content_type, user_agent = _headers(scope)
        if content_type is not None and content_type.split(b";", 1)[0].strip().lower() != _JSON:
            await self.app(scope, receive, send)
            return
        received, body = await _read_body(receive)
        # Requests answered here never reach the router: the telemetry's label for them.
        scope[ROUTE_TEMPLATE_KEY] = SIGNING_PATH
        data = _signature_input(body)
        if data is None:
            await self.app(scope, _replaying(received, receive), send)
            return
        try:
            await self._sign(scope, slug, data, user_agent)
        except Exception as error:
            await self._answer_error(scope, receive, send, error)
            return
        await send({"type": "http.response.start", "status": 202, "headers": _ANSWER_HEADERS})
        await send({"type": "http.response.body", "body": _ANSWER_BODY})

    async def _sign(
        self, scope: Scope, slug: str, data: SignatureInput, user_agent: str | None
    ) -> None:
        state = self.application.state
        cache: SignableCampaignCache = state.signable_campaigns
        campaign = await cache.get_or_load(state.session_factory, slug)
        client = scope.get("client")
        context = SigningContext(
            channel=SignatureChannel.API,
            ip_address=client[0] if client else None,
            user_agent=user_agent,
        )
        limits: SigningLimits = state.signing_limits
        writer: SubmissionWriter = state.submission_writer
        await submit_signature_batched(writer, campaign, data, context, limits)

    async def _answer_error(
        self, scope: Scope, receive: Receive, send: Send, error: Exception
    ) -> None:
        """As the application's exception middleware would: the handler registered for
        the nearest class of the error."""
        handler = self._handler_for(error)
        if handler is None:
            raise error
        response = handler(Request(scope, receive), error)
        if inspect.isawaitable(response):
            response = await response
        await response(scope, receive, send)

    def _handler_for(self, error: Exception) -> Callable[..., Any] | None:
        handlers = self.application.exception_handlers
        for kind in type(error).__mro__:
            if kind in handlers:
                return handlers[kind]
        return None


def _headers(scope: Scope) -> tuple[bytes | None, str | None]:
    """The content type and the user agent, the first of each as the framework reads it."""
    content_type = user_agent = None
    for name, value in scope["headers"]:
        if name == b"content-type" and content_type is None:
            content_type = value
        elif name == b"user-agent" and user_agent is None:
            user_agent = value.decode("latin-1")
    return content_type, user_agent


async def _read_body(receive: Receive) -> tuple[list[Message], bytes | None]:
    """The messages received, and the body if it came whole and within bounds (None if
    not: the application then reads the same messages and answers as it does, with a 413
    for a body over the limit)."""
    received: list[Message] = []
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        received.append(message)
        if message["type"] != "http.request":
            return received, None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return received, None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return received, b"".join(chunks)


def _signature_input(body: bytes | None) -> SignatureInput | None:
    """The body as the route would take it, or None for anything the route refuses (it
    then says why, in its own words)."""
    if not body:
        return None
    try:
        return SignatureInput.model_validate(json.loads(body))
    except (ValueError, ValidationError, RecursionError):
        return None


def _replaying(received: list[Message], receive: Receive) -> Callable[[], Awaitable[Message]]:
    pending = list(received)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
