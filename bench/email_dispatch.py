"""Email dispatch benchmark: outbox workers sending queued emails through the real
`sendgrid` client to a fake SendGrid on loopback, against PostgreSQL.

What it measures
    --messages signature confirmations are queued in the outbox (all for one petition, so
    they share a template and go out 1,000 to a request), due at one instant a few
    seconds ahead. `campaign worker` processes (1, then 2) are started before that
    instant, so the figure is sending, not start-up: messages per second from the
    instant they fall due to the last one recorded as sent. Afterwards it asks the fake
    server which outbox ids it accepted, and checks that each message reached it exactly
    once (`lost`: queued but never accepted; `duplicates`: accepted more than once).

How to run (from the repository root)
    CAMPAIGN_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python bench/email_dispatch.py --reset

    --reset drops and recreates the `public` schema of that database first; without it
    the schema is brought to the newest migration (the outbox table is emptied either
    way). The last line of standard output is one JSON object with the results; progress
    goes to standard error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import asyncpg
from sqlalchemy.engine import URL, make_url

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "SG.bench-key"
# Workers start, connect and begin polling within this; then the messages fall due.
START_UP_SECONDS = 6.0


@dataclass(frozen=True)
class Options:
    messages: int
    batch_size: int
    reset: bool


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000, help="emails queued (100000)")
    parser.add_argument(
        "--batch-size", type=int, default=1000, help="messages each worker claims per pass"
    )
    parser.add_argument(
        "--reset", action="store_true", help="drop and recreate the database schema first"
    )
    args = parser.parse_args(argv)
    return Options(messages=args.messages, batch_size=args.batch_size, reset=args.reset)


def refuse(reason: str) -> NoReturn:
    print(f"email_dispatch: {reason}", file=sys.stderr)
    raise SystemExit(2)


def progress(message: str) -> None:
    print(f"[email_dispatch] {message}", file=sys.stderr, flush=True)


def database_url_from_env() -> URL:
    raw = os.environ.get("CAMPAIGN_DATABASE_URL")
    if not raw:
        refuse("set CAMPAIGN_DATABASE_URL to a PostgreSQL database kept for benchmarks")
    url = make_url(raw)
    if not url.drivername.startswith("postgresql"):
        refuse("this benchmark needs PostgreSQL (several workers share the outbox)")
    return url


def asyncpg_dsn(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def campaign_env(url: URL, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMPAIGN_")}
    env["CAMPAIGN_ENVIRONMENT"] = "development"
    env["CAMPAIGN_DATABASE_URL"] = url.render_as_string(hide_password=False)
    env["NO_PROXY"] = "127.0.0.1"
    env.update({f"CAMPAIGN_{name.upper()}": value for name, value in settings.items()})
    return env


def prepare_schema(url: URL, reset: bool) -> None:
    if reset:
        progress("dropping and recreating the public schema")
        asyncio.run(_reset_schema(url))
    progress("campaign db upgrade")
    subprocess.run(
        [sys.executable, "-m", "campaign", "db", "upgrade"],
        env=campaign_env(url),
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )


async def _reset_schema(url: URL) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()


async def queue_messages(url: URL, count: int, due_at: datetime) -> None:
    """Empty the outbox, then COPY in `count` confirmations due at `due_at`."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute("TRUNCATE outbox_messages CASCADE")
        now = datetime.now(UTC)
        records = [
            (
                "signature_confirmation",
                f"signer{n}@example.org",
                f"Signer {n}",
                json.dumps(
                    {
                        "given_name": f"Signer{n}",
                        "campaign_title": "Protect the meadows",
                        "campaign_slug": "meadows",
                        "token": f"token-{n:012d}",
                    }
                ),
                "pending",
                0,
                now,
                due_at,
                "queued",
            )
            for n in range(count)
        ]
        await connection.copy_records_to_table(
            "outbox_messages",
            records=records,
            columns=[
                "kind",
                "to_address",
                "to_name",
                "context",
                "status",
                "attempts",
                "created_at",
                "available_at",
                "delivery_status",
            ],
        )
    finally:
        await connection.close()


async def unsent_left(url: URL) -> bool:
    """Whether any message waits or is being handed over: read from the two partial
    indexes that hold only those, so asking often costs the database next to nothing
    (counting a million sent rows five times a second took a share of a core from the
    workers being measured)."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return bool(
            await connection.fetchval(
                "SELECT EXISTS (SELECT 1 FROM outbox_messages WHERE status = 'pending')"
                " OR EXISTS (SELECT 1 FROM outbox_messages WHERE status = 'sending')"
            )
        )
    finally:
        await connection.close()


async def outbox_state(url: URL) -> tuple[int, datetime | None]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        row = await connection.fetchrow(
            "SELECT count(*) FILTER (WHERE status = 'sent') AS sent, max(sent_at) AS last "
            "FROM outbox_messages"
        )
        return int(row["sent"]), row["last"]
    finally:
        await connection.close()


def start_fake_sendgrid() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.sendgrid", "--port", "0", "--api-key", API_KEY],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def received_ids(fake_url: str) -> tuple[Counter[str], int]:
    """The outbox ids the fake server accepted, and how many requests it had."""
    with urllib.request.urlopen(f"{fake_url}/__received", timeout=60) as response:
        answer = json.load(response)
    return Counter(answer["outbox_ids"]), int(answer["requests"])


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) a process has used so far, from /proc; 0 elsewhere."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


def micros_per_message(seconds: float, messages: int) -> float:
    return round(seconds / messages * 1e6, 1) if messages else 0.0


def stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_once(url: URL, options: Options, workers: int) -> dict[str, Any]:
    fake, fake_url = start_fake_sendgrid()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        progress(f"queueing {options.messages} messages, not yet due")
        asyncio.run(queue_messages(url, options.messages, datetime.now(UTC) + timedelta(days=1)))
        env = campaign_env(
            url,
            email_backend="sendgrid",
            sendgrid_api_key=API_KEY,
            sendgrid_host=fake_url,
            worker_batch_size=str(options.batch_size),
            worker_poll_seconds="0.05",
        )
        progress(f"starting {workers} worker(s); {START_UP_SECONDS:.0f} s to start up")
        processes = [
            subprocess.Popen([sys.executable, "-m", "campaign", "worker"], env=env, cwd=ROOT)
            for _ in range(workers)
        ]
        time.sleep(START_UP_SECONDS)
        # CPU from here on is sending's: start-up has been and gone.
        measured = (*processes, fake)
        cpu_before = [cpu_seconds(p.pid) for p in measured]
        due_at = asyncio.run(make_all_due(url))
        sent, last = _wait_until_sent(url, processes)
        elapsed = (last - due_at).total_seconds() if last else float("nan")
        cpu_used = [cpu_seconds(p.pid) - b for p, b in zip(measured, cpu_before, strict=True)]
        received, requests = received_ids(fake_url)
    finally:
        for process in processes:
            stop(process)
        stop(fake)
    lost = options.messages - len(received)
    duplicates = sum(count - 1 for count in received.values())
    rate = sent / elapsed if elapsed > 0 else 0.0
    worker_us = micros_per_message(sum(cpu_used[:-1]), sent)
    fake_us = micros_per_message(cpu_used[-1], sent)
    progress(
        f"{workers} worker(s): {sent} sent in {elapsed:.2f} s = {rate:.0f} messages/s; "
        f"{requests} requests; accepted by the fake: {len(received)} distinct, "
        f"lost {lost}, duplicates {duplicates}; CPU per message: workers {worker_us} µs, "
        f"fake SendGrid {fake_us} µs"
    )
    return {
        "messages_per_s": round(rate, 1),
        "lost": lost,
        "duplicates": duplicates,
        "worker_cpu_us_per_message": worker_us,
        "fake_cpu_us_per_message": fake_us,
    }


async def make_all_due(url: URL) -> datetime:
    """Every message due now; the clock starts when that is committed (visible)."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute("UPDATE outbox_messages SET available_at = now()")
        return datetime.now(UTC)
    finally:
        await connection.close()


def _wait_until_sent(
    url: URL, processes: list[subprocess.Popen[bytes]]
) -> tuple[int, datetime | None]:
    deadline = time.monotonic() + START_UP_SECONDS + 600
    while time.monotonic() < deadline and asyncio.run(unsent_left(url)):
        if any(p.poll() is not None for p in processes):
            refuse("a worker exited early")
        time.sleep(0.2)
    return asyncio.run(outbox_state(url))


def main() -> None:
    options = parse_options()
    url = database_url_from_env()
    prepare_schema(url, options.reset)
    one = run_once(url, options, workers=1)
    two = run_once(url, options, workers=2)
    print(
        json.dumps(
            {
                "messages_per_s_1_worker": one["messages_per_s"],
                "messages_per_s_2_workers": two["messages_per_s"],
                "lost": one["lost"] + two["lost"],
                "duplicates": one["duplicates"] + two["duplicates"],
                "worker_cpu_us_per_message_1_worker": one["worker_cpu_us_per_message"],
                "fake_cpu_us_per_message_1_worker": one["fake_cpu_us_per_message"],
            }
        )
    )


if __name__ == "__main__":
    main()
