"""The deployment the README describes, in small: two `campaign serve` processes (each
with two server processes of its own, so the metrics are in multiprocess mode) and two
`campaign worker` processes on PostgreSQL, the limits in Redis. People sign through both
servers; each confirmation is sent exactly once; the signatures-accepted counters of the
two servers add up to what was signed, and the workers' own metrics to what was sent;
every log line is JSON and names no address. PostgreSQL only (workers share its
SKIP LOCKED claims), and Redis on 127.0.0.1:6379."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from campaign.config import Settings
from campaign.db import create_engine, create_session_factory
from campaign.outbox.models import OutboxMessage, OutboxStatus
from tests.conftest import petition_fields, signer
from tests.fixtures.database import is_postgres
from tests.fixtures.emails import read_emails

CAMPAIGN = [sys.executable, "-m", "campaign"]
SIGNERS = 12


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


pytestmark = [
    pytest.mark.skipif(
        not is_postgres(os.environ.get("CAMPAIGN_TEST_DATABASE_URL", "")),
        reason="several workers share one PostgreSQL: run with CAMPAIGN_TEST_DATABASE_URL",
    ),
    pytest.mark.skipif(not _redis_answers(), reason="no Redis on 127.0.0.1:6379"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Processes:
    """Started processes, each with its log file; stopped with SIGTERM at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.running: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(self, name: str, arguments: list[str], env: dict[str, str]) -> Path:
        log = self.folder / f"{name}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [*CAMPAIGN, *arguments], env=env, stdout=output, stderr=subprocess.STDOUT
            )
        self.running.append((process, log))
        return log

    def check_alive(self) -> None:
        for process, log in self.running:
            assert process.poll() is None, f"{log.name} exited: {log.read_text()[-3000:]}"

    def stop(self) -> None:
        for process, _log in self.running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process, _log in self.running:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_for(what: str, ready: Callable[[], bool], processes: Processes, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        processes.check_alive()
        try:
            if ready():
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {seconds} s")


def _samples(text: str, name: str) -> dict[frozenset[tuple[str, str]], float]:
    return {
        frozenset(sample.labels.items()): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    }


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    running = Processes(tmp_path)
    try:
        yield running
    finally:
        running.stop()


def test_two_servers_and_two_workers_send_each_confirmation_once_and_count_it(
    database_url: str,
    session_factory: Any,
    admin: dict[str, str],
    processes: Processes,
    tmp_path: Path,
) -> None:
    outbox = tmp_path / "outbox"
    scratch = tmp_path / "scratch"  # the servers' temporary files: their metrics folders
    scratch.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAMPAIGN_", "PROMETHEUS"))}
    env.update(
        TMPDIR=str(scratch),
        CAMPAIGN_ENVIRONMENT="test",
        CAMPAIGN_SECRET_KEY=os.environ["CAMPAIGN_SECRET_KEY"],
        CAMPAIGN_DATABASE_URL=database_url,
        CAMPAIGN_MIGRATE_ON_START="false",  # the suite's schema, built by the migrations
        CAMPAIGN_REDIS_URL="redis://127.0.0.1:6379/0",
        CAMPAIGN_SIGN_RATE_LIMIT="1000/minute",
        CAMPAIGN_EMAIL_BACKEND="file",
        CAMPAIGN_EMAIL_FILE_DIR=str(outbox),
        CAMPAIGN_RUN_WORKER_IN_PROCESS="false",
        CAMPAIGN_WORKER_POLL_SECONDS="0.2",
        CAMPAIGN_PUBLIC_URL="http://campaign.test",
        CAMPAIGN_LOG_FORMAT="json",
        CAMPAIGN_DATABASE_POOL_SIZE="4",
    )
    servers = [f"http://127.0.0.1:{_free_port()}" for _ in range(2)]
    worker_ports = [_free_port() for _ in range(2)]
    logs = [
        processes.start(
            f"server{n}", ["serve", "--port", base.rsplit(":", 1)[1], "--workers", "2"], env
        )
        for n, base in enumerate(servers)
    ]
    logs += [
        processes.start(f"worker{n}", ["worker"], env | {"CAMPAIGN_WORKER_METRICS_PORT": str(port)})
        for n, port in enumerate(worker_ports)
    ]
    for base in servers:
        _wait_for(
            f"{base}/readyz",
            lambda base=base: (
                httpx.get(f"{base}/readyz", timeout=2).json()["checks"]
                == {"database": "ok", "redis": "ok"}
            ),
            processes,
            90,
        )
    # One folder of metric values per `campaign serve`, shared by its two processes.
    assert len(list(scratch.glob("campaign-metrics-*"))) == 2

    with httpx.Client(timeout=30) as web:
        fields = petition_fields()
        created = web.post(f"{servers[0]}/api/v1/staff/campaigns", json=fields, headers=admin)
        assert created.status_code == 201, created.text
        slug = created.json()["slug"]
        published = web.post(f"{servers[1]}/api/v1/staff/campaigns/{slug}/publish", headers=admin)
        assert published.status_code == 200, published.text
        request_ids = []
        for n in range(SIGNERS):
            answer = web.post(
                f"{servers[n % 2]}/api/v1/campaigns/{slug}/signatures",
                json=signer(email=f"signer{n}@example.org", given_name=f"Signer{n}"),
                headers={"X-Request-ID": f"sign-{n}"},
            )
            assert answer.status_code == 202, answer.text
            assert answer.headers["x-request-id"] == f"sign-{n}"
            request_ids.append(f"sign-{n}")

    def all_sent() -> bool:
        import asyncio

        async def unsent() -> int:
            # An engine of this loop's own: the fixture's connections belong to its loop.
            engine = create_engine(Settings(database_url=database_url))
            try:
                async with create_session_factory(engine)() as session:
                    return int(
                        await session.scalar(
                            select(func.count())
                            .select_from(OutboxMessage)
                            .where(OutboxMessage.status != OutboxStatus.SENT)
                        )
                        or 0
                    )
            finally:
                await engine.dispose()

        emails = len(list(outbox.glob("*.eml"))) if outbox.exists() else 0
        return emails >= SIGNERS and asyncio.run(unsent()) == 0

    _wait_for("every confirmation sent", all_sent, processes, 90)

    emails = read_emails(outbox)
    recipients = sorted(str(email["To"]) for email in emails)
    assert len(emails) == SIGNERS, recipients
    assert len(set(recipients)) == SIGNERS
    assert not list(outbox.glob("*.*.eml")), "a message was handed over twice"

    name = "campaign_signatures_accepted_total"
    accepted = [_samples(httpx.get(f"{base}/metrics", timeout=10).text, name) for base in servers]
    per_server = [sum(samples.values()) for samples in accepted]
    assert per_server == [SIGNERS / 2, SIGNERS / 2]
    assert sum(per_server) == SIGNERS

    sent_by_workers = 0.0
    for port in worker_ports:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        sent = _samples(text, "campaign_worker_messages_sent_total")
        sent_by_workers += sent.get(frozenset({("kind", "signature_confirmation")}), 0.0)
    assert sent_by_workers == SIGNERS

    processes.stop()
    # Each `campaign serve` took its folder of metric values away with it.
    assert list(scratch.glob("campaign-metrics-*")) == []

    lines: list[dict[str, Any]] = []
    for log in logs:
        for line in log.read_text().splitlines():
            assert line.startswith("{"), f"{log.name}: not a JSON line: {line}"
            lines.append(json.loads(line))
    text = "\n".join(log.read_text() for log in logs)
    assert not [n for n in range(SIGNERS) if f"signer{n}@" in text]
    answered = {
        line["request_id"]
        for line in lines
        if line["logger"] == "campaign.requests"
        and line["route"] == "/api/v1/campaigns/{slug}/signatures"
        and line["status"] == 202
    }
    assert answered == set(request_ids)
    sent_lines = {line["request_id"] for line in lines if line["message"].startswith("email sent")}
    assert sent_lines == set(request_ids)
    assert any(line["logger"].startswith("uvicorn") for line in lines)
