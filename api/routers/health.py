"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import text

from api.deps import SessionDep
from api.problems import PROBLEM_JSON, RETRY_AFTER_SECONDS, database_unavailable, problem
from api.ratelimit import RedisProbe

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
            "description": "The database or Redis is away; the checks say which",
            "content": {PROBLEM_JSON: {"schema": {"type": "object"}}},
        }
    },
)
async def readiness(request: Request) -> Readiness | Response:
    """Whether this process can serve requests now: 200 with each check, or 503 with
    Retry-After while the database, or Redis where the limits are kept there, cannot be
    reached (a balancer then sends traffic elsewhere). Each check has its own connection
    and a timeout, and they run side by side, so a failed check is an answer, not an
    error, and the answer comes within the timeout."""
    probes = {"database": _database_answers(request)}
    redis: RedisProbe | None = request.app.state.redis_probe
    if redis is not None:
        probes["redis"] = _redis_answers(redis)
    results = await asyncio.gather(*probes.values())
    checks = {name: "ok" if up else "unavailable" for name, up in zip(probes, results, strict=True)}
    away = [name for name, up in zip(probes, results, strict=True) if not up]
    if away:
        return problem(
            503,
            "not-ready",
            "Not ready",
            " and ".join(f"the {name}" for name in away) + " cannot be reached",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            checks=checks,
        )
    return Readiness(status="ok", checks=checks)


async def _database_answers(request: Request) -> bool:
    try:
        async with asyncio.timeout(READINESS_TIMEOUT_SECONDS):
            async with request.app.state.session_factory() as session:
                await session.execute(text("SELECT 1"))
    except Exception as error:
        if not database_unavailable(error):
            raise
        return False
    return True


async def _redis_answers(redis: RedisProbe) -> bool:
    try:
        async with asyncio.timeout(READINESS_TIMEOUT_SECONDS):
            return await redis.answers()
    except TimeoutError:
        return False
