"""Finding officials: by id, by role in a country, or by the divisions a postcode is in."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.errors import NotFound
from campaign.targets.models import Official, PostcodeDivision

_NOT_POSTCODE = re.compile(r"[^0-9A-Z]")


def normalise_postcode(postcode: str) -> str:
    """Upper case, letters and digits only: "sw1a 1aa", "SW1A1AA" and "SW1A-1AA" agree."""
    return _NOT_POSTCODE.sub("", postcode.upper())


async def divisions_of_postcode(session: AsyncSession, country: str, postcode: str) -> list[str]:
    result = await session.scalars(
        select(PostcodeDivision.division_id)
        .where(
            PostcodeDivision.country == country,
            PostcodeDivision.postcode == normalise_postcode(postcode),
        )
        .order_by(PostcodeDivision.division_id)
    )
    return list(result)


async def officials_for_divisions(
    session: AsyncSession, country: str, organisation: str, division_ids: Sequence[str]
) -> list[Official]:
    if not division_ids:
        return []
    result = await session.scalars(
        select(Official)
        .where(
            Official.country == country,
            Official.organisation == organisation,
            Official.division_id.in_(division_ids),
            Official.active.is_(True),
        )
        .order_by(Official.name, Official.id)
    )
    return list(result)


async def officials_with_role(session: AsyncSession, country: str, role: str) -> list[Official]:
    result = await session.scalars(
        select(Official)
        .where(Official.country == country, Official.role == role, Official.active.is_(True))
        .order_by(Official.name, Official.id)
    )
    return list(result)


async def officials_by_id(session: AsyncSession, official_ids: Sequence[int]) -> list[Official]:
    result = await session.scalars(
        select(Official)
        .where(Official.id.in_(official_ids), Official.active.is_(True))
        .order_by(Official.name, Official.id)
    )
    return list(result)


async def get_official(session: AsyncSession, official_id: int) -> Official:
    official = await session.get(Official, official_id)
    if official is None:
        raise NotFound("no such official", field="official_id")
    return official


async def officials_per_role(session: AsyncSession, roles: Sequence[str]) -> dict[str, int]:
    """How many active officials hold each of these roles, in any country; roles no one
    holds are left out."""
    if not roles:
        return {}
    rows = await session.execute(
        select(Official.role, func.count())
        .where(Official.role.in_(roles), Official.active.is_(True))
        .group_by(Official.role)
    )
    return {role: int(count) for role, count in rows.all()}


async def officials_of_organisation(session: AsyncSession, organisation: str) -> list[Official]:
    """The active officials of a body, named in any case ("the foreign office")."""
    result = await session.scalars(
        select(Official)
        .where(
            func.lower(Official.organisation) == organisation.strip().lower(),
            Official.active.is_(True),
        )
        .order_by(Official.name, Official.id)
    )
    return list(result)
