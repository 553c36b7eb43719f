"""Follow-ups of letters: one email per letter asking the activist whether each official
replied, and their answers. Only ids and answers are kept here: who wrote, and to whom,
stays with the letter."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from campaign.db import Base, BigIntFK, UTCDateTime, utcnow
from campaign.i18n import gettext_noop as _


class FollowupOutcome(StrEnum):
    SENT = "sent"  # the email is in the outbox
    SUPPRESSED = "suppressed"  # the address bounced, complained or unsubscribed: none sent


class Answer(StrEnum):
    YES = "yes"  # the official replied
    NO = "no"
    NOT_YET = "not_yet"


# How each answer is worded on the pages that show it.
ANSWER_WORDS = {
    Answer.YES: _("Yes, they replied"),
    Answer.NO: _("No reply"),
    Answer.NOT_YET: _("Not yet"),
}


class LetterFollowup(Base):
    """A letter's one follow-up; its primary key is the letter's, so there is never a
    second, whichever worker gets there first."""

    __tablename__ = "letter_followups"
    __table_args__ = (CheckConstraint("outcome IN ('sent', 'suppressed')", name="outcome"),)

    letter_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("letters.id"), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("campaigns.id"))
    outcome: Mapped[str] = mapped_column(String(20))
    outbox_message_id: Mapped[int | None] = mapped_column(
        BigIntFK, ForeignKey("outbox_messages.id")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FollowupQuestion(Base):
    """One official a follow-up asks about (a delivery of the letter), and the answer."""

    __tablename__ = "letter_followup_questions"
    __table_args__ = (
        CheckConstraint("answer IN ('yes', 'no', 'not_yet')", name="answer"),
        # The responsiveness figures: a campaign's questions, per official.
        Index(None, "campaign_id", "official_id"),
        # A letter's answers, on the activist's own page.
        Index(None, "letter_id"),
    )

    delivery_id: Mapped[int] = mapped_column(
        BigIntFK, ForeignKey("letter_deliveries.id"), primary_key=True
    )
    letter_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("letter_followups.letter_id"))
    campaign_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("campaigns.id"))
    official_id: Mapped[int] = mapped_column(BigIntFK, ForeignKey("officials.id"))
    # When the letter reached the official: the provider's delivered event, else our send.
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # None until the activist answers; changed by a later answer (not yet, then yes).
    # The days to a reply are counted from `delivered_at` to `answered_at` of a "yes".
    answer: Mapped[str | None] = mapped_column(String(20))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
