"""The FastAPI application: routers, error handlers, and the resources it owns."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import install_problem_handlers, problem
from api.ratelimit import RateLimit
from api.routers import health, public_campaigns, staff, staff_campaigns
from campaign.campaigns.cache import SignableCampaignCache
from campaign.config import Settings, get_settings
from campaign.db import create_engine, create_session_factory
from emails.worker import OutboxWorker

# Every accepted field is bounded; a bigger body is an attack or a mistake.
MAX_BODY_BYTES = 1024 * 1024

_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    ),
}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings)
        app.state.settings = settings
        app.state.session_factory = create_session_factory(engine)
        app.state.sign_rate_limit = RateLimit(settings.sign_rate_limit, settings.redis_url)
        app.state.signable_campaigns = SignableCampaignCache()
        stop = asyncio.Event()
        worker_task = None
        if settings.run_worker_in_process:
            worker = OutboxWorker(app.state.session_factory, settings)
            worker_task = asyncio.create_task(worker.run(stop), name="outbox-worker")
        # Everything loaded so far lives as long as the process: keep it out of the
        # cyclic collector's way, so its full passes stay short under load.
        gc.freeze()
        try:
            yield
        finally:
            stop.set()
            if worker_task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await worker_task
            await engine.dispose()

    app = FastAPI(
        title="campaign",
        summary="Petitions and letters to officials, from the calls to action in press releases.",
        version="0.1.0",
        lifespan=lifespan,
        # The interactive docs pages load scripts from a CDN; the schema itself is served.
        docs_url=None,
        redoc_url=None,
    )
    install_problem_handlers(app)
    app.include_router(health.router)
    app.include_router(public_campaigns.router)
    app.include_router(staff_campaigns.router)
    app.include_router(staff.router)

    app.add_middleware(BodySizeLimit)
    app.add_middleware(SecurityHeaders)
    return app


class BodySizeLimit:
    """Refuses bodies over MAX_BODY_BYTES with a problem+json 413: at once when the
    declared Content-Length is too big, or as soon as a streamed body goes over (the
    app's own answer to the cut-off body is then replaced by the 413)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _declared_length(scope) > MAX_BODY_BYTES:
            await _body_too_large()(scope, receive, send)
            return

        received = 0
        overflowed = False

        async def counting_receive() -> Message:
            nonlocal received, overflowed
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY_BYTES:
                    overflowed = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def guarded_send(message: Message) -> None:
            if not overflowed:
                await send(message)

        await self.app(scope, counting_receive, guarded_send)
        if overflowed:
            await _body_too_large()(scope, receive, send)


def _body_too_large() -> Response:
    return problem(
        413,
        "body-too-large",
        "Request body too large",
        f"the body must be at most {MAX_BODY_BYTES} bytes",
        field="body",
    )


def _declared_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else 0
    return 0


class SecurityHeaders:
    """Adds defensive headers to every response (plain ASGI: no per-request task overhead)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
