"""What a scrape of /metrics reads from the database, when it is asked: the outbox's
depth and the age of its oldest due message, the signing requests not yet resolved, and
how far behind the metrics rollups are. A handful of index probes and counts over what
is in flight; with the database away, only `campaign_database_up 0`."""

from __future__ import annotations

import asyncio
import logging

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.db import utcnow
from campaign.metrics.rollup import rollups_counted_until
from campaign.outbox.queries import oldest_due, outbox_depth
from campaign.signatures.queries import waiting_submissions

logger = logging.getLogger(__name__)

# A scrape that waits longer than this for the database reports it as down.
SCRAPE_TIMEOUT_SECONDS = 5.0


async def database_series(factory: async_sessionmaker[AsyncSession]) -> list[Metric]:
    up = GaugeMetricFamily(
        "campaign_database_up", "Whether this scrape could read the database (1) or not (0)."
    )
    try:
        async with asyncio.timeout(SCRAPE_TIMEOUT_SECONDS), factory() as session:
            families = await _read(session)
    except Exception as error:
        logger.warning("metrics scrape could not read the database: %s", type(error).__name__)
        up.add_metric([], 0)
        return [up]
    up.add_metric([], 1)
    return [up, *families]


async def _read(session: AsyncSession) -> list[Metric]:
    now = utcnow()
    depth = GaugeMetricFamily(
        "campaign_outbox_messages",
        "Outbox messages in flight: pending (due or waiting for a retry) and sending.",
        labels=["status", "kind"],
    )
    for (status, kind), count in sorted((await outbox_depth(session)).items()):
        depth.add_metric([status, kind], count)
    oldest = GaugeMetricFamily(
        "campaign_outbox_oldest_due_age_seconds",
        "How long the longest-waiting due message of each lane has been due (0: none due).",
        labels=["lane"],
    )
    for lane, since in (await oldest_due(session, now)).items():
        oldest.add_metric([lane], 0 if since is None else max(0.0, (now - since).total_seconds()))
    waiting, first = await waiting_submissions(session)
    submissions = GaugeMetricFamily(
        "campaign_signature_submissions_waiting",
        "Signing requests not yet resolved by a worker into signatures and emails.",
        value=waiting,
    )
    submission_age = GaugeMetricFamily(
        "campaign_signature_submissions_oldest_age_seconds",
        "Age of the oldest signing request not yet resolved (0: none).",
        value=0 if first is None else max(0.0, (now - first).total_seconds()),
    )
    counted_until = await rollups_counted_until(session)
    lag = GaugeMetricFamily(
        "campaign_metrics_rollup_lag_seconds",
        "How far behind now the staff metrics rollups count (absent before the first pass).",
    )
    if counted_until is not None:
        lag.add_metric([], max(0.0, (now - counted_until).total_seconds()))
    await session.rollback()
    return [depth, oldest, submissions, submission_age, lag]
