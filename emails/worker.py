"""The outbox worker: claims due messages, renders them in batches, hands each batch to
the backend, and records the outcome. Runs in `campaign serve` on the embedded default,
or alone (`campaign worker`), as many as you like on PostgreSQL.

What it promises: nothing is lost, and no message is handed over twice where the
provider can say what it got. Before a hand-over the batch is recorded as `sending`
with a new attempt id, which the provider is given too; the outcome is recorded after
(retried for up to a lease while the database is unreachable). A batch left `sending`
(its worker died, or the database stayed away) is looked into once its lease runs out:
the backend is asked which of its messages it got in that attempt. Those are recorded as
sent; the others go again. The file backend and SendGrid with its Email Activity add-on
can tell (the file backend per file, so a worker killed halfway through a batch resends
only the files it had not written). A backend that cannot tell (the console, SendGrid
without the add-on) gets the batch again only after `worker_unknown_outcome_wait_seconds`,
and each of its messages says in `last_error` that it may have been sent twice. A batch
whose own worker, alive but slower than its lease, is still sending when another asks
could go twice, so the lease must be longer than the backend's timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import timedelta
from typing import TypeVar

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.config import Settings
from campaign.db import database_unavailable, transaction, utcnow
from campaign.followups.service import follow_up_due_letters
from campaign.letters.delivery import send_due_digests
from campaign.mailings.enqueue import (
    discard_unsent,
    enqueue_next_chunk,
    hold_cancelled,
    mailings_to_enqueue,
    start_due_mailings,
)
from campaign.mailings.service import mailing_contents
from campaign.metrics.rollup import update_rollups
from campaign.observability.metrics import (
    WORKER_BATCH_FAILURES,
    WORKER_BATCHES_SENT,
    WORKER_MESSAGES_SENT,
)
from campaign.osdi.paging import forget_old_marks
from campaign.outbox.models import MAILING_KINDS, OutboxMessage, Priority
from campaign.outbox.service import (
    claim_due_messages,
    claim_unsettled_attempts,
    hold_suppressed,
    leave_outcome_unknown,
    mark_attempt_failed,
    mark_failed,
    mark_sending,
    mark_sent,
    new_attempt_id,
    release,
    settle_unsettled_attempt,
)
from campaign.privacy.retention import scrub_expired_data
from campaign.responses.service import with_response_details
from campaign.responses.thresholds import notify_reached_thresholds
from campaign.signatures.invalidations import run_invalidations
from campaign.signatures.submissions import resolve_due_submissions
from campaign.webhooks.service import deliver_due, forget_old_feed
from emails.backends import EmailBackend, Rejected, TemporaryFailure, backend_from_settings
from emails.render import Batch, MailingContents, render_batches

logger = logging.getLogger(__name__)

# Provider requests in flight at once per worker. A pass claims up to this many
# batches of a mailing's copies (but one batch of everything else): what a pass costs
# besides sending (its claim, the suppression and cancellation checks, the mailing's
# contents) is shared by four times the copies, and their requests overlap each other's
# waits on the database. Transactional mail keeps passes short, so a confirmation that
# arrives meanwhile waits for one pass at most, and copies never hold every request
# slot: one is kept for the first lane, so its batch never queues behind theirs.
SEND_CONCURRENCY = 4
# How often a worker looks for finished days of letters to bundle into digests.
DIGEST_CHECK_SECONDS = 60.0
# How often a worker empties what is past its retention period (campaign/privacy): the
# periods are counted in days, so an hour late is nothing, and each pass reads the
# signatures table.
RETENTION_PASS_SECONDS = 3600.0
# How often a worker looks for hand-overs left unsettled, at most: they only come from
# a worker that died or lost the database, and wait out a lease before they are looked
# at, so a tenth of a lease (and no more than this) adds little to that. Looking on
# every pass cost a busy worker an index scan over every batch it had just recorded
# (their `sending` versions, dead but not yet vacuumed).
UNSETTLED_CHECK_SECONDS = 10.0
# How long to hold off after a rate limit that didn't say for how long.
DEFAULT_RATE_LIMIT_PAUSE = 10.0
# Recording an outcome while the database is unreachable: the first wait, doubled each
# time up to the cap, for at most a lease (then the lease's expiry settles it).
FIRST_RECORDING_RETRY = 0.05
MAX_RECORDING_RETRY = 5.0

_T = TypeVar("_T")


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
        self.unknown_outcome_wait = timedelta(seconds=settings.worker_unknown_outcome_wait_seconds)
        self._requests = asyncio.Semaphore(SEND_CONCURRENCY)
        self._bulk_requests = asyncio.Semaphore(SEND_CONCURRENCY - 1)
        self._resume_at = 0.0  # monotonic time; set when the provider asks us to wait
        self._stopping = False
        self._next_unsettled_check = 0.0  # monotonic time
        # Mailings go at `mailing_rate_per_second` at most: a bucket holding up to a
        # second's worth of sends, refilled as time passes.
        self._bulk_tokens = 0.0
        self._bulk_refilled = time.monotonic()

    async def send_due_messages(self) -> int:
        """One pass: claim (committed, so the claim holds), send, record. Returns how many
        messages were handed over."""
        claimed = await self._claim_and_render()
        if claimed is None:
            return 0
        batches, by_id = claimed
        sent = await asyncio.gather(*(self._deliver(batch, by_id) for batch in batches))
        return sum(sent)

    async def _claim_and_render(
        self, *, take_bulk: bool = True
    ) -> tuple[list[Batch], dict[int, OutboxMessage]] | None:
        """The first half of a pass: the due messages claimed (committed, so the claim
        holds), less those held back, rendered into batches; None if nothing is due.
        Without `take_bulk`, only the first lane's."""
        # Signatures submitted since the last pass first, so their emails go out in this one.
        await resolve_due_submissions(self.session_factory, self.settings)
        if self._paused():
            return None
        if time.monotonic() >= self._next_unsettled_check:
            await self._settle_unsettled_attempts()
            self._next_unsettled_check = time.monotonic() + min(
                UNSETTLED_CHECK_SECONDS, self.lease.total_seconds() / 10
            )
        async with transaction(self.session_factory) as session:
            messages = await claim_due_messages(
                session,
                self.settings.worker_batch_size,
                self.lease,
                bulk_limit=self._bulk_allowance() if take_bulk else 0,
                bulk_size=self.settings.worker_batch_size * SEND_CONCURRENCY,
            )
            self._spend_bulk(sum(1 for m in messages if m.priority == Priority.BULK))
            messages = await hold_suppressed(
                session, messages, address_key=self.settings.secret_key.get_secret_value()
            )
            messages = await hold_cancelled(session, messages)
        if not messages:
            return None
        by_id = {message.id: message for message in messages}
        return await self._render(messages), by_id

    def _bulk_allowance(self) -> int | None:
        rate = self.settings.mailing_rate_per_second
        if rate <= 0:
            return None
        now = time.monotonic()
        capacity = max(rate, 1.0)
        self._bulk_tokens = min(capacity, self._bulk_tokens + rate * (now - self._bulk_refilled))
        self._bulk_refilled = now
        return int(self._bulk_tokens)

    def _spend_bulk(self, sent: int) -> None:
        self._bulk_tokens = max(0.0, self._bulk_tokens - sent)

    async def enqueue_mailings(self) -> int:
        """Start the mailings that are due and write their recipients into the outbox,
        a chunk per transaction, until none has any left; discard what cancelled ones
        had not sent. Returns how many recipients were written."""
        size = self.settings.mailing_chunk_size
        async with transaction(self.session_factory) as session:
            await start_due_mailings(session)
            mailing_ids = await mailings_to_enqueue(session)
        written = 0
        for mailing_id in mailing_ids:
            while not self._stopping:
                async with transaction(self.session_factory) as session:
                    chunk = await enqueue_next_chunk(
                        session,
                        mailing_id,
                        size,
                        address_key=self.settings.secret_key.get_secret_value(),
                    )
                if chunk is None:
                    break
                written += chunk
        while not self._stopping:
            async with transaction(self.session_factory) as session:
                discarded = await discard_unsent(session, size)
            if discarded == 0:
                break
        return written

    async def _enqueue_mailings_until(self, stop: asyncio.Event) -> None:
        """Beside the sending loop, so a mailing's million recipients are written while
        the first of them are already going out."""
        while not stop.is_set():
            try:
                await self.enqueue_mailings()
            except Exception:
                logger.exception("enqueueing mailings failed; trying again later")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.settings.worker_poll_seconds)

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set: send what is due, then wait a poll interval (or less).
        When it is set, batches not yet handed over go back to the queue unsent.

        Sending has this loop to itself. Writing mailings' recipients and the
        housekeeping (digests, rollups, invalidations, webhooks) run beside it, so that
        none of them, however long a pass takes, holds up a confirmation: a first
        metrics pass over a million signatures once did, for twenty seconds."""
        watcher = asyncio.create_task(self._watch(stop))
        enqueuer = asyncio.create_task(self._enqueue_mailings_until(stop))
        housekeeper = asyncio.create_task(self._keep_house_until(stop))
        # The next pass is claimed and rendered while the last one's batches are being
        # handed over and recorded, so the worker's own work overlaps its waits on the
        # provider and the database. With SEND_CONCURRENCY batches or more still
        # waiting, a pass claims only the first lane: copies are not claimed further
        # ahead, and a confirmation is not held up behind them.
        deliveries: set[asyncio.Task[int]] = set()
        try:
            while not stop.is_set():
                backlog = len(deliveries) >= SEND_CONCURRENCY
                try:
                    claimed = await self._claim_and_render(take_bulk=not backlog)
                except Exception:
                    logger.exception("outbox pass failed; retrying after the poll interval")
                    claimed = None
                if claimed is not None:
                    batches, by_id = claimed
                    deliveries.update(
                        asyncio.create_task(self._deliver(batch, by_id)) for batch in batches
                    )
                finished = {task for task in deliveries if task.done()}
                deliveries -= finished
                _log_failed_deliveries(finished)
                if claimed is None or backlog or self._paused():
                    # Until a delivery ends (room for copies again), the poll interval
                    # passes (a confirmation may be due), or the worker is to stop.
                    stopping = asyncio.ensure_future(stop.wait())
                    done, _ = await asyncio.wait(
                        {*deliveries, stopping},
                        timeout=self._idle_wait(),
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    stopping.cancel()
                    deliveries -= done
                    _log_failed_deliveries(done - {stopping})
        finally:
            if deliveries:
                done, _ = await asyncio.wait(deliveries)
                _log_failed_deliveries(done)
            watcher.cancel()
            await enqueuer
            await housekeeper

    async def _keep_house_until(self, stop: asyncio.Event) -> None:
        webhooks = httpx.AsyncClient(follow_redirects=False)
        next_digest_check = 0.0
        next_metrics_pass = 0.0
        next_retention_pass = 0.0
        try:
            while not stop.is_set():
                if time.monotonic() >= next_digest_check:
                    await self._queue_due_digests()
                    await self._queue_due_followups()
                    await self._forget_old_rows()
                    await self._notify_reached_thresholds()
                    next_digest_check = time.monotonic() + DIGEST_CHECK_SECONDS
                if time.monotonic() >= next_metrics_pass:
                    await self._update_metrics()
                    next_metrics_pass = time.monotonic() + self.settings.metrics_interval_seconds
                if time.monotonic() >= next_retention_pass:
                    await self._scrub_expired_data()
                    next_retention_pass = time.monotonic() + RETENTION_PASS_SECONDS
                await self._run_invalidations()
                await self._deliver_webhooks(webhooks)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.settings.worker_poll_seconds)
        finally:
            await webhooks.aclose()

    async def _run_invalidations(self) -> None:
        """Bulk invalidations staff confirmed: batches for a moment, then email again."""
        try:
            await run_invalidations(self.session_factory)
        except Exception:
            logger.exception("running signature invalidations failed; trying again later")

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

    async def _notify_reached_thresholds(self) -> None:
        """Staff are told when a petition reaches one of its thresholds, once each
        (campaign/responses/thresholds.py)."""
        try:
            async with transaction(self.session_factory) as session:
                await notify_reached_thresholds(
                    session, now=utcnow(), public_url=self.settings.public_url
                )
        except Exception:
            logger.exception("telling staff about reached thresholds failed; trying later")

    async def _queue_due_followups(self) -> None:
        """Ask activists whether the officials replied, once per letter (campaign/followups)."""
        try:
            queued = await follow_up_due_letters(self.session_factory, self.settings, now=utcnow())
        except Exception:
            logger.exception("queueing letter follow-ups failed; trying again later")
            return
        if queued:
            logger.info("followed up %d letter(s)", queued)

    async def _deliver_webhooks(self, client: httpx.AsyncClient) -> None:
        """A batch to each webhook endpoint that is due (campaign/webhooks)."""
        try:
            await deliver_due(self.session_factory, self.settings, client)
        except Exception:
            logger.exception("delivering webhooks failed; trying again later")

    async def _forget_old_rows(self) -> None:
        """Where OSDI listings' pages start is kept for a walk, and the webhook feed for
        its replay window, not for ever."""
        try:
            async with transaction(self.session_factory) as session:
                await forget_old_marks(session)
                await forget_old_feed(session)
        except Exception:
            logger.exception("forgetting old page marks and feed events failed; trying later")

    async def _scrub_expired_data(self) -> None:
        """IP addresses, user agents and letter texts past their retention period."""
        try:
            await scrub_expired_data(self.session_factory, self.settings, now=utcnow())
        except Exception:
            logger.exception("scrubbing data past its retention period failed; trying later")

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
        mailing_ids = {
            int(m.context["mailing_id"])
            for m in messages
            if m.kind in MAILING_KINDS and str(m.context.get("mailing_id", "")).isdigit()
        }
        contents: MailingContents = {}
        if mailing_ids:
            async with self.session_factory() as session:
                contents = await with_response_details(
                    session, await mailing_contents(session, mailing_ids), self.settings.public_url
                )
        try:
            return render_batches(messages, self.settings, contents)
        except Exception:
            logger.exception("rendering a batch failed; rendering its messages one by one")
        batches = []
        for message in messages:
            try:
                batches.extend(render_batches([message], self.settings, contents))
            except Exception as error:
                async with transaction(self.session_factory) as session:
                    await mark_attempt_failed(
                        session,
                        [message],
                        f"rendering failed: {error!r}",
                        jitter=self.jitter(),
                        handed_over=False,
                    )
        return batches

    async def _deliver(self, batch: Batch, by_id: dict[int, OutboxMessage]) -> int:
        bulk = by_id[batch.outbox_ids[0]].priority == Priority.BULK
        async with self._bulk_requests if bulk else contextlib.nullcontext():
            return await self._deliver_in_a_slot(batch, by_id)

    async def _deliver_in_a_slot(self, batch: Batch, by_id: dict[int, OutboxMessage]) -> int:
        failure: Exception | None = None
        async with self._requests:
            if self._stopping or self._paused():
                await self._release(batch, max(0.0, self._resume_at - time.monotonic()))
                return 0
            attempt_id = new_attempt_id()
            try:
                async with transaction(self.session_factory) as session:
                    going = await mark_sending(
                        session, [by_id[i] for i in batch.outbox_ids], attempt_id, self.lease
                    )
            except Exception:
                # Nothing handed over: the claim's lease brings the batch back.
                logger.exception("recording a batch as sending failed; it is not sent")
                return 0
            if len(going) < len(batch.recipients):
                batch = batch.with_recipients([r for r in batch.recipients if r.outbox_id in going])
            if not batch.recipients:
                return 0
            try:
                provider_ids = await self.backend.send(batch, attempt_id)
            except Exception as error:
                failure = error
        if failure is None:
            await self._record_sent(provider_ids)
            WORKER_BATCHES_SENT.inc()
            WORKER_MESSAGES_SENT.labels(batch.kind).inc(len(provider_ids))
            _log_each_requested(by_id, provider_ids, "email sent")
            return len(provider_ids)
        if isinstance(failure, Rejected):
            WORKER_BATCH_FAILURES.labels("rejected").inc()
            return await self._settle_rejection(batch, by_id, failure)
        if isinstance(failure, TemporaryFailure):
            WORKER_BATCH_FAILURES.labels(
                "rate_limited" if failure.rate_limited else "temporary"
            ).inc()
            await self._retry_later(batch, by_id, failure)
            return 0
        # The provider may have it (a timeout, a connection broken mid-request, a bug):
        # the batch stays `sending`, and the backend is asked once the lease runs out.
        WORKER_BATCH_FAILURES.labels("unknown").inc()
        logger.warning("sending %d message(s): outcome unknown: %r", len(batch.recipients), failure)
        _log_each_requested(
            by_id, batch.outbox_ids, "email sending: outcome unknown", logging.WARNING
        )
        await self._record(
            leave_outcome_unknown, attempt_id, batch.outbox_ids, f"outcome unknown: {failure!r}"
        )
        return 0

    async def _record_sent(self, provider_ids: Mapping[int, str]) -> None:
        await self._record(mark_sent, provider_ids)

    async def _record(self, record: Callable[..., Awaitable[_T]], *args: object) -> _T | None:
        """Run one recording in its own transaction, again and again with backoff while the
        database is unreachable, for at most a lease; after that the batch is settled as
        any unsettled one is, by asking the backend."""
        deadline = time.monotonic() + self.lease.total_seconds()
        wait = FIRST_RECORDING_RETRY
        while True:
            try:
                async with transaction(self.session_factory) as session:
                    return await record(session, *args)
            except Exception as error:
                if not database_unavailable(error):
                    raise
                if time.monotonic() + wait > deadline:
                    logger.error("recording an outcome failed for a whole lease: %r", error)
                    return None
                logger.warning("recording an outcome failed (%r); retrying in %.2f s", error, wait)
                await asyncio.sleep(wait * (0.5 + self.jitter()))
                wait = min(wait * 2, MAX_RECORDING_RETRY)

    async def _settle_unsettled_attempts(self) -> None:
        """Hand-overs whose outcome was never recorded and whose lease ran out: ask the
        backend what it got, per attempt, and settle each."""
        async with transaction(self.session_factory) as session:
            stale = await claim_unsettled_attempts(
                session, self.settings.worker_batch_size, self.lease
            )
        by_attempt: dict[str, list[OutboxMessage]] = defaultdict(list)
        for message in stale:
            by_attempt[message.attempt_id or ""].append(message)
        for attempt_id, messages in by_attempt.items():
            try:
                accepted = await self.backend.accepted(attempt_id, [m.id for m in messages])
            except Exception as error:
                # Asked again when the lease just taken runs out.
                logger.warning("asking about attempt %s failed: %r", attempt_id, error)
                continue
            async with transaction(self.session_factory) as session:
                await settle_unsettled_attempt(
                    session,
                    attempt_id,
                    messages,
                    accepted,
                    unknown_outcome_wait=self.unknown_outcome_wait,
                    provider=self.backend.name,
                )
            if accepted is None:
                logger.warning("attempt %s: the backend cannot tell what it got", attempt_id)
            else:
                logger.info(
                    "attempt %s: %d of %d message(s) had arrived; the rest go again",
                    attempt_id,
                    len(accepted),
                    len(messages),
                )

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
        _log_each_requested(
            by_id, batch.outbox_ids, "email sending failed; will retry", logging.WARNING
        )
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
        _log_each_requested(by_id, failed, "email refused by the provider", logging.WARNING)
        async with transaction(self.session_factory) as session:
            await mark_failed(session, failed, rejection.detail)
        if named and rest:
            # Still in its bulk slot, if it is bulk: straight to a request slot.
            return await self._deliver_in_a_slot(batch.with_recipients(rest), by_id)
        return 0

    async def _release(self, batch: Batch, after_seconds: float) -> None:
        async with transaction(self.session_factory) as session:
            await release(session, batch.outbox_ids, timedelta(seconds=after_seconds))


def _log_each_requested(
    by_id: Mapping[int, OutboxMessage],
    outbox_ids: Iterable[int],
    event: str,
    level: int = logging.INFO,
) -> None:
    """A line for each message a request caused (a confirmation, a letter), naming that
    request, so the request's lines and its emails' can be read together. A mailing's
    copies, written by the worker, have no request and get only their batch's line."""
    if not logger.isEnabledFor(level):
        return
    for outbox_id in outbox_ids:
        message = by_id.get(outbox_id)
        if message is not None and message.request_id:
            logger.log(
                level,
                "%s: outbox message %d (%s)",
                event,
                message.id,
                message.kind,
                extra={
                    "outbox_id": message.id,
                    "kind": message.kind,
                    "request_id": message.request_id,
                },
            )


def _log_failed_deliveries(done: set[asyncio.Task[int]]) -> None:
    """A delivery settles its own batch's failures; one that raised anyway left the
    batch to its lease, which brings it back."""
    for task in done:
        error = task.exception()
        if error is not None:
            logger.error("delivering a batch failed: %r", error, exc_info=error)
