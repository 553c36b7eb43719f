"""The directory of officials on the dashboard: browse, search, add, edit, import."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
