"""A tag is a name; a tagging puts it on one person, once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from campaign.db import Base, BigIntFK, BigIntPK, UTCDateTime, utcnow

TAG_NAME_LENGTH = 200


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    name: Mapped[str] = mapped_column(String(TAG_NAME_LENGTH))
    # Trimmed, spaces collapsed, lower case: "Volunteer " and "volunteer" are one tag.
    name_normalised: Mapped[str] = mapped_column(String(TAG_NAME_LENGTH), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Tagging(Base):
    __tablename__ = "taggings"
    __table_args__ = (
        UniqueConstraint("tag_id", "person_id"),
        Index(None, "person_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    tag_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("tags.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("people.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
