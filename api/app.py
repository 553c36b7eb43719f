"""The FastAPI application: routers, error handlers, and the resources it owns."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.dashboard import router as dashboard_router
from api.middleware import BodySizeLimit, SecurityHeaders
from api.problems import install_problem_handlers
from api.ratelimit import RateLimit, RedisProbe, SigningLimits
from api.routers import (
    abuse,
    data_rights,
    donations,
    followups,
    health,
    home,
    letters,
    mailings,
    messages,
    metrics,
    official_reports,
    osdi,
    pages,
    privacy,
    public_campaigns,
    releases,
    responses,
    signature_review,
    staff,
    staff_campaigns,
    targets,
    unsubscribe,
    webhook_endpoints,
)
from api.signing import SigningFastPath
from api.telemetry import MetricsEndpoint, RequestTelemetry, route_templates
from api.webhooks import sendgrid as sendgrid_webhook
from api.webhooks import stripe as stripe_webhook
from campaign.campaigns.cache import SignableCampaignCache
from campaign.config import Settings, get_settings
from campaign.db import SpareSessions, create_engine, create_session_factory, spare_session_count
from campaign.donations.gateway import StripeGateway
from campaign.signatures.writer import SubmissionWriter
from emails.worker import OutboxWorker


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings)
        app.state.settings = settings
        app.state.session_factory = create_session_factory(engine)
        # Exports and staff figures read a replica when there is one, the primary if not
        # (SQLite has none: one file, one writer).
        read_engine = None
        app.state.read_session_factory = app.state.session_factory
        if settings.read_database_url and not settings.is_sqlite:
            read_engine = create_engine(settings, settings.read_database_url)
            app.state.read_session_factory = create_session_factory(read_engine)
        # The staff figures' reads side by side, where they read: the replica if any.
        app.state.spare_sessions = SpareSessions(
            app.state.read_session_factory, spare_session_count(settings)
        )
        app.state.signing_limits = SigningLimits(settings)
        app.state.view_rate_limit = RateLimit(settings.view_rate_limit, settings.redis_url)
        app.state.donation_rate_limit = RateLimit(settings.donation_rate_limit, settings.redis_url)
        app.state.donation_campaign_rate_limit = RateLimit(
            settings.donation_campaign_rate_limit, settings.redis_url
        )
        app.state.redis_probe = RedisProbe(settings.redis_url) if settings.redis_url else None
        app.state.signable_campaigns = SignableCampaignCache()
        app.state.submission_writer = SubmissionWriter(
            engine,
            max_batch=settings.signing_batch_size,
            max_in_flight=settings.signing_writes_in_flight,
            batch_wait_seconds=settings.signing_batch_wait_ms / 1000,
        )
        app.state.stripe = _stripe_gateway(settings)
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
            await app.state.submission_writer.close()
            await engine.dispose()
            if read_engine is not None:
                await read_engine.dispose()

    app = FastAPI(
        title="campaign",
        summary="Petitions and letters to officials, from the calls to action in press releases.",
        version="0.1.0",
        lifespan=lifespan,
        # The interactive docs pages load scripts from a CDN; the schema itself is served.
        docs_url=None,
        redoc_url=None,
        # No OpenTelemetry here: off, so that no request pays for asking whether it is set up.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    install_problem_handlers(app)
    app.include_router(health.router)
    app.include_router(home.router)
    app.include_router(public_campaigns.router)
    app.include_router(staff_campaigns.router)
    app.include_router(mailings.router)
    app.include_router(responses.router)
    app.include_router(official_reports.router)
    app.include_router(signature_review.router)
    app.include_router(abuse.router)
    app.include_router(staff.router)
    app.include_router(releases.router)
    app.include_router(messages.router)
    app.include_router(targets.router)
    app.include_router(letters.router)
    app.include_router(letters.staff_router)
    app.include_router(followups.router)
    app.include_router(followups.staff_router)
    app.include_router(unsubscribe.router)
    app.include_router(data_rights.router)
    app.include_router(privacy.router)
    app.include_router(sendgrid_webhook.router)
    app.include_router(stripe_webhook.router)
    app.include_router(donations.router)
    app.include_router(donations.staff_router)
    app.include_router(pages.router)
    app.include_router(metrics.router)
    app.include_router(osdi.router)
    app.include_router(webhook_endpoints.router)
    app.include_router(dashboard_router)

    app.add_middleware(BodySizeLimit)
    app.add_middleware(SigningFastPath, application=app)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestTelemetry, templates=route_templates(app.routes))
    app.add_middleware(MetricsEndpoint, networks=settings.metrics_networks)
    return app


def _stripe_gateway(settings: Settings) -> StripeGateway | None:
    """Donations are on only with a Stripe key; without one every campaign says so."""
    if settings.stripe_secret_key is None:
        return None
    return StripeGateway(settings.stripe_secret_key.get_secret_value(), settings.stripe_api_base)
