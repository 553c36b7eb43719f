"""Requests generated from the app's own OpenAPI description, valid and invalid, against
the app served by uvicorn with an admin token: none is answered with a 5xx.

A bounded number of examples per operation, so the whole adds about a minute; the
hostile-path walk (test_hostile_paths.py) and the property tests of each domain go
deeper where they matter."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error

from api.app import create_app
from campaign.config import Settings
from campaign.db import create_engine, create_session_factory, transaction
from campaign.staff.models import Role
from campaign.staff.service import create_token
from tests.conftest import petition_fields
from tests.fixtures.database import empty_all_tables

EXAMPLES_PER_OPERATION = 4

schema = schemathesis.openapi.from_dict(
    create_app(Settings(environment="test", run_worker_in_process=False)).openapi()
).exclude(
    # Would revoke the very token the run authenticates with, turning the rest of the run
    # into 401s; the route walk covers its parameters.
    path="/api/v1/staff/tokens/{token_id}/revoke"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _admin_token(url: str) -> str:
    engine = create_engine(Settings(database_url=url))
    try:
        async with transaction(create_session_factory(engine)) as session:
            _token, secret = await create_token(session, name="schemathesis", role=Role.ADMIN)
    finally:
        await engine.dispose()
    return secret


async def _empty(url: str) -> None:
    engine = create_engine(Settings(database_url=url))
    try:
        await empty_all_tables(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def live(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The app under uvicorn on the suite's database, an admin token, and a published
    petition for the generated requests to find."""
    folder = tmp_path_factory.mktemp("schemathesis")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMPAIGN_")}
    env.update(
        CAMPAIGN_ENVIRONMENT="test",
        CAMPAIGN_SECRET_KEY=os.environ["CAMPAIGN_SECRET_KEY"],
        CAMPAIGN_DATABASE_URL=database_url,
        CAMPAIGN_EMAIL_BACKEND="file",
        CAMPAIGN_EMAIL_FILE_DIR=str(folder / "outbox"),
        CAMPAIGN_RUN_WORKER_IN_PROCESS="false",
        CAMPAIGN_SIGN_RATE_LIMIT="100000/minute",
    )
    log_path = folder / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.main:app", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(base, process, log_path)
        headers = {"Authorization": f"Bearer {asyncio.run(_admin_token(database_url))}"}
        _publish_a_petition(base, headers)
        yield {"base_url": base, "headers": headers}
    finally:
        process.terminate()
        process.wait(timeout=20)
        asyncio.run(_empty(database_url))


def _wait_until_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server did not come up in 30 s")


def _publish_a_petition(base: str, headers: dict[str, str]) -> None:
    created = httpx.post(f"{base}/api/v1/staff/campaigns", json=petition_fields(), headers=headers)
    assert created.status_code == 201, created.text
    slug = created.json()["slug"]
    published = httpx.post(f"{base}/api/v1/staff/campaigns/{slug}/publish", headers=headers)
    assert published.status_code == 200, published.text


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_generated_request_is_a_server_error(case: schemathesis.Case, live: dict) -> None:
    case.call_and_validate(
        base_url=live["base_url"], headers=live["headers"], checks=[not_a_server_error]
    )
