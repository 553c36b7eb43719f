"""A campaign: one call to action that supporters sign (petition) or act on (letter)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from campaign.db import Base, BigIntFK, BigIntPK, UTCDateTime, utcnow


class CampaignKind(StrEnum):
    PETITION = "petition"
    # A letter to officials; its body is the draft letter (sending comes with the target
    # directory).
    LETTER = "letter"


class CampaignState(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"


class PostcodeMode(StrEnum):
    """Whether the signing form asks for a postcode."""

    HIDDEN = "hidden"
    OPTIONAL = "optional"
    REQUIRED = "required"


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint("kind IN ('petition', 'letter')", name="kind"),
        CheckConstraint("state IN ('draft', 'published', 'closed')", name="state"),
        CheckConstraint(
            "postcode_mode IN ('hidden', 'optional', 'required')", name="postcode_mode"
        ),
        CheckConstraint("signature_goal IS NULL OR signature_goal > 0", name="signature_goal"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default=CampaignKind.PETITION)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    body_markdown: Mapped[str] = mapped_column(Text)
    target: Mapped[str] = mapped_column(String(200))
    # What a share button says with the link; the title when not set.
    share_text: Mapped[str | None] = mapped_column(String(500))
    signature_goal: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(20), default=CampaignState.DRAFT)
    postcode_mode: Mapped[str] = mapped_column(String(20), default=PostcodeMode.OPTIONAL)
    # Whether the signing form asks if the signer's name may be given to their
    # representative (campaign/reports). Off: nobody is named.
    ask_signers_to_be_named: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    consent_text_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("consent_texts.id"))
    # The release this campaign was drafted from, if any.
    release_id: Mapped[int | None] = mapped_column(BigIntFK, ForeignKey("releases.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set once, when the campaign first becomes public. A campaign closed without it was
    # never public and never will be.
    first_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CampaignVersion(Base):
    """The campaign in one more language: the texts supporters read, translated. The
    campaign's own language and texts are its primary version, which has no row here;
    everything else (state, goal, rules, the count) is the campaign's, shared by all."""

    __tablename__ = "campaign_versions"
    __table_args__ = (UniqueConstraint("campaign_id", "language"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("campaigns.id"))
    language: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    body_markdown: Mapped[str] = mapped_column(Text)
    # What a share button says with the link; the version's title when not set.
    share_text: Mapped[str | None] = mapped_column(String(500))
    # A letter campaign's suggested letter in this language; the letter setup's own
    # (in the primary language) when not set.
    letter_subject: Mapped[str | None] = mapped_column(String(300))
    letter_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
