"""The outbox worker: claims due messages, renders them, hands them to the backend,
and records the outcome. Runs in `campaign serve` on the embedded default, or alone."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.config import Settings
from campaign.db import transaction
from campaign.outbox.service import (
    claim_due_messages,
    hold_suppressed,
    mark_attempt_failed,
    mark_sent,
)
from emails.backends import EmailBackend, backend_from_settings
from emails.render import render_message

logger = logging.getLogger(__name__)


class OutboxWorker:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        settings: Settings,
        backend: EmailBackend | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.settings = settings
        self.backend = backend or backend_from_settings(settings)

    async def send_due_messages(self) -> int:
        """One pass: claim a batch (committed, so the lease holds), send each, record each."""
        async with transaction(self.session_factory) as session:
            messages = await claim_due_messages(session, self.settings.worker_batch_size)
            messages = await hold_suppressed(session, messages)
        sent = 0
        for message in messages:
            try:
                provider_id = await self.backend.send(render_message(message, self.settings))
            except Exception as error:
                logger.warning("sending outbox message %s failed: %s", message.id, error)
                async with transaction(self.session_factory) as session:
                    await mark_attempt_failed(session, message.id, message.attempts, repr(error))
                continue
            async with transaction(self.session_factory) as session:
                await mark_sent(session, message, provider_id)
            sent += 1
        return sent

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set: send what is due, then wait a poll interval (or less)."""
        while not stop.is_set():
            try:
                sent = await self.send_due_messages()
            except Exception:
                logger.exception("outbox pass failed; retrying after the poll interval")
                sent = 0
            if sent < self.settings.worker_batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.settings.worker_poll_seconds)
