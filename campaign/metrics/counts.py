"""The public signature count of a campaign, from a per-process cache of a second or
two: under a surge every page load asks for the same number, and it only needs to be
about right for that long. When an entry expires, one request counts again (from the
rollups and the rows past them: current_signature_counts) and the others that arrive
meanwhile wait for its answer instead of counting too."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy.ext.asyncio import AsyncSession

from campaign.metrics.queries import current_signature_counts
from campaign.signatures.schemas import SignatureCounts


class SignatureCountCache:
    def __init__(self, ttl_seconds: float = 1.0, max_entries: int = 1000) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._entries: dict[int, tuple[float, SignatureCounts]] = {}
        self._counting: dict[int, asyncio.Future[SignatureCounts]] = {}

    async def get(self, session: AsyncSession, campaign_id: int) -> SignatureCounts:
        entry = self._entries.get(campaign_id)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        in_flight = self._counting.get(campaign_id)
        if in_flight is not None:
            return await asyncio.shield(in_flight)
        return await self._recount(session, campaign_id)

    async def _recount(self, session: AsyncSession, campaign_id: int) -> SignatureCounts:
        future: asyncio.Future[SignatureCounts] = asyncio.get_running_loop().create_future()
        self._counting[campaign_id] = future
        try:
            counts = await current_signature_counts(session, campaign_id)
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: waiters re-raise it, nobody else need
            raise
        finally:
            del self._counting[campaign_id]
        if len(self._entries) >= self.max_entries:
            self._entries.clear()  # bounded; a refill costs one count per campaign
        self._entries[campaign_id] = (time.monotonic() + self.ttl_seconds, counts)
        future.set_result(counts)
        return counts
