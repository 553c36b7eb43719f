"""The people who use the workspace: users (invited, given roles, deactivated) and each
user's own API tokens."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
