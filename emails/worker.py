"""The outbox worker: claims due messages, renders them in batches, hands each batch to
the backend, and records the outcome. Runs in `campaign serve` on the embedded default,
or alone (`campaign worker`), as many as you like on PostgreSQL.

What it promises: a message is sent once per successful hand-over, and a claimed message
whose worker dies is retried after the claim's lease. The one window for a duplicate is
between the provider accepting a request and our recording it (one round trip to the
database): a worker killed exactly then sends that batch again when the lease runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.config import Settings
from campaign.db import transaction, utcnow
from campaign.letters.delivery import send_due_digests
from campaign.metrics.rollup import update_rollups
from campaign.outbox.models import OutboxMessage
from campaign.outbox.service import (
    claim_due_messages,
    hold_suppressed,
    mark_attempt_failed,
    mark_failed,
    mark_sent,
    release,
)
from emails.backends import EmailBackend, Rejected, TemporaryFailure, backend_from_settings
from emails.render import Batch, render_batches

logger = logging.getLogger(__name__)

# Provider requests in flight at once per worker.
SEND_CONCURRENCY = 4
# How often a worker looks for finished days of letters to bundle into digests.
DIGEST_CHECK_SECONDS = 60.0
# How long to hold off after a rate limit that didn't say for how long.
DEFAULT_RATE_LIMIT_PAUSE = 10.0


class OutboxWorker:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        settings: Settings,
        backend: EmailBackend | None = None,
        *,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.session_factory = session_factory
        self.settings = settings
        self.backend = backend or backend_from_settings(settings)
        self.jitter = jitter
        self.lease = timedelta(seconds=settings.worker_claim_lease_seconds)
        self._requests = asyncio.Semaphore(SEND_CONCURRENCY)
        self._resume_at = 0.0  # monotonic time; set when the provider asks us to wait
        self._stopping = False

    async def send_due_messages(self) -> int:
        """One pass: claim (committed, so the claim holds), send, record. Returns how many
        messages were handed over."""
        if self._paused():
            return 0
        async with transaction(self.session_factory) as session:
            messages = await claim_due_messages(
                session, self.settings.worker_batch_size, self.lease
            )
            messages = await hold_suppressed(session, messages)
        if not messages:
            return 0
        by_id = {message.id: message for message in messages}
        batches = await self._render(messages)
        sent = await asyncio.gather(*(self._deliver(batch, by_id) for batch in batches))
        return sum(sent)

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set: send what is due, then wait a poll interval (or less).
        When it is set, batches not yet handed over go back to the queue unsent."""
        watcher = asyncio.create_task(self._watch(stop))
        next_digest_check = 0.0
        next_metrics_pass = 0.0
        try:
            while not stop.is_set():
                if time.monotonic() >= next_digest_check:
                    await self._queue_due_digests()
                    next_digest_check = time.monotonic() + DIGEST_CHECK_SECONDS
                if time.monotonic() >= next_metrics_pass:
                    await self._update_metrics()
                    next_metrics_pass = time.monotonic() + self.settings.metrics_interval_seconds
                try:
                    sent = await self.send_due_messages()
                except Exception:
                    logger.exception("outbox pass failed; retrying after the poll interval")
                    sent = 0
                if sent == 0 or self._paused():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), self._idle_wait())
        finally:
            watcher.cancel()

    async def _queue_due_digests(self) -> None:
        """Letters held for an official's daily digest become one email when their day
        is over; any worker may do it, and a digest is written once."""
        try:
            async with transaction(self.session_factory) as session:
                queued = await send_due_digests(session, now=utcnow())
        except Exception:
            logger.exception("queueing letter digests failed; trying again later")
            return
        if queued:
            logger.info("queued %d letter digest(s)", queued)

    async def _update_metrics(self) -> None:
        """One incremental rollup pass; with several workers, the one holding the lock
        does it and the others skip (see campaign/metrics/rollup.py)."""
        try:
            async with transaction(self.session_factory) as session:
                await update_rollups(session)
        except Exception:
            logger.exception("metrics rollup pass failed; trying again later")

    async def _watch(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self._stopping = True

    def _paused(self) -> bool:
        return time.monotonic() < self._resume_at

    def _idle_wait(self) -> float:
        return max(self.settings.worker_poll_seconds, self._resume_at - time.monotonic())

    async def _render(self, messages: list[OutboxMessage]) -> list[Batch]:
        """Render in batches; if that fails (a template error), render one by one so a bad
        message fails alone."""
        try:
            return render_batches(messages, self.settings)
        except Exception:
            logger.exception("rendering a batch failed; rendering its messages one by one")
        batches = []
        for message in messages:
            try:
                batches.extend(render_batches([message], self.settings))
            except Exception as error:
                async with transaction(self.session_factory) as session:
                    await mark_attempt_failed(
                        session, [message], f"rendering failed: {error!r}", jitter=self.jitter()
                    )
        return batches

    async def _deliver(self, batch: Batch, by_id: dict[int, OutboxMessage]) -> int:
        failure: Exception | None = None
        async with self._requests:
            if self._stopping or self._paused():
                await self._release(batch, max(0.0, self._resume_at - time.monotonic()))
                return 0
            try:
                provider_ids = await self.backend.send(batch)
            except Exception as error:
                failure = error
        if failure is None:
            async with transaction(self.session_factory) as session:
                await mark_sent(session, provider_ids)
            return len(provider_ids)
        if isinstance(failure, Rejected):
            return await self._settle_rejection(batch, by_id, failure)
        if not isinstance(failure, TemporaryFailure):
            # Not a provider answer (a bug, a broken connection): retry with backoff.
            failure = TemporaryFailure(repr(failure))
        await self._retry_later(batch, by_id, failure)
        return 0

    async def _retry_later(
        self, batch: Batch, by_id: dict[int, OutboxMessage], failure: TemporaryFailure
    ) -> None:
        if failure.rate_limited:
            # Not the messages' fault: no attempt counted, and the whole worker waits.
            pause = failure.retry_after
            if pause is None:
                pause = DEFAULT_RATE_LIMIT_PAUSE
            pause += pause * 0.1 * self.jitter()
            self._resume_at = max(self._resume_at, time.monotonic() + pause)
            logger.warning("provider rate limit: pausing sending for %.1f s", pause)
            await self._release(batch, pause)
            return
        logger.warning("sending %d message(s) failed: %s", len(batch.recipients), failure.detail)
        not_before = None if failure.retry_after is None else timedelta(seconds=failure.retry_after)
        async with transaction(self.session_factory) as session:
            await mark_attempt_failed(
                session,
                [by_id[outbox_id] for outbox_id in batch.outbox_ids],
                failure.detail,
                jitter=self.jitter(),
                not_before=not_before,
            )

    async def _settle_rejection(
        self, batch: Batch, by_id: dict[int, OutboxMessage], rejection: Rejected
    ) -> int:
        """A refusal that names some recipients fails those and sends the others again;
        any other refusal fails the batch."""
        named = {
            batch.recipients[i].outbox_id
            for i in rejection.recipient_indexes
            if 0 <= i < len(batch.recipients)
        }
        rest = [r for r in batch.recipients if r.outbox_id not in named]
        failed = sorted(named) if named and rest else batch.outbox_ids
        logger.warning("provider refused %d message(s): %s", len(failed), rejection.detail)
        async with transaction(self.session_factory) as session:
            await mark_failed(session, failed, rejection.detail)
        if named and rest:
            return await self._deliver(batch.with_recipients(rest), by_id)
        return 0

    async def _release(self, batch: Batch, after_seconds: float) -> None:
        async with transaction(self.session_factory) as session:
            await release(session, batch.outbox_ids, timedelta(seconds=after_seconds))
