"""Mailing benchmark: one mailing to a million consenting signers, on PostgreSQL.

What it measures
    --recipients people, each with a confirmed signature on one petition and a yes to
    email updates, are written straight into the tables. A mailing to them is sent, and
    the worker's own enqueueing (OutboxWorker.enqueue_mailings, in this process) writes
    their outbox rows a chunk per transaction: the time that takes, and this process's
    resident memory at the start and at its peak (flat memory: the peak stays near the
    start, whatever the count). Then a `campaign worker` process sends the mailing
    through the real `sendgrid` client to a fake SendGrid on loopback: messages per
    second, from the first copy recorded as sent to the last (so, like
    bench/email_dispatch.py, sending and not the worker's start-up). While it sends, a
    signature confirmation is queued every `--confirm-every` seconds; each one's wait
    from being queued to being recorded as sent is reported (the bar: under 5 s, behind
    a queue of up to a million).

How to run (from the repository root)
    CAMPAIGN_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python bench/mailing.py --reset

    --reset drops and recreates the `public` schema first. The last line of standard
    output is one JSON object with the results; progress goes to standard error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from typing import Any

import asyncpg
from email_dispatch import (
    API_KEY,
    asyncpg_dsn,
    campaign_env,
    cpu_seconds,
    database_url_from_env,
    micros_per_message,
    prepare_schema,
    received_ids,
    start_fake_sendgrid,
    stop,
    unsent_left,
)
from sqlalchemy.engine import URL

from campaign.campaigns.schemas import CampaignCreate
from campaign.campaigns.service import create_campaign, get_campaign
from campaign.config import Settings
from campaign.consents.service import current_consent_text
from campaign.db import create_engine, create_session_factory, transaction
from campaign.mailings.schemas import MailingInput, MailingSend
from campaign.mailings.service import create_mailing, send_mailing
from campaign.models import Base
from emails.worker import OutboxWorker

# Every model is imported, so the session knows every table a foreign key names.
assert Base.metadata.tables


def progress(message: str) -> None:
    print(f"[mailing] {message}", file=sys.stderr, flush=True)


def resident_mib() -> float:
    """This process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_resident_mib() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


async def seed(url: URL, settings: Settings, count: int) -> None:
    """A petition and `count` signers who said yes to email updates."""
    engine = create_engine(settings)
    factory = create_session_factory(engine)
    async with transaction(factory) as session:
        campaign = await create_campaign(
            session,
            CampaignCreate(
                slug="meadows",
                title="Protect the meadows",
                summary="Keep the meadows wild.",
                body_markdown="The council must protect the meadows.",
                target="The council",
            ),
        )
        consent = await current_consent_text(session, "en")
        campaign_id, consent_id = campaign.id, consent.id
    await engine.dispose()
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        started = time.monotonic()
        await connection.execute(
            "INSERT INTO people (email_normalised, email, given_name, family_name, country,"
            " created_at, modified_at, custom_fields)"
            " SELECT 'p' || g || '@example.org', 'p' || g || '@example.org', 'Given' || g,"
            " 'Family', 'GB', now(), now(), '{}' FROM generate_series(1, $1) g",
            count,
        )
        await connection.execute(
            "INSERT INTO signatures (campaign_id, person_id, status, email, given_name,"
            " family_name, country, email_updates, channel, emails_sent, created_at,"
            " confirmed_at, modified_at)"
            " SELECT $1, id, 'confirmed', email, given_name, family_name, country, true,"
            " 'form', 1, now(), now(), now() FROM people",
            campaign_id,
        )
        await connection.execute(
            "INSERT INTO consent_records (person_id, consent_text_id, granted, language,"
            " campaign_id, channel, created_at)"
            " SELECT id, $1, true, 'en', $2, 'form', now() FROM people",
            consent_id,
            campaign_id,
        )
        await connection.execute("ANALYZE")
        progress(f"seeded {count:,} signers in {time.monotonic() - started:.1f} s")
    finally:
        await connection.close()


async def enqueue(settings: Settings) -> dict[str, Any]:
    engine = create_engine(settings)
    factory = create_session_factory(engine)
    try:
        async with transaction(factory) as session:
            campaign = await get_campaign(session, "meadows")
            mailing = await create_mailing(
                session,
                campaign,
                MailingInput(subject="The meadows are safe", body_markdown="We **won**."),
                created_by=None,
            )
            await send_mailing(session, mailing, MailingSend())
        worker = OutboxWorker(factory, settings)
        rss_start = current_resident_mib()
        started = time.monotonic()
        written = await worker.enqueue_mailings()
        elapsed = time.monotonic() - started
        rss_peak = resident_mib()
    finally:
        await engine.dispose()
    progress(
        f"enqueued {written:,} in {elapsed:.1f} s ({written / elapsed:,.0f}/s); "
        f"resident memory {rss_start:.0f} MiB at the start, peak {rss_peak:.0f} MiB"
    )
    return {
        "enqueued": written,
        "enqueue_s": round(elapsed, 1),
        "rss_start_mib": round(rss_start),
        "rss_peak_mib": round(rss_peak),
    }


async def queue_confirmation(url: URL, n: int) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute(
            "INSERT INTO outbox_messages (kind, to_address, to_name, context, status, attempts,"
            " created_at, available_at, delivery_status, priority)"
            " VALUES ('signature_confirmation', $1, 'New Signer', $2, 'pending', 0, now(),"
            " now(), 'queued', 0)",
            f"new{n}@example.org",
            json.dumps(
                {
                    "given_name": "New",
                    "campaign_title": "Protect the meadows",
                    "campaign_slug": "meadows",
                    "token": f"token-{n:012d}",
                }
            ),
        )
    finally:
        await connection.close()


async def outcome(url: URL) -> dict[str, Any]:
    """Read once, at the end: the mailing's copies sent and the span from the first to
    the last of them, and each sent confirmation's wait in seconds."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        copies = await connection.fetchrow(
            "SELECT count(*) AS sent, extract(epoch FROM max(sent_at) - min(sent_at)) AS span"
            " FROM outbox_messages WHERE mailing_id IS NOT NULL AND status = 'sent'"
        )
        waits = await connection.fetch(
            "SELECT extract(epoch FROM sent_at - created_at) AS wait FROM outbox_messages"
            " WHERE kind = 'signature_confirmation' AND status = 'sent'"
        )
    finally:
        await connection.close()
    return {
        "sent": int(copies["sent"]),
        "span_s": float(copies["span"] or 0.0),
        "waits": [float(row["wait"]) for row in waits],
    }


def send(url: URL, confirm_every: float) -> dict[str, Any]:
    fake, fake_url = start_fake_sendgrid()
    env = campaign_env(
        url,
        email_backend="sendgrid",
        sendgrid_api_key=API_KEY,
        sendgrid_host=fake_url,
        worker_poll_seconds="0.05",
    )
    worker = subprocess.Popen([sys.executable, "-m", "campaign", "worker"], env=env)
    confirmations = 0
    try:
        started = time.monotonic()
        next_confirmation = started + 1.0
        while asyncio.run(unsent_left(url)) and time.monotonic() - started < 3600:
            if time.monotonic() >= next_confirmation:
                asyncio.run(queue_confirmation(url, confirmations))
                confirmations += 1
                next_confirmation += confirm_every
            if worker.poll() is not None:
                raise SystemExit("the worker exited early")
            time.sleep(0.2)
        # The worker's start-up is in its figure too: about a second, a µs a copy.
        worker_cpu, fake_cpu = cpu_seconds(worker.pid), cpu_seconds(fake.pid)
        result = asyncio.run(outcome(url))
        received, _requests = received_ids(fake_url)
    finally:
        stop(worker)
        stop(fake)
    # From the first copy recorded as sent to the last, as bench/email_dispatch.py counts
    # from the moment its messages fall due: sending, not the worker's start-up.
    sent, span, waits = result["sent"], result["span_s"], result["waits"]
    rate = sent / span if span > 0 else 0.0
    duplicates = sum(count - 1 for count in received.values())
    progress(
        f"sent {sent:,} in {span:.1f} s = {rate:,.0f} messages/s;"
        f" {len(waits)} of {confirmations} confirmations sent, longest wait"
        f" {max(waits, default=float('nan')):.2f} s; duplicates {duplicates};"
        f" CPU per message: worker {micros_per_message(worker_cpu, sent)} µs,"
        f" fake SendGrid {micros_per_message(fake_cpu, sent)} µs"
    )
    return {
        "send_messages_per_s": round(rate, 1),
        "confirmations": confirmations,
        "confirmations_sent": len(waits),
        "confirmation_wait_max_s": round(max(waits, default=float("nan")), 2),
        "duplicates": duplicates,
        "worker_cpu_us_per_message": micros_per_message(worker_cpu, sent),
        "fake_cpu_us_per_message": micros_per_message(fake_cpu, sent),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=1_000_000)
    parser.add_argument("--confirm-every", type=float, default=5.0, help="seconds (5)")
    parser.add_argument("--reset", action="store_true", help="recreate the schema first")
    args = parser.parse_args()
    url = database_url_from_env()
    prepare_schema(url, args.reset)
    settings = Settings(
        environment="development", database_url=url.render_as_string(hide_password=False)
    )
    asyncio.run(seed(url, settings, args.recipients))
    enqueued = asyncio.run(enqueue(settings))
    sent = send(url, args.confirm_every)
    print(json.dumps({"recipients": args.recipients, **enqueued, **sent}))


if __name__ == "__main__":
    main()
