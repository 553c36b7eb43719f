"""A letter campaign's setup on the dashboard: who it is sent to, the template and its
preview for a real official, the writing limits, and the per-official limits."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
