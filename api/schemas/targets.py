"""How the target directory looks to staff (addresses included), and import reports."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from campaign.targets.imports import ImportReport


class OfficialView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    external_id: str
    name: str
    title: str
    role: str
    organisation: str
    email: str
    country: str
    division_id: str | None
    party: str | None
    source: str | None
    active: bool
    created_at: datetime
    updated_at: datetime


class OfficialPage(BaseModel):
    items: list[OfficialView]
    limit: int
    offset: int


class SkippedRowView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    # "line" (CSV, the header is line 1) or "membership" (Popolo, counted from 0).
    place: str
    number: int
    reason: str


class ImportReportView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    total: int
    created: int
    updated: int
    unchanged: int
    skipped: list[SkippedRowView]

    @classmethod
    def of(cls, report: ImportReport) -> ImportReportView:
        return cls.model_validate(report)
