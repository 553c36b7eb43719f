"""Tags and taggings: find or make a tag by name, put it on people and take it off."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from campaign.db import insert_for, utcnow
from campaign.errors import InvalidInput, NotFound
from campaign.tags.models import TAG_NAME_LENGTH, Tag, Tagging


def normalise_tag_name(name: str) -> str:
    """Trimmed, inner spaces collapsed, case folded: the key that makes a tag one tag."""
    return " ".join(name.split()).casefold()


def clean_tag_name(name: str, *, field: str = "name") -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidInput("a tag needs a name", field=field)
    if len(cleaned) > TAG_NAME_LENGTH or any(ord(c) < 32 for c in cleaned):
        raise InvalidInput(
            f"a tag's name is at most {TAG_NAME_LENGTH} printable characters", field=field
        )
    return cleaned


async def find_or_create_tag(session: AsyncSession, name: str, *, field: str = "name") -> Tag:
    """The tag with this name (whatever its case and spacing), made if there is none.
    Two requests making the same tag at once end with one: the unique key decides."""
    cleaned = clean_tag_name(name, field=field)
    now = utcnow()
    table = Tag.__table__
    await session.execute(
        insert_for(session, table)
        .values(
            name=cleaned,
            name_normalised=normalise_tag_name(cleaned),
            created_at=now,
            modified_at=now,
        )
        .on_conflict_do_nothing(index_elements=["name_normalised"])
    )
    tag = await session.scalar(
        select(Tag).where(Tag.name_normalised == normalise_tag_name(cleaned))
    )
    assert tag is not None  # just inserted, or there before
    return tag


async def get_tag(session: AsyncSession, tag_id: int) -> Tag:
    tag = await session.get(Tag, tag_id)
    if tag is None:
        raise NotFound("no such tag", field="tag_id")
    return tag


async def tag_person(session: AsyncSession, tag: Tag, person_id: int) -> Tagging:
    """Put the tag on the person; doing it again changes nothing and returns the same."""
    table = Tagging.__table__
    await session.execute(
        insert_for(session, table)
        .values(tag_id=tag.id, person_id=person_id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["tag_id", "person_id"])
    )
    tagging = await session.scalar(
        select(Tagging).where(Tagging.tag_id == tag.id, Tagging.person_id == person_id)
    )
    assert tagging is not None
    return tagging


async def tag_person_by_names(
    session: AsyncSession, person_id: int, names: Iterable[str], *, field: str = "add_tags"
) -> list[Tagging]:
    taggings = []
    # One of each tag, as first spelt (a new tag keeps that spelling).
    spelt: dict[str, str] = {}
    for name in names:
        if name.strip():
            spelt.setdefault(normalise_tag_name(name), name)
    for name in spelt.values():
        tag = await find_or_create_tag(session, name, field=field)
        taggings.append(await tag_person(session, tag, person_id))
    return taggings


async def get_tagging(session: AsyncSession, tag_id: int, tagging_id: int) -> Tagging:
    tagging = await session.get(Tagging, tagging_id)
    if tagging is None or tagging.tag_id != tag_id:
        raise NotFound("no such tagging", field="tagging_id")
    return tagging


async def untag(session: AsyncSession, tag_id: int, tagging_id: int) -> None:
    await get_tagging(session, tag_id, tagging_id)
    await session.execute(delete(Tagging).where(Tagging.id == tagging_id))


async def untag_person(session: AsyncSession, tag_id: int, person_id: int) -> None:
    await session.execute(
        delete(Tagging).where(Tagging.tag_id == tag_id, Tagging.person_id == person_id)
    )


async def tags_of_people(session: AsyncSession, person_ids: Sequence[int]) -> dict[int, list[str]]:
    """Each person's tag names, alphabetically."""
    if not person_ids:
        return {}
    rows = await session.execute(
        select(Tagging.person_id, Tag.name)
        .join(Tag, Tag.id == Tagging.tag_id)
        .where(Tagging.person_id.in_(person_ids))
        .order_by(Tag.name_normalised)
    )
    names: dict[int, list[str]] = {person_id: [] for person_id in person_ids}
    for person_id, name in rows:
        names[person_id].append(name)
    return names


async def tags_on_person(session: AsyncSession, person_id: int) -> list[Tag]:
    return list(
        await session.scalars(
            select(Tag)
            .join(Tagging, Tagging.tag_id == Tag.id)
            .where(Tagging.person_id == person_id)
            .order_by(Tag.name_normalised)
        )
    )


async def all_tags(session: AsyncSession) -> list[Tag]:
    return list(await session.scalars(select(Tag).order_by(Tag.name_normalised)))
