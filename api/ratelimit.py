"""Per-client rate limits, shared through Redis when configured, in-process otherwise;
and the set of limits on signing and writing letters."""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import lru_cache

from limits import RateLimitItem, parse_many
from limits.aio.storage import Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string

from campaign.config import Settings

logger = logging.getLogger(__name__)


class RateLimit:
    """Every window of the limit ("20/hour;100/day") must have room for a hit to pass."""

    def __init__(self, spec: str, redis_url: str | None = None) -> None:
        self._items: list[RateLimitItem] = parse_many(spec)
        # Two counters per window approximate a moving window at a fixed cost per hit.
        self._limiter: SlidingWindowCounterRateLimiter | LocalSlidingWindows
        if redis_url:
            storage: Storage = storage_from_string("async+" + redis_url)  # type: ignore[assignment]
            self._limiter = SlidingWindowCounterRateLimiter(storage)
        else:
            self._limiter = LocalSlidingWindows()

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

    async def allows(self, *identifiers: str) -> bool:
        """Whether a hit would pass now, counting nothing."""
        try:
            for item in self._items:
                if not await self._limiter.test(item, *identifiers):
                    return False
        except Exception as error:
            logger.warning("rate limit storage unavailable: %s", type(error).__name__)
        return True


class LocalSlidingWindows:
    """The sliding window counter of `limits` (its SlidingWindowCounterRateLimiter over
    MemoryStorage), for one process without Redis, in plain dictionaries: the count of
    the current fixed window plus the previous window's, weighted by how much of it the
    sliding window still covers. The library's storage takes a lock and several
    look-ups per hit, which made the three limits of a signature a sixth of its cost.
    Windows that ended are dropped as their keys are met again, and all at once from
    time to time, so memory stays bounded by the keys seen in the last two windows."""

    _SWEEP_EVERY_S = 60.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        # key -> [window number, previous window's count, current window's count]
        self._windows: dict[str, list[int]] = {}
        self._periods: dict[str, float] = {}
        self._now = clock
        self._next_sweep = self._now() + self._SWEEP_EVERY_S

    async def hit(self, item: RateLimitItem, *identifiers: str) -> bool:
        return self._hit(item, identifiers, count=True)

    async def test(self, item: RateLimitItem, *identifiers: str) -> bool:
        return self._hit(item, identifiers, count=False)

    def _hit(self, item: RateLimitItem, identifiers: tuple[str, ...], *, count: bool) -> bool:
        now = self._now()
        if now >= self._next_sweep:
            self._sweep(now)
        period = float(item.get_expiry())
        key = item.key_for(*identifiers)
        number = int(now // period)
        window = self._windows.get(key)
        if window is None or window[0] < number - 1:
            window = [number, 0, 0]
        elif window[0] == number - 1:
            window = [number, window[2], 0]
        previous_weight = (period - (now - number * period)) / period
        if window[1] * previous_weight + window[2] + 1 > item.amount:
            self._windows[key] = window
            self._periods[key] = period
            return False
        if count:
            window[2] += 1
        self._windows[key] = window
        self._periods[key] = period
        return True

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + self._SWEEP_EVERY_S
        ended = [
            key
            for key, (number, _, _) in self._windows.items()
            if number < int(now // self._periods[key]) - 1
        ]
        for key in ended:
            del self._windows[key]
            del self._periods[key]


class RedisProbe:
    """Whether the Redis that holds the limits answers: readiness asks it (a PING on
    the same kind of connection the limits use)."""

    def __init__(self, redis_url: str) -> None:
        self._storage: Storage = storage_from_string("async+" + redis_url)  # type: ignore[assignment]

    async def answers(self) -> bool:
        return await self._storage.check()


@lru_cache(maxsize=4096)
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


class SigningLimits:
    """What signing and writing letters are limited by: the client's network (across
    campaigns), the campaign (across networks) and, for signatures, the email's domain
    within the campaign. Only what was accepted is counted: a refused request (a typo,
    a closed campaign) uses none of it."""

    def __init__(self, settings: Settings) -> None:
        redis_url = settings.redis_url
        self.per_network = RateLimit(settings.sign_rate_limit, redis_url)
        self.per_campaign = RateLimit(settings.sign_campaign_rate_limit, redis_url)
        self.per_domain = RateLimit(settings.sign_domain_rate_limit, redis_url)

    async def over_limit(
        self, *, ip_address: str | None, campaign_id: int, email_domain: str
    ) -> bool:
        """Count one accepted signature; True if it is over any limit. Every limit is
        counted every time, with keys that are never the address, so the calls made are
        the same whoever signs."""
        campaign = str(campaign_id)
        # No client address (no peer): nothing to key a network by, so no network limit.
        within_network = ip_address is None or await self.per_network.hit(
            "sign", network_key(ip_address)
        )
        within_campaign = await self.per_campaign.hit("sign-campaign", campaign)
        within_domain = await self.per_domain.hit("sign-domain", campaign, email_domain)
        return not (within_network and within_campaign and within_domain)

    @asynccontextmanager
    async def for_letter(self, ip_address: str | None, campaign_id: int) -> AsyncIterator[bool]:
        """Whether a letter would be over the limits; it is counted on leaving the block,
        and only if the block raised nothing. (Writing a letter refuses some input only
        once it has looked the officials up, so the limits cannot wait for it as they do
        for signatures.) Letters count apart from signatures."""
        network = network_key(ip_address) if ip_address is not None else None
        campaign = str(campaign_id)
        within = (network is None or await self.per_network.allows("letter", network)) and (
            await self.per_campaign.allows("letter-campaign", campaign)
        )
        yield not within
        if network is not None:
            await self.per_network.hit("letter", network)
        await self.per_campaign.hit("letter-campaign", campaign)
