"""The FastAPI application: routers, error handlers, and the resources it owns."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import install_problem_handlers
from api.ratelimit import RateLimit
from api.routers import health, public_campaigns, staff, staff_campaigns
from campaign.config import Settings, get_settings
from campaign.db import create_engine, create_session_factory
from emails.worker import OutboxWorker

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
        stop = asyncio.Event()
        worker_task = None
        if settings.run_worker_in_process:
            worker = OutboxWorker(app.state.session_factory, settings)
            worker_task = asyncio.create_task(worker.run(stop), name="outbox-worker")
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

    app.add_middleware(SecurityHeaders)
    return app


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
