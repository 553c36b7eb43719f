"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import text

from api.deps import SessionDep
from api.problems import PROBLEM_JSON, RETRY_AFTER_SECONDS, database_unavailable, problem

router = APIRouter(tags=["health"])

# A load balancer waits for the answer; a database that takes longer counts as away.
READINESS_TIMEOUT_SECONDS = 3.0


@router.get("/healthz")
async def health(session: SessionDep) -> dict[str, str]:
    await session.execute(text("SELECT 1"))
    return {"status": "ok"}


class Readiness(BaseModel):
    status: str
    checks: dict[str, str]


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={
        503: {
            "description": "A dependency is away; the checks say which",
            "content": {PROBLEM_JSON: {"schema": {"type": "object"}}},
        }
    },
)
async def readiness(request: Request) -> Readiness | Response:
    """Whether this process can serve requests now: 200 with each check, or 503 with
    Retry-After while the database cannot be reached (a balancer then sends traffic
    elsewhere). Its own session, so a failed check is an answer, not an error."""
    try:
        async with asyncio.timeout(READINESS_TIMEOUT_SECONDS):
            async with request.app.state.session_factory() as session:
                await session.execute(text("SELECT 1"))
    except Exception as error:
        if not database_unavailable(error):
            raise
        return problem(
            503,
            "not-ready",
            "Not ready",
            "the database cannot be reached",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            checks={"database": "unavailable"},
        )
    return Readiness(status="ok", checks={"database": "ok"})
