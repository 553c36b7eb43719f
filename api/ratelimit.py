"""Per-client rate limits, shared through Redis when configured, in-process otherwise."""

from __future__ import annotations

import ipaddress
import logging

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string

logger = logging.getLogger(__name__)


class RateLimit:
    """Every window of the limit ("20/hour;100/day") must have room for a hit to pass."""

    def __init__(self, spec: str, redis_url: str | None = None) -> None:
        self._items: list[RateLimitItem] = parse_many(spec)
        storage: Storage = (
            storage_from_string("async+" + redis_url)  # type: ignore[assignment]
            if redis_url
            else MemoryStorage()
        )
        # Two counters per window approximate a moving window at a fixed cost per hit.
        self._limiter = SlidingWindowCounterRateLimiter(storage)

    async def hit(self, *identifiers: str) -> bool:
        """Count one hit; True while within every window."""
        allowed = True
        try:
            for item in self._items:
                # Count in every window even once one is full, so the day window
                # still sees hits made while the hour window refused them.
                allowed = await self._limiter.hit(item, *identifiers) and allowed
        except Exception as error:
            # A limiter outage must not stop people signing; it only loses the check.
            logger.warning("rate limit storage unavailable: %s", type(error).__name__)
            return True
        return allowed


def network_key(ip: str) -> str:
    """Whose hits count together: an IPv4 address, or an IPv6 address's /64 (one home or
    one server gets a whole /64, so keying the full address would let one client take
    18 quintillion keys)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
