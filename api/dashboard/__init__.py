"""The staff dashboard: server-rendered pages behind a password login and a session
cookie, over the same services as the JSON API. One module per part of the staff job."""

from __future__ import annotations

from fastapi import APIRouter

from api.dashboard import (
    abuse,
    account,
    campaigns,
    directory,
    letters,
    mailings,
    numbers,
    official_reports,
    people,
    releases,
    supporters,
    webhooks,
)

router = APIRouter(include_in_schema=False)
for part in (
    account,
    releases,
    campaigns,
    letters,
    numbers,
    supporters,
    mailings,
    official_reports,
    abuse,
    directory,
    people,
    webhooks,
):
    router.include_router(part.router, prefix="/staff")
