"""The `campaign` command: serve, migrate, manage staff tokens, run the demo."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from campaign.campaigns.models import Campaign, CampaignKind, CampaignState
from campaign.campaigns.service import publish_campaign
from campaign.config import Settings, get_settings
from campaign.db import create_engine, create_session_factory, transaction
from campaign.demo import DEMO_RELEASE
from campaign.extraction.extractor import default_extractor
from campaign.migrate import upgrade_database
from campaign.releases.models import CallToActionRecord
from campaign.releases.schemas import DraftRequest
from campaign.releases.service import calls_of, draft_campaign, ingest_release
from campaign.staff.models import Role
from campaign.staff.service import create_token

app = typer.Typer(help="campaign: petitions and letters to officials.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
staff_app = typer.Typer(help="Staff access.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(staff_app, name="staff")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes.")] = 1,
) -> None:
    """Run the HTTP server (and, unless turned off, an outbox worker in each process)."""
    settings = get_settings()
    if settings.migrate_on_start:
        upgrade_database(settings.database_url)
    _run_server(settings, host, port, workers)


def _run_server(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    import uvicorn

    if "public_url" not in settings.model_fields_set:
        # Without a configured public address, links in emails point at this server.
        # Set in the environment so that worker processes see it too.
        os.environ["CAMPAIGN_PUBLIC_URL"] = f"http://{host}:{port}"
        get_settings.cache_clear()
    uvicorn.run(
        "api.main:create_app_from_environment",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        server_header=False,
        # Access logs would record confirmation tokens, which travel in URL paths.
        access_log=False,
    )


@app.command()
def worker() -> None:
    """Send outbox emails until stopped (SIGTERM or Ctrl-C finish the current batch)."""
    asyncio.run(_run_worker())


async def _run_worker() -> None:
    from emails.worker import OutboxWorker

    settings = get_settings()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    engine = create_engine(settings)
    try:
        await OutboxWorker(create_session_factory(engine), settings).run(stop)
    finally:
        await engine.dispose()


@app.command()
def extract(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="A release: plain text or Markdown.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
    organisation: Annotated[
        str | None, typer.Option(help="Who published it, if the text does not say.")
    ] = None,
) -> None:
    """Print the calls to action of FILE (no server or database needed)."""
    from campaign.extraction import extract_calls_to_action

    # Decoded as stored (no newline translation), so offsets index the file's own text.
    text = file.read_bytes().decode("utf-8")
    calls = extract_calls_to_action(text, organisation=organisation)
    if as_json:
        fields = ("sentence", "start", "end", "targets", "action", "strength", "confidence")
        rows = [{name: getattr(call, name) for name in fields} for call in calls]
        typer.echo(json.dumps({"calls_to_action": rows}, ensure_ascii=False, indent=2))
        return
    if not calls:
        typer.echo("no calls to action found")
    for number, call in enumerate(calls, 1):
        targets = ", ".join(call.targets) or "(nobody named)"
        typer.echo(f"{number:>2}. [{call.strength}] {targets}: {call.action}")
        typer.echo(f"    chars {call.start}-{call.end}, confidence {call.confidence:.2f}")


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    upgrade_database(get_settings().database_url, revision)
    typer.echo(f"database at {revision}")


@staff_app.command("create-token")
def staff_create_token(
    name: Annotated[str, typer.Option(help="Who or what uses the token.")],
    role: Annotated[Role, typer.Option(help="What the token may do.")] = Role.EDITOR,
) -> None:
    """Create a staff API token. It is printed once and not stored: keep it safe."""
    secret = asyncio.run(_create_token(name, role))
    typer.echo(secret)


async def _create_token(name: str, role: Role) -> str:
    engine = create_engine(get_settings())
    try:
        async with transaction(create_session_factory(engine)) as session:
            _token, secret = await create_token(session, name=name, role=role)
        return secret
    finally:
        await engine.dispose()


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Migrate, read a sample release, draft and publish a petition from one of its
    calls to action, print its addresses and a staff token, serve."""
    settings = get_settings()
    upgrade_database(settings.database_url)
    demo_run = asyncio.run(_prepare_demo())
    base = f"http://{host}:{port}"
    slug = demo_run.slug
    typer.echo(f"Sample release read: {DEMO_RELEASE.title}\n\nCalls to action found:")
    for number, call in enumerate(demo_run.calls, 1):
        targets = ", ".join(call.targets) or "(nobody named)"
        typer.echo(f"  {number}. [{call.strength}] {targets}: {call.action}")
    typer.echo(
        f"""
Petition drafted from call {demo_run.chosen} and published: {demo_run.title}

  Read it:    curl {base}/api/v1/campaigns/{slug}
  Sign it:    curl -X POST {base}/api/v1/campaigns/{slug}/signatures \\
                -H 'Content-Type: application/json' \\
                -d '{{"given_name": "Ada", "family_name": "Lovelace", "email": "ada@example.org",
                     "country": "GB", "consent": {{"email_updates": false}}}}'
  Emails:     written as .eml files to {settings.email_file_dir.resolve()}
              (open the newest one and follow its link to confirm)
  Staff API:  curl -H 'Authorization: Bearer {demo_run.token}' {base}/api/v1/staff/releases
  API schema: {base}/openapi.json

Staff token (admin, shown once): {demo_run.token}
"""
    )
    _run_server(settings, host, port)


@dataclass(frozen=True)
class _DemoRun:
    calls: list[CallToActionRecord]
    chosen: int
    slug: str
    title: str
    token: str


async def _prepare_demo() -> _DemoRun:
    engine = create_engine(get_settings())
    try:
        async with transaction(create_session_factory(engine)) as session:
            release, _created = await ingest_release(session, DEMO_RELEASE, default_extractor())
            calls = list(await calls_of(session, release.id))
            chosen = _demo_call(calls)
            if chosen.campaign_id is not None:  # the demo ran before on this database
                petition = await session.get(Campaign, chosen.campaign_id)
                assert petition is not None
            else:
                draft = DraftRequest(call_ids=[chosen.id], kind=CampaignKind.PETITION)
                petition, _accepted = await draft_campaign(session, release, draft)
            if petition.state == CampaignState.DRAFT:
                await publish_campaign(session, petition)
            _token, secret = await create_token(session, name="demo", role=Role.ADMIN)
        return _DemoRun(calls, calls.index(chosen) + 1, petition.slug, petition.title, secret)
    finally:
        await engine.dispose()


def _demo_call(calls: list[CallToActionRecord]) -> CallToActionRecord:
    """The first call with a named target: the one a person would most likely pick."""
    named = [call for call in calls if call.targets]
    if not named:
        raise typer.BadParameter("the sample release yielded no call to action with a target")
    return named[0]
