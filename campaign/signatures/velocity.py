"""How fast a campaign is being signed, and by whom: signatures per minute over a window
(the last hour or the last day) grouped by address, network, email domain, country and
user agent, with the groups whose rate rose most against the window before. Staff read
it to see a flood and what its signatures have in common. It never shows an email
address, only its domain.

Each grouping is one grouped query over the two windows' rows, read from the index on
(campaign_id, created_at), answering only its top groups: the page costs the same
however many distinct addresses a flood comes from. IPv6 networks are the exception: a
/64 is not a text prefix of the addresses in it (they are written compressed), so it is
summed here from the addresses seen most, at most IPV6_ADDRESSES of them.

The expressions that say which group a signature is in (`email_domain_of`, the IPv4 /24
and the IPv6 /64) are the ones bulk invalidation matches with (invalidations.py), so a
group staff see is exactly the signatures a job with that criterion takes."""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.db import utcnow
from campaign.signatures.models import Signature


class Window(StrEnum):
    HOUR = "hour"
    DAY = "day"


WINDOW_LENGTHS = {Window.HOUR: timedelta(hours=1), Window.DAY: timedelta(days=1)}


class Grouping(StrEnum):
    IP = "ip"
    IPV4_24 = "ipv4_24"
    IPV6_64 = "ipv6_64"
    EMAIL_DOMAIN = "email_domain"
    COUNTRY = "country"
    USER_AGENT = "user_agent"


# The invalidation criterion that takes exactly a group's signatures.
CRITERION_OF = {
    Grouping.IP: "ip_address",
    Grouping.IPV4_24: "ip_prefix",
    Grouping.IPV6_64: "ip_prefix",
    Grouping.EMAIL_DOMAIN: "email_domain",
    Grouping.COUNTRY: "country",
    Grouping.USER_AGENT: "user_agent",
}

# Groups shown per grouping, and movers shown in all.
TOP_GROUPS = 10
TOP_MOVERS = 10
# The IPv6 addresses read to sum their /64 networks (see the module's docstring).
IPV6_ADDRESSES = 5000


class _Rates:
    """Per-minute rates of a window and the one before it, for the dataclasses below."""

    signatures: int  # in the window
    previous: int  # in the window before it
    minutes: int

    @property
    def per_minute(self) -> float:
        return self.signatures / self.minutes

    @property
    def previous_per_minute(self) -> float:
        return self.previous / self.minutes


@dataclass(frozen=True)
class VelocityGroup(_Rates):
    grouping: Grouping
    key: str  # as shown, and as the invalidation criterion takes it
    signatures: int
    previous: int
    minutes: int

    @property
    def rise(self) -> int:
        return self.signatures - self.previous

    @property
    def criterion(self) -> str:
        return CRITERION_OF[self.grouping]


@dataclass(frozen=True)
class Velocity(_Rates):
    window: Window
    since: datetime
    until: datetime
    minutes: int
    signatures: int
    previous: int
    groups: dict[Grouping, list[VelocityGroup]]
    movers: list[VelocityGroup]
    # False when more IPv6 addresses signed than were read to sum their networks.
    ipv6_complete: bool


def email_domain_of(session: AsyncSession) -> Any:
    """The domain of a signature's address, in lower case (addresses are validated, so
    there is exactly one @)."""
    email = func.lower(Signature.email)
    if session.get_bind().dialect.name == "postgresql":
        return func.split_part(email, "@", 2)
    return func.substr(email, func.instr(email, "@") + 1)


def is_ipv6() -> ColumnElement[bool]:
    return Signature.ip_address.like("%:%")


def is_ipv4() -> ColumnElement[bool]:
    return Signature.ip_address.like("%.%") & Signature.ip_address.not_like("%:%")


def ipv4_network_start() -> Any:
    """An IPv4 address without its last number ("203.0.113."): its /24, as text."""
    return func.rtrim(Signature.ip_address, "0123456789")


def ipv4_network_label(start: str) -> str:
    return f"{start}0/24"


def ipv6_network(address: str | None) -> ipaddress.IPv6Network | None:
    """The /64 an IPv6 address is in; None for anything else."""
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        return None
    if not isinstance(parsed, ipaddress.IPv6Address):
        return None
    return ipaddress.IPv6Network((parsed, 64), strict=False)


async def signing_velocity(
    session: AsyncSession, campaign_id: int, window: Window, *, now: datetime | None = None
) -> Velocity:
    until = now or utcnow()
    length = WINDOW_LENGTHS[window]
    since = until - length
    minutes = int(length.total_seconds() // 60)
    span = _Span(campaign_id, since - length, since, until, minutes)
    signatures, previous = await _totals(session, span)
    groups: dict[Grouping, list[VelocityGroup]] = {}
    movers: list[VelocityGroup] = []
    keyed = {
        Grouping.IP: (Signature.ip_address, ()),
        Grouping.IPV4_24: (ipv4_network_start(), (is_ipv4(),)),
        Grouping.EMAIL_DOMAIN: (email_domain_of(session), ()),
        Grouping.COUNTRY: (Signature.country, ()),
        Grouping.USER_AGENT: (Signature.user_agent, ()),
    }
    for grouping, (key, where) in keyed.items():
        groups[grouping] = await _top_groups(session, span, grouping, key, where, by_rise=False)
        movers += await _top_groups(session, span, grouping, key, where, by_rise=True)
    ipv6_groups, ipv6_complete = await _ipv6_networks(session, span)
    groups[Grouping.IPV6_64] = sorted(ipv6_groups, key=_by_rate)[:TOP_GROUPS]
    movers += ipv6_groups
    return Velocity(
        window=window,
        since=since,
        until=until,
        minutes=minutes,
        signatures=signatures,
        previous=previous,
        groups={grouping: groups[grouping] for grouping in Grouping},
        movers=sorted((g for g in movers if g.rise > 0), key=_by_rise)[:TOP_MOVERS],
        ipv6_complete=ipv6_complete,
    )


@dataclass(frozen=True)
class _Span:
    campaign_id: int
    previous_since: datetime
    since: datetime
    until: datetime
    minutes: int

    def rows(self) -> tuple[ColumnElement[bool], ...]:
        return (
            Signature.campaign_id == self.campaign_id,
            Signature.created_at >= self.previous_since,
            Signature.created_at < self.until,
        )

    def counts(self) -> tuple[Any, Any]:
        """Signatures in the window, and in the window before it."""
        current = func.sum(case((Signature.created_at >= self.since, 1), else_=0))
        return current, func.count() - current


async def _totals(session: AsyncSession, span: _Span) -> tuple[int, int]:
    current, previous = span.counts()
    row = (await session.execute(select(current, previous).where(*span.rows()))).one()
    return int(row[0] or 0), int(row[1] or 0)


async def _top_groups(
    session: AsyncSession,
    span: _Span,
    grouping: Grouping,
    key: Any,
    where: tuple[ColumnElement[bool], ...],
    *,
    by_rise: bool,
) -> list[VelocityGroup]:
    current, previous = span.counts()
    order = (current - previous) if by_rise else current
    rows = await session.execute(
        select(key, current, previous)
        .where(*span.rows(), key.is_not(None), key != "", *where)
        .group_by(key)
        .order_by(order.desc(), key)
        .limit(TOP_GROUPS)
    )
    found = []
    for value, signatures, before in rows:
        label = ipv4_network_label(value) if grouping == Grouping.IPV4_24 else str(value)
        found.append(VelocityGroup(grouping, label, int(signatures), int(before), span.minutes))
    return found


async def _ipv6_networks(session: AsyncSession, span: _Span) -> tuple[list[VelocityGroup], bool]:
    current, previous = span.counts()
    rows = (
        await session.execute(
            select(Signature.ip_address, current, previous)
            .where(*span.rows(), is_ipv6())
            .group_by(Signature.ip_address)
            .order_by(func.count().desc(), Signature.ip_address)
            .limit(IPV6_ADDRESSES + 1)
        )
    ).all()
    complete = len(rows) <= IPV6_ADDRESSES
    sums: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0])
    for address, signatures, before in rows[:IPV6_ADDRESSES]:
        network = ipv6_network(address)
        if network is not None:
            sums[str(network)][0] += int(signatures)
            sums[str(network)][1] += int(before)
    groups = [
        VelocityGroup(Grouping.IPV6_64, network, signatures, before, span.minutes)
        for network, (signatures, before) in sums.items()
    ]
    return groups, complete


def _by_rate(group: VelocityGroup) -> tuple[int, str]:
    return -group.signatures, group.key


def _by_rise(group: VelocityGroup) -> tuple[int, int, str]:
    return -group.rise, -group.signatures, group.key
