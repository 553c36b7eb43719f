"""The database goes away and comes back while the server runs: requests in between are
answered 503 with Retry-After (a page for the pages), on the same keep-alive connection,
and the next ones succeed with no restart. PostgreSQL only: the test puts a TCP proxy of
its own between the server and the shared PostgreSQL, and cuts that instead."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url

from campaign.db import IDLE_SECONDS_BEFORE_PING
from tests.conftest import petition_fields, signer
from tests.fixtures.database import is_postgres

pytestmark = pytest.mark.skipif(
    not is_postgres(os.environ.get("CAMPAIGN_TEST_DATABASE_URL", "")),
    reason="cuts a TCP proxy in front of PostgreSQL: run with CAMPAIGN_TEST_DATABASE_URL",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DatabaseProxy:
    """Forwards 127.0.0.1:<port> to the database server, until cut: then the open
    connections are dropped and new ones refused, as while PostgreSQL restarts."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.port = _free_port()
        self._target = (target_host, target_port)
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def _run(self, coroutine: object) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)  # type: ignore[arg-type]

    def open(self) -> None:
        self._run(self._listen())

    def cut(self) -> None:
        self._run(self._close())

    def stop(self) -> None:
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._forward, "127.0.0.1", self.port)

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, upstream_writer}
        await asyncio.gather(
            self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer)
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.transport.abort()
            self._writers.discard(writer)


@pytest.fixture
def proxy(database_url: str) -> Iterator[DatabaseProxy]:
    url = make_url(database_url)
    running = DatabaseProxy(url.host or "127.0.0.1", url.port or 5432)
    running.open()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def server(database_url: str, proxy: DatabaseProxy, tmp_path: Path) -> Iterator[str]:
    """The app under uvicorn in a process of its own, reaching the database through the
    proxy (the schema is the suite's, built by the migrations)."""
    through_proxy = make_url(database_url).set(host="127.0.0.1", port=proxy.port)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMPAIGN_")}
    env.update(
        CAMPAIGN_ENVIRONMENT="test",
        CAMPAIGN_SECRET_KEY=os.environ["CAMPAIGN_SECRET_KEY"],
        CAMPAIGN_DATABASE_URL=through_proxy.render_as_string(hide_password=False),
        CAMPAIGN_EMAIL_BACKEND="file",
        CAMPAIGN_EMAIL_FILE_DIR=str(tmp_path / "outbox"),
        CAMPAIGN_RUN_WORKER_IN_PROCESS="false",
    )
    log = (tmp_path / "server.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.main:app", "--port", str(port), "--no-access-log"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.seek(0)
        output = log.read()
        log.close()
    # An outage is a line per request in the log, not a traceback each time.
    assert "Traceback" not in output, output[-3000:]


def _wait_until_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited early"
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server did not come up in 30 s")


def _local_port(answer: httpx.Response) -> int:
    """Which of our sockets carried the answer: the same port means the same connection."""
    stream = answer.extensions["network_stream"]
    return int(stream.get_extra_info("client_addr")[1])


def test_an_outage_is_a_503_with_retry_after_and_then_passes(
    server: str, proxy: DatabaseProxy
) -> None:
    with httpx.Client(base_url=server, timeout=30, limits=httpx.Limits(max_connections=1)) as web:
        ready = web.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ok", "checks": {"database": "ok"}}
        assert web.get("/").status_code == 200
        connection = _local_port(ready)

        proxy.cut()
        for path in ("/healthz", "/api/v1/campaigns/any-campaign", "/readyz", "/healthz"):
            answer = web.get(path)
            assert answer.status_code == 503, f"{path}: {answer.status_code} {answer.text}"
            assert answer.headers["content-type"] == "application/problem+json"
            assert int(answer.headers["retry-after"]) > 0
            assert _local_port(answer) == connection
        assert web.get("/readyz").json()["checks"] == {"database": "unavailable"}

        page = web.get("/c/any-campaign")
        assert page.status_code == 503
        assert page.headers["content-type"].startswith("text/html")
        assert "try again" in page.text
        assert "retry-after" in page.headers

        proxy.open()
        assert web.get("/healthz").status_code == 200
        assert web.get("/readyz").status_code == 200
        missing = web.get("/api/v1/campaigns/any-campaign")
        assert missing.status_code == 404
        assert _local_port(missing) == connection


def test_connections_that_died_unseen_are_replaced(server: str, proxy: DatabaseProxy) -> None:
    """The pool's connections die while nobody asks: the first requests afterwards still
    succeed (each idle connection is tried before use), with no failure needed first."""
    with httpx.Client(base_url=server, timeout=30) as web:
        for _ in range(5):
            assert web.get("/healthz").status_code == 200
        proxy.cut()
        proxy.open()
        time.sleep(IDLE_SECONDS_BEFORE_PING + 0.5)
        assert web.get("/healthz").status_code == 200
        assert web.get("/").status_code == 200


def test_signing_through_an_outage_is_a_503_and_then_is_written(
    server: str, proxy: DatabaseProxy, editor: dict[str, str]
) -> None:
    """Signing has its own way to the database (a writer that keeps a connection while
    batches keep coming, signatures/writer.py): an outage answers its requests 503 like
    any other, and once the database is back the broken connection has been replaced."""
    sign = "/api/v1/campaigns/stop-the-arms-trade/signatures"
    with httpx.Client(base_url=server, timeout=30) as web:
        created = web.post("/api/v1/staff/campaigns", json=petition_fields(), headers=editor)
        assert created.status_code == 201, created.text
        published = web.post("/api/v1/staff/campaigns/stop-the-arms-trade/publish", headers=editor)
        assert published.status_code == 200, published.text
        assert web.post(sign, json=signer(email="before@example.org")).status_code == 202

        proxy.cut()
        answer = web.post(sign, json=signer(email="during@example.org"))
        assert answer.status_code == 503, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert int(answer.headers["retry-after"]) > 0

        proxy.open()
        after = [web.post(sign, json=signer(email=f"after{n}@example.org")) for n in range(3)]
        # A connection cut while in use fails the one batch that finds it so, no more.
        assert [a.status_code for a in after][-2:] == [202, 202]
        assert {a.status_code for a in after} <= {202, 503}
