"""A short-lived, per-process cache of what signing needs to know about a campaign.

Signing is the hot path: under a surge every request names the same campaign, and
loading it each time costs a few queries and ORM objects (the campaign, its language
versions and their consent texts). A few seconds of staleness is
harmless because the decisive fact, whether the campaign is still open, is checked
again by the database in the signing transaction itself."""

from __future__ import annotations

import time

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.campaigns.service import get_public_campaign
from campaign.campaigns.signable import SignableCampaign
from campaign.campaigns.versions import consent_texts_by_version, list_versions


class SignableCampaignCache:
    def __init__(self, ttl_seconds: float = 2.0, max_entries: int = 1000) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, SignableCampaign]] = {}

    def fresh(self, slug: str) -> SignableCampaign | None:
        """The cached campaign if it is fresh enough, without touching the database."""
        entry = self._entries.get(slug)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        return None

    async def get_or_load(
        self, session_factory: async_sessionmaker[AsyncSession], slug: str
    ) -> SignableCampaign:
        """As get, in a session of its own that is closed before this returns: signing
        holds no session while its submission is written (on SQLite a reading session
        would hold the one write lock against the writer)."""
        campaign = self.fresh(slug)
        if campaign is not None:
            return campaign
        async with session_factory() as session:
            return await self.get(session, slug)

    async def get(self, session: AsyncSession, slug: str) -> SignableCampaign:
        now = time.monotonic()
        entry = self._entries.get(slug)
        if entry is not None and entry[0] > now:
            return entry[1]
        found = await get_public_campaign(session, slug)
        versions = await list_versions(session, found.id)
        consent_texts = await consent_texts_by_version(session, found, versions)
        campaign = SignableCampaign.of(found, consent_texts)
        if len(self._entries) >= self.max_entries:
            self._entries.clear()  # crude, but bounded; a refill costs one query per slug
        self._entries[slug] = (now + self.ttl_seconds, campaign)
        return campaign
