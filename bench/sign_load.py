"""Load benchmark for signing a petition, end to end over HTTP, against PostgreSQL.

What it measures
    How many signatures per second `campaign serve` accepts (202 answers) when
    --concurrency clients sign one published petition at once over keep-alive HTTP,
    with the latency of each answer (p50/p95/p99). Most addresses are new; a
    --repeat-fraction of requests reuse an address already accepted (the "already
    signed" path). Afterwards it checks in the database that every accepted address
    holds exactly one signature (nothing lost, nothing doubled) and counts the
    confirmation emails queued in the outbox.

    In the same run, pgbench replays the same transaction (bench/pgbench_sign.sql)
    straight against PostgreSQL: that is the ceiling the database alone allows on this
    machine, and the result is also given as a fraction of it.

    A signing request writes a submission; the worker turns submissions into signatures
    and queues their emails. The worker does not run during the load (in production it
    is its own process): once the load stops, this script runs the worker's resolution
    step itself, reports how long it took, and then checks. Queued emails are not sent.
    The signing limits are lifted, since every request comes from 127.0.0.1.

How to run (from the repository root; needs aiohttp, see bench/README.md)
    CAMPAIGN_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python bench/sign_load.py --reset --duration 20

    --reset drops and recreates the `public` schema of that database first; without it
    the schema is brought to the newest migration. The last line of standard output is
    one JSON object with the results; progress goes to standard error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import aiohttp
import asyncpg
from sqlalchemy.engine import URL, make_url

HOST = "127.0.0.1"
BENCH_DIR = Path(__file__).resolve().parent
PGBENCH_SCRIPT = BENCH_DIR / "pgbench_sign.sql"

# The goal: signing over HTTP at half the rate of pgbench running the request's own
# transaction in the same run, p99 under 50 ms, at most half a millisecond of server CPU
# per signature, nothing lost or doubled.
TARGET_RATIO = 0.5
TARGET_P99_MS = 50.0
TARGET_CPU_MS = 0.5

SERVER_START_TIMEOUT_S = 60.0
SERVER_STOP_TIMEOUT_S = 15.0
REQUEST_TIMEOUT_S = 30.0
# After the measured window, requests still in flight get this long to finish.
DRAIN_TIMEOUT_S = REQUEST_TIMEOUT_S + 5.0
ERROR_PAUSE_S = 0.05

# The request body, split around the address so a request costs one concatenation.
_SIGNATURE_BODY = json.dumps(
    {
        "given_name": "Bench",
        "family_name": "Signer",
        "email": "EMAIL",
        "country": "GB",
        "postcode": "SW1A 1AA",
        "consent": {"email_updates": True},
    }
).encode()
BODY_BEFORE_EMAIL, BODY_AFTER_EMAIL = _SIGNATURE_BODY.split(b"EMAIL")
JSON_HEADERS = {"Content-Type": "application/json"}
CLOSING_HEADERS = {**JSON_HEADERS, "Connection": "close"}


class BenchError(Exception):
    """The benchmark could not run (as opposed to: it ran and missed the target)."""


# --- options and configuration -------------------------------------------------------


@dataclass(frozen=True)
class Options:
    concurrency: int
    duration: float
    warmup: float
    repeat_fraction: float
    pool_size: int
    workers: int
    pgbench_clients: int
    reconnect_every: int
    skip_pgbench: bool
    reset: bool


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        description="Load benchmark for signing a petition (see the module docstring).",
    )
    parser.add_argument("--concurrency", type=int, default=24, help="HTTP clients at once")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    parser.add_argument(
        "--repeat-fraction",
        type=float,
        default=0.1,
        help="share of requests that reuse an address already accepted",
    )
    parser.add_argument(
        "--pool-size", type=int, default=20, help="server's CAMPAIGN_DATABASE_POOL_SIZE"
    )
    parser.add_argument("--workers", type=int, default=2, help="server processes (serve --workers)")
    parser.add_argument(
        "--pgbench-clients", type=int, default=16, help="pgbench -c for the raw database run"
    )
    parser.add_argument(
        "--reconnect-every",
        type=int,
        default=20,
        help="each client closes its connection after this many requests (0: never)",
    )
    parser.add_argument("--skip-pgbench", action="store_true", help="skip the raw database run")
    parser.add_argument(
        "--reset",
        action="store_true",
        help="drop and recreate the public schema of CAMPAIGN_DATABASE_URL first",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.concurrency <= 1000:
        parser.error("--concurrency must be between 1 and 1000")
    if not 0 < args.duration <= 600 or not 0 <= args.warmup <= 60:
        parser.error("--duration must be in (0, 600] and --warmup in [0, 60]")
    if not 0 <= args.repeat_fraction < 1:
        parser.error("--repeat-fraction must be in [0, 1)")
    if not 1 <= args.workers <= 16:
        parser.error("--workers must be between 1 and 16")
    if args.reconnect_every < 0:
        parser.error("--reconnect-every must be 0 or more")
    if not 1 <= args.pool_size <= 200 or not 1 <= args.pgbench_clients <= 200:
        parser.error("--pool-size and --pgbench-clients must be between 1 and 200")
    return Options(**vars(args))


def database_url_from_env() -> URL:
    """The PostgreSQL URL to use, or exit 2 with the reason."""
    raw = os.environ.get("CAMPAIGN_DATABASE_URL", "").strip()
    if not raw:
        refuse(
            "CAMPAIGN_DATABASE_URL is not set (e.g. postgresql+asyncpg://postgres@127.0.0.1/bench)"
        )
    try:
        url = make_url(raw)
    except Exception:
        refuse("CAMPAIGN_DATABASE_URL is not a database URL")
    if url.get_backend_name() != "postgresql":
        refuse(f"CAMPAIGN_DATABASE_URL must be PostgreSQL, not {url.get_backend_name()!r}")
    if not url.database:
        refuse("CAMPAIGN_DATABASE_URL names no database")
    return url


def refuse(reason: str) -> NoReturn:
    print(f"sign_load: {reason}", file=sys.stderr)
    sys.exit(2)


def asyncpg_dsn(url: URL) -> str:
    """The SQLAlchemy URL without its driver part, which asyncpg reads directly."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- the campaign command line --------------------------------------------------------


def campaign_command(*args: str) -> list[str]:
    """`campaign ...` from this interpreter's environment."""
    script = Path(sys.executable).with_name("campaign")
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-c", "from campaign.cli import app; app()", *args]


def campaign_env(url: URL, **settings: str) -> dict[str, str]:
    env = dict(os.environ)
    # A benchmark's server is a development one: its links need no real secret.
    env.setdefault("CAMPAIGN_ENVIRONMENT", "development")
    env["CAMPAIGN_DATABASE_URL"] = url.render_as_string(hide_password=False)
    env.update({f"CAMPAIGN_{name.upper()}": value for name, value in settings.items()})
    return env


def run_campaign(url: URL, *args: str) -> str:
    """Run a `campaign` subcommand to completion and return its standard output."""
    result = subprocess.run(
        campaign_command(*args),
        env=campaign_env(url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise BenchError(f"`campaign {' '.join(args)}` failed:\n{result.stderr.strip()}")
    return result.stdout


# --- database schema ------------------------------------------------------------------


async def reset_schema(url: URL) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
    finally:
        await connection.close()


def prepare_schema(url: URL, reset: bool) -> None:
    if reset:
        progress(f"dropping and recreating schema public in database {url.database!r}")
        asyncio.run(reset_schema(url))
    progress("campaign db upgrade")
    run_campaign(url, "db", "upgrade")


def create_staff_token(url: URL) -> str:
    lines = run_campaign(url, "staff", "create-token", "--name", "bench", "--role", "admin")
    token = lines.strip().splitlines()[-1].strip() if lines.strip() else ""
    if not token:
        raise BenchError("`campaign staff create-token` printed no token")
    return token


# --- the server -----------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def running_server(url: URL, pool_size: int, workers: int, log_path: Path) -> Iterator[Server]:
    """`campaign serve` on a free local port; stopped on the way out, whatever happens."""
    port = free_port()
    env = campaign_env(
        url,
        run_worker_in_process="false",
        sign_rate_limit="1000000/second",
        sign_campaign_rate_limit="1000000/second",
        sign_domain_rate_limit="1000000/second",
        database_pool_size=str(pool_size),
        migrate_on_start="false",
    )
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            campaign_command(
                "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)
            ),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us; we stop the server in order
        )
    server = Server(process, f"http://{HOST}:{port}", log_path)
    try:
        wait_until_healthy(server)
        yield server
    finally:
        stop_server(server)


def wait_until_healthy(server: Server) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"the server exited at start:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"{server.base_url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise BenchError(f"the server did not answer /healthz in time:\n{server.log_tail()}")


def stop_server(server: Server) -> None:
    process = server.process
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
    try:
        process.wait(timeout=SERVER_STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- the staff API --------------------------------------------------------------------


def staff_request(server: Server, token: str, path: str, body: dict[str, Any] | None) -> int:
    request = urllib.request.Request(
        f"{server.base_url}{path}",
        data=json.dumps(body or {}).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", **JSON_HEADERS},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        detail = error.read().decode(errors="replace")
        raise BenchError(f"POST {path} answered {error.code}: {detail}") from error


def create_published_petition(server: Server, token: str, slug: str) -> None:
    petition = {
        "slug": slug,
        "title": "Bench petition",
        "summary": "Load test",
        "body_markdown": "Load test petition.",
        "target": "Everyone",
        "language": "en",
    }
    created = staff_request(server, token, "/api/v1/staff/campaigns", petition)
    published = staff_request(server, token, f"/api/v1/staff/campaigns/{slug}/publish", None)
    if (created, published) != (201, 200):
        raise BenchError(f"creating petition {slug}: answers {created} and {published}")


# --- CPU accounting (Linux /proc; empty elsewhere) -------------------------------------


@dataclass(frozen=True)
class CpuSample:
    at: float
    machine_busy: float  # seconds of CPU used on all cores
    server: float  # seconds of CPU used by the server process and its worker processes
    load_generator: float  # seconds of CPU used by this process
    # Seconds of CPU per server process (the supervisor and each worker process), so an
    # uneven spread of connections over the processes shows.
    per_process: dict[int, float] = field(default_factory=dict)


def sample_cpu(server_pid: int) -> CpuSample | None:
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        idle = int(fields[3]) + int(fields[4])  # idle + iowait
        busy = sum(int(value) for value in fields[:8]) - idle
        per_process = {pid: process_cpu_ticks(pid) / ticks for pid in process_tree(server_pid)}
    except (OSError, ValueError, IndexError):
        return None
    own = os.times()
    server = sum(per_process.values())
    return CpuSample(time.monotonic(), busy / ticks, server, own.user + own.system, per_process)


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (`serve --workers N` runs N child processes)."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        for child in children:
            found.extend(process_tree(int(child)))
    return found


def connections_per_process(server_pid: int, port: int) -> dict[int, int]:
    """Established connections to the server's port held by each of its processes (from
    /proc; empty where there is none)."""
    try:
        listening_port = f"{port:04X}"
        established: set[str] = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[1].rsplit(":", 1)[1] == listening_port and fields[3] == "01":
                    established.add(fields[9])  # the socket's inode
        counts = {pid: len(socket_inodes(pid) & established) for pid in process_tree(server_pid)}
    except (OSError, ValueError, IndexError):
        return {}
    return {pid: n for pid, n in counts.items() if n}


def socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):  # closed meanwhile
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    return inodes


def process_cpu_ticks(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(stat[11]) + int(stat[12])  # utime + stime


def describe_cpu(start: CpuSample | None, end: CpuSample | None) -> dict[str, float]:
    """Percent of one core used during the window, per part, and the rest (PostgreSQL)."""
    if start is None or end is None or end.at <= start.at:
        return {}
    elapsed = end.at - start.at
    machine = (end.machine_busy - start.machine_busy) / elapsed * 100
    server = (end.server - start.server) / elapsed * 100
    load = (end.load_generator - start.load_generator) / elapsed * 100
    described = {
        "machine": machine,
        "server": server,
        "server_cpu_s": end.server - start.server,
        "load_generator": load,
        "rest": max(machine - server - load, 0.0),
        "cores": float(os.cpu_count() or 1),
    }
    for pid, used in end.per_process.items():
        described[f"process {pid}"] = (used - start.per_process.get(pid, 0.0)) / elapsed * 100
    return described


# --- the load -------------------------------------------------------------------------


@dataclass
class LoadResult:
    measured_s: float
    accepted_in_window: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    # Every address the server answered 202 for, in any phase, with how many times.
    accepted: Counter[str] = field(default_factory=Counter)
    requests_sent: int = 0
    cpu: dict[str, float] = field(default_factory=dict)
    # Open connections per server worker process when the measured window began.
    connections: dict[int, int] = field(default_factory=dict)


class SigningLoad:
    """Closed-loop clients: each sends its next signature as soon as the last is answered."""

    def __init__(self, sign_url: str, port: int, options: Options, run_tag: str) -> None:
        self.sign_url = sign_url
        self.port = port
        self.options = options
        self.run_tag = run_tag
        self.result = LoadResult(measured_s=options.duration)
        self.accepted_distinct: list[str] = []  # for picking repeats
        self.expected_body: bytes | None = None
        self.next_address = 0
        self.window_start = 0.0
        self.window_end = 0.0

    def pick_email(self) -> str:
        if self.accepted_distinct and random.random() < self.options.repeat_fraction:
            return random.choice(self.accepted_distinct)
        self.next_address += 1
        return f"u{self.next_address}.r{self.run_tag}@bench.example"

    async def run(self, server_pid: int) -> LoadResult:
        connector = aiohttp.TCPConnector(limit=self.options.concurrency, force_close=False)
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
        async with aiohttp.ClientSession(
            connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()
        ) as http:
            now = time.perf_counter()
            self.window_start = now + self.options.warmup
            self.window_end = self.window_start + self.options.duration
            clients = [
                asyncio.create_task(self.client(http)) for _ in range(self.options.concurrency)
            ]
            await asyncio.sleep(max(self.window_start - time.perf_counter(), 0))
            cpu_start = sample_cpu(server_pid)
            self.result.connections = connections_per_process(server_pid, self.port)
            await asyncio.sleep(max(self.window_end - time.perf_counter(), 0))
            cpu_end = sample_cpu(server_pid)
            await asyncio.wait_for(asyncio.gather(*clients), DRAIN_TIMEOUT_S)
        self.result.cpu = describe_cpu(cpu_start, cpu_end)
        return self.result

    async def client(self, http: aiohttp.ClientSession) -> None:
        result = self.result
        window_start, window_end = self.window_start, self.window_end
        reconnect_every = self.options.reconnect_every
        sent = 0
        while (started := time.perf_counter()) < window_end:
            email = self.pick_email()
            body = BODY_BEFORE_EMAIL + email.encode() + BODY_AFTER_EMAIL
            result.requests_sent += 1
            sent += 1
            # Now and then a fresh connection: the server's processes share one listening
            # socket, and whichever is least busy takes it. Kept open for good, the first
            # burst of connections often all went to one process, and the run measured one.
            last = reconnect_every and sent % reconnect_every == 0
            headers = CLOSING_HEADERS if last else JSON_HEADERS
            try:
                async with http.post(self.sign_url, data=body, headers=headers) as answer:
                    payload = await answer.read()
                    status = answer.status
            except (aiohttp.ClientError, TimeoutError) as error:
                self.record_error(type(error).__name__, repr(error))
                await asyncio.sleep(ERROR_PAUSE_S)  # no busy loop if the server is gone
                continue
            finished = time.perf_counter()
            if status != 202 or not self.is_expected_body(payload):
                self.record_error(f"HTTP {status}", payload[:300].decode(errors="replace"))
                continue
            if result.accepted[email] == 0:
                self.accepted_distinct.append(email)
            result.accepted[email] += 1
            if window_start <= finished < window_end:
                result.accepted_in_window += 1
                result.latencies_ms.append((finished - started) * 1000)

    def is_expected_body(self, payload: bytes) -> bool:
        """Every 202 must carry the same body: the endpoint reveals nothing per address."""
        if self.expected_body is None:
            self.expected_body = payload
        return payload == self.expected_body

    def record_error(self, kind: str, detail: str) -> None:
        self.result.errors[kind] += 1
        if len(self.result.error_samples) < 5:
            self.result.error_samples.append(f"{kind}: {detail}")


def event_loop_factory() -> Any:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run_load(server: Server, slug: str, options: Options, run_tag: str) -> LoadResult:
    port = int(server.base_url.rsplit(":", 1)[1])
    url = f"{server.base_url}/api/v1/campaigns/{slug}/signatures"
    load = SigningLoad(url, port, options, run_tag)
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        return runner.run(load.run(server.process.pid))


# --- checking what was stored ---------------------------------------------------------


@dataclass(frozen=True)
class StoredCheck:
    accepted_distinct: int
    signature_rows: int
    lost: int
    duplicates: int
    not_acknowledged: int  # rows for addresses whose request got no 202 (errors, timeouts)
    statuses: dict[str, int]
    outbox_rows: int
    outbox_expected: int


async def check_stored(url: URL, slug: str, accepted: Counter[str], max_emails: int) -> StoredCheck:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await connection.fetch(
            """
            SELECT p.email_normalised AS email, count(*) AS n
              FROM signatures s
              JOIN people p ON p.id = s.person_id
              JOIN campaigns c ON c.id = s.campaign_id
             WHERE c.slug = $1
             GROUP BY p.email_normalised
            """,
            slug,
        )
        statuses = await connection.fetch(
            """
            SELECT s.status, count(*) AS n FROM signatures s
              JOIN campaigns c ON c.id = s.campaign_id
             WHERE c.slug = $1 GROUP BY s.status
            """,
            slug,
        )
        outbox_rows = await connection.fetchval(
            """
            SELECT count(*) FROM outbox_messages o
              JOIN campaigns c ON c.id = o.campaign_id WHERE c.slug = $1
            """,
            slug,
        )
    finally:
        await connection.close()
    stored = {row["email"]: row["n"] for row in rows}
    return StoredCheck(
        accepted_distinct=len(accepted),
        signature_rows=sum(stored.values()),
        lost=sum(1 for email in accepted if email not in stored),
        duplicates=sum(1 for n in stored.values() if n > 1),
        not_acknowledged=sum(1 for email in stored if email not in accepted),
        statuses={row["status"]: row["n"] for row in statuses},
        outbox_rows=int(outbox_rows),
        # One confirmation for the first signature, one more per repeat up to the cap.
        outbox_expected=sum(min(n, max_emails) for n in accepted.values()),
    )


async def rows_per_commit(url: URL, slug: str) -> float | None:
    """How many submissions the server wrote per transaction, on average: rows written by
    one transaction share its id (xmin). Read before the resolution step deletes them."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        row = await connection.fetchrow(
            """
            SELECT count(*) AS n, count(DISTINCT s.xmin::text) AS commits
              FROM signature_submissions s JOIN campaigns c ON c.id = s.campaign_id
             WHERE c.slug = $1
            """,
            slug,
        )
    finally:
        await connection.close()
    return round(row["n"] / row["commits"], 2) if row and row["commits"] else None


async def resolve_submissions(url: URL) -> tuple[int, float]:
    """The worker's first step, until no submission is left: (how many, seconds)."""
    from campaign.config import Settings
    from campaign.db import create_engine, create_session_factory
    from campaign.signatures.submissions import resolve_due_submissions

    settings = Settings(
        environment="development", database_url=url.render_as_string(hide_password=False)
    )
    engine = create_engine(settings)
    factory = create_session_factory(engine)
    taken = 0
    started = time.monotonic()
    try:
        while batch := await resolve_due_submissions(factory, settings):
            taken += batch
    finally:
        await engine.dispose()
    return taken, time.monotonic() - started


def max_emails_per_signature() -> int:
    from campaign.config import Settings

    return Settings(environment="development").max_emails_per_signature


async def campaign_ids(url: URL, slug: str) -> tuple[int, int]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        row = await connection.fetchrow(
            "SELECT id, consent_text_id FROM campaigns WHERE slug = $1", slug
        )
    finally:
        await connection.close()
    if row is None:
        raise BenchError(f"petition {slug} is not in the database")
    return int(row["id"]), int(row["consent_text_id"])


# --- the raw database limit (pgbench) ---------------------------------------------------


@dataclass(frozen=True)
class PgbenchResult:
    tps: float
    latency_ms: float | None
    failed: int
    command: str


def run_pgbench(url: URL, slug: str, clients: int, duration: float, run_tag: str) -> PgbenchResult:
    pgbench = shutil.which("pgbench")
    if pgbench is None:
        raise BenchError("pgbench is not on the PATH (or pass --skip-pgbench)")
    campaign_id, consent_text_id = asyncio.run(campaign_ids(url, slug))
    command = [
        pgbench,
        *libpq_arguments(url),
        "-n",
        "-M",
        "prepared",
        "-c",
        str(clients),
        "-j",
        str(min(clients, os.cpu_count() or 1)),
        "-T",
        str(max(round(duration), 1)),
        "-f",
        str(PGBENCH_SCRIPT),
        "-D",
        f"campaign_id={campaign_id}",
        "-D",
        f"consent_text_id={consent_text_id}",
        "-D",
        f"run={run_tag}",
        "-D",
        "seq=0",
        str(url.database),
    ]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=duration + 120, check=False
    )
    if result.returncode != 0:
        raise BenchError(f"pgbench failed:\n{result.stderr.strip()}\n{result.stdout.strip()}")
    return parse_pgbench(result.stdout, " ".join(command[1:]))


def libpq_arguments(url: URL) -> list[str]:
    arguments = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432)]
    if url.username:
        arguments += ["-U", url.username]
    return arguments


def parse_pgbench(output: str, command: str) -> PgbenchResult:
    tps = re.search(r"^tps = ([\d.]+) \(without initial connection time\)", output, re.M)
    if tps is None:
        raise BenchError(f"no 'tps = ...' line in pgbench's output:\n{output}")
    latency = re.search(r"^latency average = ([\d.]+) ms", output, re.M)
    failed = re.search(r"^number of failed transactions: (\d+)", output, re.M)
    return PgbenchResult(
        tps=float(tps.group(1)),
        latency_ms=float(latency.group(1)) if latency else None,
        failed=int(failed.group(1)) if failed else 0,
        command=command,
    )


# --- the report -----------------------------------------------------------------------


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(int(fraction * len(sorted_values)), len(sorted_values) - 1)
    return sorted_values[index]


def summarise(
    options: Options,
    load: LoadResult,
    stored: StoredCheck,
    raw: PgbenchResult | None,
    per_commit: float | None,
) -> dict[str, Any]:
    latencies = sorted(load.latencies_ms)
    rate = load.accepted_in_window / load.measured_s
    return {
        "signatures_per_s": round(rate, 1),
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "errors": sum(load.errors.values()),
        "lost": stored.lost,
        "duplicates": stored.duplicates,
        "raw_pgbench_tps": round(raw.tps, 1) if raw else None,
        "ratio_to_raw": round(rate / raw.tps, 3) if raw and raw.tps > 0 else None,
        "concurrency": options.concurrency,
        "duration_s": options.duration,
        "cpu_ms_per_signature": cpu_ms_per_signature(load),
        "submissions_per_commit": per_commit,
    }


def cpu_ms_per_signature(load: LoadResult) -> float | None:
    """The server processes' CPU time in the measured window over the signatures accepted
    in it: unlike the rate, this hardly moves with what else the machine is doing."""
    if not load.cpu or not load.accepted_in_window:
        return None
    return round(load.cpu["server_cpu_s"] * 1000 / load.accepted_in_window, 3)


def target_verdict(summary: dict[str, Any]) -> str:
    misses = []
    ratio = summary["ratio_to_raw"]
    if ratio is None:
        misses.append("no pgbench run to compare with")
    elif ratio < TARGET_RATIO:
        misses.append(f"{ratio} of pgbench < {TARGET_RATIO}")
    if summary["p99_ms"] >= TARGET_P99_MS:
        misses.append(f"p99 {summary['p99_ms']} ms >= {TARGET_P99_MS:.0f} ms")
    cpu_ms = summary["cpu_ms_per_signature"]
    if cpu_ms is not None and cpu_ms > TARGET_CPU_MS:
        misses.append(f"{cpu_ms} ms of server CPU per signature > {TARGET_CPU_MS}")
    if summary["lost"] or summary["duplicates"] or summary["errors"]:
        misses.append(
            f"{summary['lost']} lost, {summary['duplicates']} duplicated, "
            f"{summary['errors']} errors"
        )
    target = (
        f"target: >= {TARGET_RATIO} of pgbench's rate in the same run, "
        f"p99 < {TARGET_P99_MS:.0f} ms, <= {TARGET_CPU_MS} ms of server CPU per signature, "
        "nothing lost"
    )
    return f"PASS ({target})" if not misses else f"MISS ({target}): " + "; ".join(misses)


def print_report(
    options: Options,
    load: LoadResult,
    stored: StoredCheck,
    raw: PgbenchResult | None,
    summary: dict[str, Any],
) -> None:
    print(
        f"signing load: {options.concurrency} clients for {options.duration:g} s "
        f"(after {options.warmup:g} s warm-up), repeat fraction {options.repeat_fraction:g}, "
        f"server pool size {options.pool_size}"
    )
    print(
        f"  server: `campaign serve --workers {options.workers}`; outbox worker not in process "
        "(a separate process in production; emails stay queued); signing rate limit lifted"
    )
    print(
        f"  accepted: {summary['signatures_per_s']} signatures/s "
        f"({load.accepted_in_window} in the window; {load.requests_sent} requests in all)"
    )
    print(
        f"  latency:  p50 {summary['p50_ms']} ms, p95 {summary['p95_ms']} ms, "
        f"p99 {summary['p99_ms']} ms, max {max(load.latencies_ms, default=0):.1f} ms"
    )
    print(f"  errors:   {summary['errors']} {dict(load.errors) or ''}".rstrip())
    for sample in load.error_samples:
        print(f"            e.g. {sample}")
    print(
        f"  stored:   {stored.accepted_distinct} addresses accepted, {stored.signature_rows} "
        f"signature rows {stored.statuses}; lost {stored.lost}, duplicated {stored.duplicates}, "
        f"stored without a 202 {stored.not_acknowledged}"
    )
    print(
        f"  written:  {summary['submissions_per_commit']} submissions per transaction; "
        "connections per server process at the window's start: "
        + (", ".join(f"{pid} {n}" for pid, n in load.connections.items()) or "unknown")
    )
    print(
        f"  outbox:   {stored.outbox_rows} emails queued "
        f"(expected {stored.outbox_expected}: one per new signature, one per repeat up to the cap)"
    )
    if load.cpu:
        cpu = load.cpu
        print(
            f"  cpu:      server {cpu['server']:.0f}% of a core, load generator "
            f"{cpu['load_generator']:.0f}%, rest (PostgreSQL, other) {cpu['rest']:.0f}%; "
            f"machine {cpu['machine']:.0f}% of {cpu['cores'] * 100:.0f}%"
        )
        processes = ", ".join(
            f"{name.split()[1]} {used:.0f}%"
            for name, used in cpu.items()
            if name.startswith("process ")
        )
        print(
            f"            per server process: {processes}; "
            f"{summary['cpu_ms_per_signature']} ms of server CPU per signature"
        )
    if raw is None:
        print("raw database (pgbench): skipped")
    else:
        latency = f", latency average {raw.latency_ms} ms" if raw.latency_ms is not None else ""
        print(
            f"raw database (pgbench, same transaction, {options.pgbench_clients} clients): "
            f"{raw.tps:.1f} tps{latency}, {raw.failed} failed"
        )
        print(f"  pgbench {raw.command}")
        print(f"  the server reaches {summary['ratio_to_raw']} of the raw database rate")
    print(target_verdict(summary))


# --- putting it together --------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    url = database_url_from_env()
    run_tag = str(int(time.time()))
    slug = f"bench-{run_tag}"
    raw_slug = f"bench-{run_tag}-raw"
    log_path = Path(tempfile.mkdtemp(prefix="campaign-bench-")) / "server.log"
    try:
        prepare_schema(url, options.reset)
        token = create_staff_token(url)
        progress(f"starting the server (log: {log_path})")
        with running_server(url, options.pool_size, options.workers, log_path) as server:
            create_published_petition(server, token, slug)
            create_published_petition(server, token, raw_slug)
            progress(
                f"signing {slug}: {options.concurrency} clients, "
                f"{options.warmup:g} s warm-up + {options.duration:g} s measured"
            )
            load = run_load(server, slug, options, run_tag)
            if load.errors:
                progress(f"server log, last lines:\n{server.log_tail()}")
        per_commit = asyncio.run(rows_per_commit(url, slug))
        resolved, resolve_seconds = asyncio.run(resolve_submissions(url))
        progress(
            f"resolved {resolved} submissions in {resolve_seconds:.1f} s "
            f"({resolved / max(resolve_seconds, 1e-9):.0f}/s)"
        )
        stored = asyncio.run(check_stored(url, slug, load.accepted, max_emails_per_signature()))
        raw = None
        if not options.skip_pgbench:
            progress(f"pgbench: {options.pgbench_clients} clients, {options.duration:g} s")
            raw = run_pgbench(url, raw_slug, options.pgbench_clients, options.duration, run_tag)
    except BenchError as error:
        print(f"sign_load: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("sign_load: interrupted", file=sys.stderr)
        return 130
    summary = summarise(options, load, stored, raw, per_commit)
    print_report(options, load, stored, raw, summary)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
