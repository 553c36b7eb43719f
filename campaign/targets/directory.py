"""Staff keep the target directory by hand too: list officials with filters, add one,
change one (including taking them out of use with `active`)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.errors import Conflict, InvalidInput
from campaign.targets.models import Official
from campaign.targets.schemas import OfficialRow, OfficialUpdate

# Fields every official has; a change may not clear them.
_REQUIRED_FIELDS = frozenset(
    {"external_id", "name", "title", "role", "organisation", "email", "country", "active"}
)


async def list_officials(
    session: AsyncSession,
    *,
    country: str | None = None,
    role: str | None = None,
    organisation: str | None = None,
    division_id: str | None = None,
    q: str | None = None,
    active: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Sequence[Official]:
    """Officials matching every filter given; `q` is a case-insensitive part of the
    name, title or organisation."""
    query = select(Official).order_by(Official.name, Official.id)
    exact = (
        (Official.country, country),
        (Official.role, role),
        (Official.organisation, organisation),
        (Official.division_id, division_id),
        (Official.active, active),
    )
    for column, value in exact:
        if value is not None:
            query = query.where(column == value)
    if q:
        query = query.where(
            or_(
                Official.name.icontains(q, autoescape=True),
                Official.title.icontains(q, autoescape=True),
                Official.organisation.icontains(q, autoescape=True),
            )
        )
    result = await session.scalars(query.limit(limit).offset(offset))
    return result.all()


async def add_official(session: AsyncSession, data: OfficialRow) -> Official:
    await _ensure_external_id_free(session, data.external_id)
    official = Official(**data.model_dump(), active=True)
    session.add(official)
    await _flush_or_conflict(session, data.external_id)
    return official


async def change_official(
    session: AsyncSession, official: Official, data: OfficialUpdate
) -> Official:
    changes = data.model_dump(exclude_unset=True)
    for name in sorted(_REQUIRED_FIELDS & changes.keys()):
        if changes[name] is None:
            raise InvalidInput(f"{name} cannot be removed", field=name)
    new_id = changes.get("external_id")
    if new_id is not None and new_id != official.external_id:
        await _ensure_external_id_free(session, new_id)
    for name, value in changes.items():
        setattr(official, name, value)
    await _flush_or_conflict(session, official.external_id)
    return official


async def _ensure_external_id_free(session: AsyncSession, external_id: str) -> None:
    taken = await session.scalar(select(Official.id).where(Official.external_id == external_id))
    if taken is not None:
        raise Conflict(
            f"the external id {external_id!r} belongs to official {taken}", field="external_id"
        )


async def _flush_or_conflict(session: AsyncSession, external_id: str) -> None:
    # The check above can lose a race with a concurrent import; the unique index cannot.
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as error:
        raise Conflict(
            f"the external id {external_id!r} is already used", field="external_id"
        ) from error
