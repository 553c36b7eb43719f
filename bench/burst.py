"""A burst of signers with PostgreSQL restarted in the middle of it.

What it measures
    10,000 signers (--signers) arrive over 10 s (--seconds) on one petition, against
    two API processes (`campaign serve --workers 2`) and two outbox workers (`campaign
    worker`, file backend) on PostgreSQL. A tenth of the requests repeat an address
    already sent, and one in a hundred come from one IP, which the per-IP limit holds.
    Halfway through, PostgreSQL is restarted (--no-restart to skip that).

    It prints how many requests were accepted (202), refused (4xx), answered 503 and
    500 (the bar: none), and lost their connection. When the workers are done it checks
    that every address with a 202 holds exactly one signature, that every message in the
    outbox was written by the file backend, and how many were written twice.

How to run (from the repository root; needs aiohttp and root to restart PostgreSQL)
    CAMPAIGN_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python bench/burst.py --reset

    It restarts the whole PostgreSQL cluster (`pg_ctlcluster ... restart`): run it only
    where nothing else uses that server. The last line of standard output is one JSON
    object with the results; progress goes to standard error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from sign_load import (
    HOST,
    BenchError,
    Server,
    asyncpg_dsn,
    campaign_command,
    campaign_env,
    create_published_petition,
    create_staff_token,
    database_url_from_env,
    free_port,
    prepare_schema,
    progress,
    stop_server,
    wait_until_healthy,
)
from sqlalchemy.engine import URL

FLOOD_IP = "198.51.100.66"
SLUG = "burst"
REQUEST_TIMEOUT_S = 30.0
# How long the workers get, after the burst, to resolve and send everything.
SETTLE_TIMEOUT_S = 300.0


def parse_options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signers", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=256, help="requests in flight at most")
    parser.add_argument("--repeat-fraction", type=float, default=0.10)
    parser.add_argument("--flood-fraction", type=float, default=0.01)
    parser.add_argument("--no-restart", action="store_true", help="leave PostgreSQL running")
    parser.add_argument("--reset", action="store_true", help="recreate the schema first")
    return parser.parse_args(argv)


# --- the processes --------------------------------------------------------------------


def server_env(url: URL, outbox: Path) -> dict[str, str]:
    return campaign_env(
        url,
        run_worker_in_process="false",
        migrate_on_start="false",
        email_backend="file",
        email_file_dir=str(outbox),
        worker_poll_seconds="0.2",
        # Signers come from many addresses (X-Forwarded-For from this machine is believed).
        forwarded_allow_ips=HOST,
        # The per-IP limit holds the flood; the petition-wide and per-domain limits would
        # hold most of a burst this size (every address here is at example.org), and the
        # burst is about what a restart does, not about those limits.
        sign_campaign_rate_limit="1000000/minute",
        sign_domain_rate_limit="1000000/minute",
    )


@contextlib.contextmanager
def running_system(url: URL, outbox: Path, logs: Path) -> Iterator[Server]:
    """Two API processes and two outbox workers, stopped on the way out."""
    env = server_env(url, outbox)
    port = free_port()
    log = (logs / "serve.log").open("wb")
    serve = subprocess.Popen(
        campaign_command("serve", "--host", HOST, "--port", str(port), "--workers", "2"),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Server(serve, f"http://{HOST}:{port}", logs / "serve.log")
    workers = []
    try:
        wait_until_healthy(server)
        for number in (1, 2):
            worker_log = (logs / f"worker{number}.log").open("wb")
            workers.append(
                subprocess.Popen(
                    campaign_command("worker"),
                    env=env,
                    stdout=worker_log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        yield server
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
        stop_server(server)
        log.close()


def restart_postgres() -> float:
    """Restart the cluster; returns how long it took."""
    versions = sorted(Path("/etc/postgresql").iterdir())
    if not versions:
        raise BenchError("no PostgreSQL cluster under /etc/postgresql")
    started = time.monotonic()
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1].name, "main", "restart"],
        check=True,
        capture_output=True,
    )
    return time.monotonic() - started


# --- the burst ------------------------------------------------------------------------


def signer_plan(options: argparse.Namespace, run: str) -> list[tuple[str, str]]:
    """(email, client IP) per request, in the order they are sent."""
    rng = random.Random(run)
    plan: list[tuple[str, str]] = []
    for number in range(options.signers):
        if plan and rng.random() < options.repeat_fraction:
            email = rng.choice(plan)[0]
        else:
            email = f"burst-{run}-{number}@example.org"
        if rng.random() < options.flood_fraction:
            ip = FLOOD_IP
        else:
            ip = f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"
        plan.append((email, ip))
    return plan


def body_for(email: str) -> bytes:
    return json.dumps(
        {
            "given_name": "Burst",
            "family_name": "Signer",
            "email": email,
            "country": "GB",
            "postcode": "SW1A 1AA",
            "consent": {"email_updates": False},
        }
    ).encode()


async def send_burst(
    server: Server, plan: list[tuple[str, str]], options: argparse.Namespace
) -> tuple[Counter[str], list[tuple[str, str]], float | None]:
    """Send the plan at an even pace; returns answers by kind, the (email, ip) of each
    202, and how long the PostgreSQL restart took (None without one)."""
    url = f"{server.base_url}/api/v1/campaigns/{SLUG}/signatures"
    answers: Counter[str] = Counter()
    accepted: list[tuple[str, str]] = []
    slots = asyncio.Semaphore(options.concurrency)
    interval = options.seconds / len(plan)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    connector = aiohttp.TCPConnector(limit=options.concurrency)

    async def sign(session: aiohttp.ClientSession, email: str, ip: str) -> None:
        try:
            headers = {"Content-Type": "application/json", "X-Forwarded-For": ip}
            async with session.post(url, data=body_for(email), headers=headers) as answer:
                await answer.read()
                status = answer.status
        except (aiohttp.ClientError, TimeoutError):
            answers["connection error"] += 1
            return
        finally:
            slots.release()
        answers[str(status)] += 1
        if status == 202:
            accepted.append((email, ip))

    restart: asyncio.Task[float] | None = None
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.monotonic()
        tasks = []
        for index, (email, ip) in enumerate(plan):
            if restart is None and not options.no_restart and index >= len(plan) // 2:
                progress("restarting PostgreSQL")
                restart = asyncio.create_task(asyncio.to_thread(restart_postgres))
            delay = started + index * interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await slots.acquire()
            tasks.append(asyncio.create_task(sign(session, email, ip)))
        await asyncio.gather(*tasks)
        elapsed = time.monotonic() - started
    progress(f"sent {len(plan)} requests in {elapsed:.1f} s")
    restart_seconds = await restart if restart is not None else None
    answers["elapsed_ms"] = round(elapsed * 1000)
    return answers, accepted, restart_seconds


# --- afterwards -----------------------------------------------------------------------


async def wait_until_settled(url: URL) -> float:
    """Until no submission waits and no message is pending or being sent."""
    started = time.monotonic()
    while time.monotonic() - started < SETTLE_TIMEOUT_S:
        connection = await asyncpg.connect(asyncpg_dsn(url))
        try:
            waiting = await connection.fetchval(
                "SELECT count(*) FROM outbox_messages WHERE status NOT IN ('sent', 'failed')"
            )
            if await connection.fetchval("SELECT to_regclass('signature_submissions')"):
                waiting += await connection.fetchval("SELECT count(*) FROM signature_submissions")
        finally:
            await connection.close()
        if waiting == 0:
            return time.monotonic() - started
        await asyncio.sleep(1.0)
    raise BenchError(f"still {waiting} submissions or messages waiting after {SETTLE_TIMEOUT_S} s")


async def stored(url: URL) -> tuple[Counter[str], dict[int, str], Counter[str]]:
    """Signatures per address, outbox id → address of every message, and statuses."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        signatures = await connection.fetch(
            """SELECT p.email_normalised AS email, s.status
                 FROM signatures s JOIN people p ON p.id = s.person_id
                 JOIN campaigns c ON c.id = s.campaign_id WHERE c.slug = $1""",
            SLUG,
        )
        messages = await connection.fetch(
            """SELECT o.id, o.to_address, o.status FROM outbox_messages o
                 JOIN campaigns c ON c.id = o.campaign_id WHERE c.slug = $1""",
            SLUG,
        )
    finally:
        await connection.close()
    per_address = Counter(row["email"] for row in signatures)
    statuses = Counter(row["status"] for row in signatures)
    statuses.update(f"email {row['status']}" for row in messages)
    return per_address, {row["id"]: row["to_address"] for row in messages}, statuses


def written_emails(outbox: Path) -> Counter[int]:
    """How many times each outbox id was written as a file (each attempt is its own file
    or overwrites one; the header names the message either way)."""
    parser = BytesParser(policy=policy.default)
    written: Counter[int] = Counter()
    for path in outbox.glob("*.eml"):
        email = parser.parsebytes(path.read_bytes(), headersonly=True)
        written[int(email["X-Campaign-Outbox-Id"])] += 1
    return written


def check(
    accepted: list[tuple[str, str]],
    per_address: Counter[str],
    messages: dict[int, str],
    written: Counter[int],
) -> dict[str, int]:
    accepted_addresses = {email for email, _ in accepted}
    return {
        "accepted_addresses": len(accepted_addresses),
        "signatures": sum(per_address.values()),
        "accepted_but_missing": sum(1 for e in accepted_addresses if e not in per_address),
        "addresses_signed_twice": sum(1 for n in per_address.values() if n > 1),
        "stored_without_a_202": sum(1 for e in per_address if e not in accepted_addresses),
        "emails_queued": len(messages),
        "emails_never_written": sum(1 for outbox_id in messages if outbox_id not in written),
        "emails_written_twice": sum(1 for n in written.values() if n > 1),
    }


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    url = database_url_from_env()
    run = f"{int(time.time())}"
    workdir = Path(tempfile.mkdtemp(prefix="campaign-burst-"))
    outbox = workdir / "outbox"
    try:
        prepare_schema(url, options.reset)
        with running_system(url, outbox, workdir) as server:
            token = create_staff_token(url)
            create_published_petition(server, token, SLUG)
            plan = signer_plan(options, run)
            progress(f"sending {len(plan)} signers over {options.seconds:.0f} s")
            answers, accepted, restart_seconds = asyncio.run(send_burst(server, plan, options))
            settled = asyncio.run(wait_until_settled(url))
        per_address, messages, statuses = asyncio.run(stored(url))
        result: dict[str, Any] = {
            "requests": len(plan),
            "answers": dict(answers),
            "postgres_restart_s": restart_seconds and round(restart_seconds, 2),
            "settled_after_s": round(settled, 1),
            "statuses": dict(statuses),
            **check(accepted, per_address, messages, written_emails(outbox)),
        }
    except BenchError as error:
        print(f"burst: {error}; the logs are in {workdir}", file=sys.stderr)
        return 1
    for key, value in result.items():
        print(f"{key:>24}: {value}", file=sys.stderr)
    print(json.dumps(result))
    bad = result["answers"].get("500", 0) + result["accepted_but_missing"]
    bad += result["addresses_signed_twice"] + result["emails_written_twice"]
    if bad:
        print(f"burst: a bar is missed; the logs are in {workdir}", file=sys.stderr)
        return 1
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
