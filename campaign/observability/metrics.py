"""The Prometheus series the processes keep, and the text of a scrape.

Counters and histograms live in prometheus_client's registry of the process. With
`campaign serve --workers N` (N > 1) the serve command points PROMETHEUS_MULTIPROC_DIR at
a fresh directory before the server processes start, so each writes its values to files
there and a scrape of any one of them adds up all of them. What a scrape reads from the
database (the outbox, the rollups) is not kept in the registry: it is read when asked,
by whichever process answers, and appended to the text."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

# Request latency: most answers take milliseconds; a CSV export may take minutes.
_REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUEST_DURATION = Histogram(
    "campaign_http_request_duration_seconds",
    "Time to answer a request, by route template (never the raw path) and status class.",
    ["method", "route", "status"],
    buckets=_REQUEST_BUCKETS,
)
SIGNATURES_ACCEPTED = Counter(
    "campaign_signatures_accepted_total",
    "Signing requests accepted (a submission written), by channel. Includes those over "
    "a limit, which are held: the answer cannot differ.",
    ["channel"],
)
WORKER_BATCHES_SENT = Counter(
    "campaign_worker_batches_sent_total",
    "Provider requests (batches of emails) the outbox worker handed over successfully.",
)
WORKER_MESSAGES_SENT = Counter(
    "campaign_worker_messages_sent_total",
    "Emails the outbox worker handed over, by kind.",
    ["kind"],
)
WORKER_BATCH_FAILURES = Counter(
    "campaign_worker_batch_failures_total",
    "Batches that did not go: temporary (retried later), rate_limited (paused, no "
    "attempt counted), rejected (failed), unknown (the provider may have them).",
    ["reason"],
)
PROVIDER_REQUEST_DURATION = Histogram(
    "campaign_email_provider_request_duration_seconds",
    "Time of each request to the email provider, by operation (send, activity) and "
    "outcome (ok, error).",
    ["provider", "operation", "outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
WEBHOOK_EVENTS_RECEIVED = Counter(
    "campaign_webhook_events_received_total",
    "Provider webhook events received with a valid signature, by provider. Refused "
    "requests are in the request histogram of their route, with status 4xx.",
    ["provider"],
)


def is_multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROC_DIR_VARIABLE))


def exposition(scraped: Iterable[Collector] = ()) -> bytes:
    """The Prometheus text of this process's series (of all server processes, in
    multiprocess mode), followed by those the collectors read at scrape time."""
    if is_multiprocess():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        kept = generate_latest(registry)
    else:
        kept = generate_latest(REGISTRY)
    extra = CollectorRegistry(auto_describe=False)
    for collector in scraped:
        extra.register(collector)
    return kept + generate_latest(extra)


class Collected(Collector):
    """Metric families already computed (from the database, asynchronously), handed to
    prometheus_client's synchronous collection."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterator[Metric]:
        yield from self._families
