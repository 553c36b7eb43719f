"""A campaign's supporters on the dashboard: signers and letter writers, searched and
paged, and signatures marked fraudulent or invalid."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
