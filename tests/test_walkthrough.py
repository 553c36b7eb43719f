"""The README's walk-through, for real: the `campaign` command serves over HTTP on the
embedded default, and a new user goes from a token to a confirmed, counted signature."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.emails import confirmation_path, read_emails

CAMPAIGN = [sys.executable, "-m", "campaign"]

# Each test runs the command line on a SQLite file of its own (tests/conftest.py).
pytestmark = pytest.mark.own_server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMPAIGN_")}
    env["CAMPAIGN_ENVIRONMENT"] = "development"  # as the README's walk says
    env.update(
        CAMPAIGN_DATABASE_URL=f"sqlite+aiosqlite:///{folder}/campaign.db",
        CAMPAIGN_EMAIL_FILE_DIR=str(folder / "outbox"),
        CAMPAIGN_WORKER_POLL_SECONDS="0.2",
    )
    return env


def _wait_until_up(base: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited early"
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("the server did not come up in 30 s")


def _wait_for_emails(folder: Path, count: int) -> list:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        emails = read_emails(folder)
        if len(emails) >= count:
            return emails
        time.sleep(0.1)
    raise AssertionError(f"expected {count} emails in {folder}")


def _start(command: str, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    """`campaign serve` or `campaign demo` on a free port, once it answers; its output
    kept for reading. A port found free can be taken by another process (a test's own
    connection, another test's server) before the server binds it; the server then
    exits at start saying so, and is started again on another port."""
    for _ in range(_START_ATTEMPTS):
        port = _free_port()
        process = subprocess.Popen(
            [*CAMPAIGN, command, "--port", str(port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        base = f"http://127.0.0.1:{port}"
        if not _exited_at_start_for_its_port(base, process):
            return process, base
    return process, base


_START_ATTEMPTS = 3


def _exited_at_start_for_its_port(base: str, process: subprocess.Popen[str]) -> bool:
    """Whether the server stopped before answering because its port was taken; False
    once it answers, and for any other end (the caller's checks report those)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            return "address already in use" in output.lower()
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return False
        except httpx.TransportError:
            time.sleep(0.2)
    return False


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    env = _environment(tmp_path)
    process, base = _start("serve", env)
    try:
        _wait_until_up(base, process)
        yield base, env
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_a_new_user_walks_from_token_to_counted_signature(
    server: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    base, env = server
    created = subprocess.run(
        [*CAMPAIGN, "staff", "create-token", "--name", "me", "--role", "editor"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    token = created.stdout.strip().splitlines()[-1]
    staff = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, timeout=10) as http:
        petition = {
            "slug": "ban-bee-killing-pesticides",
            "title": "Ban bee-killing pesticides",
            "summary": "The government must ban neonicotinoids for good.",
            "body_markdown": "Bees pollinate a third of what we eat.",
            "target": "The Environment Secretary",
            "signature_goal": 10000,
        }
        assert http.post("/api/v1/staff/campaigns", json=petition, headers=staff).status_code == 201
        published = http.post(
            "/api/v1/staff/campaigns/ban-bee-killing-pesticides/publish", headers=staff
        )
        assert published.json()["state"] == "published"

        signed = http.post(
            "/api/v1/campaigns/ban-bee-killing-pesticides/signatures",
            json={
                "given_name": "Grace",
                "family_name": "Hopper",
                "email": "grace@example.org",
                "country": "US",
                "consent": {"email_updates": False},
            },
        )
        assert signed.status_code == 202

        [email] = _wait_for_emails(tmp_path / "outbox", 1)
        link = confirmation_path(email)
        assert str(email["To"]) == "Grace Hopper <grace@example.org>"
        assert http.get(link).status_code == 200
        counts = http.get("/api/v1/campaigns/ban-bee-killing-pesticides").json()["counts"]
        assert counts == {"confirmed": 1}
        assert base in str(email.get_body(preferencelist=("plain",)).get_content())


def test_the_demo_publishes_a_sample_petition_and_serves_it(tmp_path: Path) -> None:
    process, base = _start("demo", _environment(tmp_path))
    try:
        _wait_until_up(base, process)
        process.terminate()
        output, _ = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
    token = re.search(r"Staff token \(admin, shown once\): (cmp_\S+)", output)
    assert token, output
    assert "Calls to action found:" in output
    assert re.search(r"1\. \[must\] [Tt]he county council: drop the meadows route", output)
    assert re.search(rf"Read it: +curl {base}/api/v1/campaigns/the-county-council-drop", output)


def test_the_worker_command_sends_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = _environment(tmp_path) | {"CAMPAIGN_EMAIL_BACKEND": "file"}
    subprocess.run([*CAMPAIGN, "db", "upgrade"], env=env, check=True, capture_output=True)
    with sqlite3.connect(tmp_path / "campaign.db") as db:
        db.execute(
            "INSERT INTO outbox_messages (kind, to_address, to_name, context, status, attempts,"
            " created_at, available_at) VALUES ('already_signed', 'ada@example.org', 'Ada',"
            ' \'{"given_name": "Ada", "campaign_title": "T", "campaign_slug": "t"}\','
            " 'pending', 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        )
    process = subprocess.Popen([*CAMPAIGN, "worker"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        [email] = _wait_for_emails(tmp_path / "outbox", 1)
        assert email["Subject"] == "You have already signed: T"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
