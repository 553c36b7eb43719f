"""Where each page of a listing starts, remembered as it is served.

OSDI clients ask for pages by number. An OFFSET would make page 40,000 of a million
signatures read 1,000,000 rows; instead, serving page N records where page N+1 starts
(the last row's sort key), so a client walking the pages in order, as every sync tool
does, gets each page from an index range of its own size."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from campaign.db import Base, UTCDateTime, utcnow


class PageMark(Base):
    __tablename__ = "osdi_page_marks"

    # SHA-256 of the listing: its path and filter, which fix its rows and their order.
    listing: Mapped[str] = mapped_column(String(64), primary_key=True)
    per_page: Mapped[int] = mapped_column(Integer, primary_key=True)
    page: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The sort key of the last row before this page: a time (filtered listings sort by
    # it, then by id) and an id.
    after_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    after_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
