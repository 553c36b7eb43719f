"""Behind PgBouncer in transaction mode, with CAMPAIGN_DATABASE_PGBOUNCER: people sign
through the API, the worker's one-statement path resolves their submissions and sends the
confirmations, and a confirmation link is followed, all on server connections that
PgBouncer hands round between our client connections transaction by transaction.
PostgreSQL only; skipped where pgbouncer is not installed (.ci/run installs it)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import make_url

from api.app import create_app
from campaign.config import Settings
from campaign.db import create_engine, create_session_factory, transaction
from campaign.staff.models import Role
from campaign.staff.service import create_token
from emails.worker import OutboxWorker
from tests.conftest import petition_fields, signer
from tests.fixtures.database import is_postgres
from tests.fixtures.emails import confirmation_path, read_emails

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"

pytestmark = [
    pytest.mark.skipif(
        not is_postgres(os.environ.get("CAMPAIGN_TEST_DATABASE_URL", "")),
        reason="PgBouncer pools PostgreSQL connections: run with CAMPAIGN_TEST_DATABASE_URL",
    ),
    pytest.mark.skipif(not Path(PGBOUNCER).exists(), reason="pgbouncer is not installed"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def pgbouncer(database_url: str) -> Iterator[str]:
    """PgBouncer on a free port in transaction mode, two server connections for any
    number of clients; the URL to reach the suite's database through it."""
    url = make_url(database_url)
    port = _free_port()
    # Not under pytest's folder: PgBouncer refuses to run as root, and the user it runs
    # as must read its configuration.
    folder = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    folder.chmod(0o755)
    config = folder / "pgbouncer.ini"
    config.write_text(
        "[databases]\n"
        f"{url.database} = host={url.host or '127.0.0.1'} port={url.port or 5432} "
        f"dbname={url.database} user={url.username or 'postgres'}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        "auth_type = any\npool_mode = transaction\n"
        "default_pool_size = 2\nmax_client_conn = 200\n"
        # asyncpg sends these at connect; PgBouncer passes on only the ones it is told.
        "ignore_startup_parameters = extra_float_digits\n"
    )
    config.chmod(0o644)
    command = [PGBOUNCER, str(config)]
    if os.geteuid() == 0:
        command[1:1] = ["-u", "postgres"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 15
        while True:
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "pgbouncer did not start"
                time.sleep(0.1)
        yield url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
async def through_pgbouncer(
    pgbouncer: str, settings: Settings, session_factory: Any
) -> AsyncIterator[tuple[Any, Settings]]:
    bounced = settings.model_copy(
        update={"database_url": pgbouncer, "database_pgbouncer": True, "database_pool_size": 6}
    )
    app = create_app(bounced)
    async with app.router.lifespan_context(app):
        yield app, bounced


async def test_signing_and_sending_through_pgbouncer_in_transaction_mode(
    through_pgbouncer: tuple[Any, Settings],
) -> None:
    app, settings = through_pgbouncer
    factory = app.state.session_factory
    async with transaction(factory) as session:
        _token, secret = await create_token(session, name="pgbouncer", role=Role.EDITOR)
    editor = {"Authorization": f"Bearer {secret}"}
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://campaign.test") as client:
        created = await client.post(
            "/api/v1/staff/campaigns", json=petition_fields(), headers=editor
        )
        assert created.status_code == 201, created.text
        slug = created.json()["slug"]
        assert (
            await client.post(f"/api/v1/staff/campaigns/{slug}/publish", headers=editor)
        ).status_code == 200
        # The same statements again and again, from several client connections at once:
        # a cached or clashing prepared statement would fail one of them.
        answers = await asyncio.gather(
            *(
                client.post(
                    f"/api/v1/campaigns/{slug}/signatures",
                    json=signer(email=f"bounced{n}@example.org"),
                )
                for n in range(30)
            )
        )
        assert [a.status_code for a in answers] == [202] * 30

        engine = create_engine(settings)
        try:
            worker = OutboxWorker(create_session_factory(engine), settings)
            sent = 0
            for _ in range(5):
                sent += await worker.send_due_messages()
        finally:
            await engine.dispose()
        assert sent == 30
        emails = read_emails(settings.email_file_dir)
        assert len(emails) == 30
        confirmed = await client.get(confirmation_path(emails[0]))
        assert confirmed.status_code == 200
        counts = (await client.get(f"/api/v1/campaigns/{slug}")).json()["counts"]
        assert counts["confirmed"] == 1
        ready = await client.get("/readyz")
        assert ready.json()["checks"] == {"database": "ok"}
