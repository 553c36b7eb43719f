"""The staff dashboard: server-rendered pages behind a password login and a session
cookie, over the same services as the JSON API. One module per part of the staff job."""

from __future__ import annotations

from fastapi import APIRouter

from api.dashboard import (
    abuse,
    account,
    campaigns,
    directory,
    followups,
    letters,
    mailings,
    numbers,
    official_reports,
    people,
    privacy,
    releases,
    responses,
    supporters,
    versions,
    webhooks,
)

router = APIRouter(include_in_schema=False)
for part in (
    account,
    releases,
    campaigns,
    versions,
    letters,
    followups,
    numbers,
    supporters,
    mailings,
    responses,
    official_reports,
    abuse,
    directory,
    people,
    privacy,
    webhooks,
):
    router.include_router(part.router, prefix="/staff")
