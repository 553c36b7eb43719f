"""The `campaign` command: serve, migrate, manage staff users and tokens, fill the target
directory, run the demo."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from pydantic import ValidationError

from campaign.config import Settings, get_settings
from campaign.db import create_engine, create_session_factory, transaction, utcnow
from campaign.errors import CampaignError, NotFound
from campaign.metrics.rollup import ROLLUP_LAG, RollupPass, rebuild_rollups, update_rollups
from campaign.migrate import upgrade_database
from campaign.observability.logs import configure_logging, logging_config
from campaign.observability.metrics import MULTIPROC_DIR_VARIABLE
from campaign.staff.models import Role
from campaign.staff.passwords import MIN_PASSWORD_LENGTH
from campaign.staff.schemas import StaffUserCreate
from campaign.staff.service import create_token
from campaign.staff.users import create_user, get_user_by_email
from campaign.targets.imports import (
    ImportReport,
    Progress,
    csv_lines,
    import_officials,
    import_postcodes,
    read_officials_file,
    valid_country_argument,
)

if TYPE_CHECKING:
    from campaign.demo import DemoRun

app = typer.Typer(help="campaign: petitions and letters to officials.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
staff_app = typer.Typer(help="Staff access.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(staff_app, name="staff")
targets_app = typer.Typer(
    help="The target directory: officials and postcodes.", no_args_is_help=True
)
app.add_typer(targets_app, name="targets")
letters_app = typer.Typer(help="Letters to officials.", no_args_is_help=True)
app.add_typer(letters_app, name="letters")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes.")] = 1,
) -> None:
    """Run the HTTP server (and, unless turned off, an outbox worker in each process)."""
    settings = get_settings()
    configure_logging(settings.effective_log_format, settings.log_level)
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
    with _shared_metrics_directory(workers):
        uvicorn.run(
            "api.main:create_app_from_environment",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            proxy_headers=True,
            forwarded_allow_ips=settings.forwarded_allow_ips,
            server_header=False,
            # Access logs would record confirmation tokens, which travel in URL paths;
            # each request's line is our own (api/telemetry.py), with the route template.
            access_log=False,
            log_config=logging_config(settings.effective_log_format, settings.log_level),
        )


@contextmanager
def _shared_metrics_directory(workers: int) -> Iterator[None]:
    """With several server processes, each keeps its Prometheus values in files of one
    directory, which a scrape of any of them adds up (campaign/observability). A fresh
    directory per start, made before the processes are, and removed after them: values
    left from an earlier run would be counted again. One process keeps them in memory."""
    if workers <= 1:
        yield
        return
    directory = tempfile.mkdtemp(prefix="campaign-metrics-")
    previous = os.environ.get(MULTIPROC_DIR_VARIABLE)
    os.environ[MULTIPROC_DIR_VARIABLE] = directory
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(MULTIPROC_DIR_VARIABLE, None)
        else:
            os.environ[MULTIPROC_DIR_VARIABLE] = previous
        shutil.rmtree(directory, ignore_errors=True)


@app.command()
def worker() -> None:
    """Send outbox emails until stopped (SIGTERM or Ctrl-C finish the current batch).
    With CAMPAIGN_WORKER_METRICS_PORT set, serves its own Prometheus /metrics there."""
    settings = get_settings()
    configure_logging(settings.effective_log_format, settings.log_level)
    if settings.worker_metrics_port is not None:
        _serve_worker_metrics(settings.worker_metrics_host, settings.worker_metrics_port)
    asyncio.run(_run_worker())


def _serve_worker_metrics(host: str, port: int) -> None:
    """prometheus_client's own small HTTP server, in a thread: the worker's counters
    (batches, failures, provider latency). Its own process, so its own values: a worker
    may run on any machine, where no server's directory of values is to be shared."""
    from prometheus_client import start_http_server

    start_http_server(port, addr=host)


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
    from campaign.extraction import Verdict, extract_calls_to_action

    # Decoded as stored (no newline translation), so offsets index the file's own text.
    text = file.read_bytes().decode("utf-8")
    calls = extract_calls_to_action(text, organisation=organisation)
    if as_json:
        fields = ("sentence", "start", "end", "targets", "action", "strength", "confidence")
        rows = [
            {name: getattr(call, name) for name in fields} | {"status": call.status.value}
            for call in calls
        ]
        typer.echo(json.dumps({"calls_to_action": rows}, ensure_ascii=False, indent=2))
        return
    if not calls:
        typer.echo("no calls to action found")
    for number, call in enumerate(calls, 1):
        targets = ", ".join(call.targets) or "(nobody named)"
        # The extractor's unsure calls stand out, as the dashboard lists them apart.
        doubt = " (possible)" if call.status == Verdict.POSSIBLE else ""
        typer.echo(f"{number:>2}. [{call.strength}]{doubt} {targets}: {call.action}")
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
    user: Annotated[
        str | None,
        typer.Option(help="Email of the staff user it acts for; it never does more than they may."),
    ] = None,
) -> None:
    """Create a staff API token. It is printed once and not stored: keep it safe."""
    try:
        secret = asyncio.run(_create_token(name, role, user))
    except CampaignError as error:
        _fail(error.detail)
    typer.echo(secret)


async def _create_token(name: str, role: Role, user_email: str | None) -> str:
    engine = create_engine(get_settings())
    try:
        async with transaction(create_session_factory(engine)) as session:
            owner = None
            if user_email is not None:
                owner = await get_user_by_email(session, user_email)
                if owner is None:
                    raise NotFound(f"no staff user with the email {user_email}", field="user")
            _token, secret = await create_token(session, name=name, role=role, user=owner)
        return secret
    finally:
        await engine.dispose()


# Scripts set this instead of typing at a prompt; a password on the command line would
# show in `ps` and in shell history.
NEW_PASSWORD_VARIABLE = "CAMPAIGN_NEW_STAFF_PASSWORD"  # noqa: S105 (a variable's name)


@staff_app.command("create-user")
def staff_create_user(
    email: Annotated[str, typer.Option(help="Their login; kept in lower case.")],
    name: Annotated[str, typer.Option(help="Their name, as the dashboard shows it.")],
    role: Annotated[Role, typer.Option(help="What they may do.")] = Role.VIEWER,
) -> None:
    """Create a staff user who logs in to the dashboard. The password is asked for (not
    shown as typed), or read from CAMPAIGN_NEW_STAFF_PASSWORD; never from the command line."""
    password = os.environ.get(NEW_PASSWORD_VARIABLE) or typer.prompt(
        f"Password (at least {MIN_PASSWORD_LENGTH} characters)",
        hide_input=True,
        confirmation_prompt=True,
    )
    try:
        data = StaffUserCreate(email=email, name=name, role=role, password=password)
    except ValidationError as error:
        _fail(
            "; ".join(
                f"{e['loc'][0]}: {e['msg'].removeprefix('Value error, ')}" for e in error.errors()
            )
        )
    try:
        created = asyncio.run(_create_user(data))
    except CampaignError as error:
        _fail(error.detail)
    typer.echo(f"created {created} ({role.value})")


async def _create_user(data: StaffUserCreate) -> str:
    engine = create_engine(get_settings())
    try:
        async with transaction(create_session_factory(engine)) as session:
            user = await create_user(session, data)
            return user.email
    finally:
        await engine.dispose()


# Skipped rows printed after an import; the rest are counted.
_SKIPPED_SHOWN = 20


@targets_app.command("import")
def targets_import(
    file: Annotated[Path, typer.Argument(help="Officials: a .csv or a Popolo .json file.")],
    country: Annotated[
        str | None,
        typer.Option(help="Country (GB, FR, ...) of Popolo areas whose OCD id names none."),
    ] = None,
) -> None:
    """Add the officials of FILE, or update those already there (matched on their id),
    in one transaction. Rows that do not validate are skipped and listed."""
    text = _read_text_file(file)
    try:
        report = asyncio.run(_import_officials(file.name, text, country))
    except CampaignError as error:
        _fail_with(file, error)
    typer.echo(
        f"{file.name}: {report.total} rows: {report.created} created, "
        f"{report.updated} updated, {len(report.skipped)} skipped"
    )
    _print_skipped(report)


async def _import_officials(filename: str, text: str, country: str | None) -> ImportReport:
    engine = create_engine(get_settings())
    try:
        async with transaction(create_session_factory(engine)) as session:
            source = read_officials_file(filename, text, country=country)
            with _progress_bar(source.size, "officials") as progress:
                return await import_officials(session, source.rows, progress)
    finally:
        await engine.dispose()


@targets_app.command("postcodes")
def targets_postcodes(
    file: Annotated[Path, typer.Argument(help="CSV: postcode,division_id[,country].")],
    country: Annotated[str, typer.Option(help="Country of rows without a country column.")],
    replace: Annotated[
        bool, typer.Option(help="Delete the country's postcodes first (same transaction).")
    ] = False,
) -> None:
    """Add the postcode-to-division rows of FILE (postcodes normalised: "sw1a 1aa" is
    SW1A1AA), in one transaction."""
    text = _read_text_file(file)
    try:
        report = asyncio.run(_import_postcodes(file.name, text, country, replace))
    except CampaignError as error:
        _fail_with(file, error)
    typer.echo(
        f"{file.name}: {report.total} rows: {report.created} added, "
        f"{report.unchanged} already there, {len(report.skipped)} skipped"
    )
    _print_skipped(report)


async def _import_postcodes(filename: str, text: str, country: str, replace: bool) -> ImportReport:
    engine = create_engine(get_settings())
    try:
        async with transaction(create_session_factory(engine)) as session:
            lines = csv_lines(filename, text)
            country = valid_country_argument(country)
            with _progress_bar(text.count("\n"), "postcodes") as progress:
                return await import_postcodes(
                    session, lines, country=country, replace=replace, progress=progress
                )
    finally:
        await engine.dispose()


def _read_text_file(path: Path) -> str:
    try:
        # Decoded as stored: the csv module finds line breaks inside quoted fields itself.
        return path.read_bytes().decode("utf-8")
    except OSError as error:
        _fail(f"cannot read {path}: {error.strerror or error}")
    except UnicodeDecodeError:
        _fail(f"{path} is not UTF-8 text")


@contextmanager
def _progress_bar(length: int, label: str) -> Iterator[Progress]:
    # On standard error, so standard output holds only the report.
    with typer.progressbar(length=max(length, 1), label=label, file=sys.stderr) as bar:

        def advance(done: int) -> None:
            bar.update(done - bar.pos)

        yield advance


def _print_skipped(report: ImportReport) -> None:
    for skipped in report.skipped[:_SKIPPED_SHOWN]:
        typer.echo(f"  {skipped}")
    if len(report.skipped) > _SKIPPED_SHOWN:
        typer.echo(f"  ... and {len(report.skipped) - _SKIPPED_SHOWN} more skipped")


def _fail_with(file: Path, error: CampaignError) -> NoReturn:
    # A bad option is named as the option; anything else is about the file.
    where = str(file) if error.field in (None, "file") else f"--{error.field}"
    _fail(f"{where}: {error.detail}")


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(1)


@letters_app.command("send-digests")
def letters_send_digests() -> None:
    """Queue the daily digests of finished days (the worker also does this every minute)."""
    queued = asyncio.run(_send_digests())
    typer.echo(f"queued {queued} digest(s)")


async def _send_digests() -> int:
    from campaign.letters.delivery import send_due_digests

    engine = create_engine(get_settings())
    try:
        async with transaction(create_session_factory(engine)) as session:
            return await send_due_digests(session, now=utcnow())
    finally:
        await engine.dispose()


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Migrate, read a sample release, draft and publish a petition from one of its
    calls to action, print its addresses, a staff login and a staff token, serve.
    Refused in production."""
    # Here, not at the top: the demo reads a release, which loads the language model's
    # library, and every other command would wait a second for it.
    from campaign.demo import demo_message, refuse_in_production

    settings = get_settings()
    try:
        refuse_in_production(settings)  # before the database is touched
        upgrade_database(settings.database_url)
        demo_run = asyncio.run(_prepare_demo(settings))
    except CampaignError as error:
        _fail(error.detail)
    base = f"http://{host}:{port}"
    typer.echo(demo_message(demo_run, base=base, outbox=settings.email_file_dir.resolve()))
    _run_server(settings, host, port)


async def _prepare_demo(settings: Settings) -> DemoRun:
    from campaign.demo import prepare_demo

    engine = create_engine(settings)
    try:
        async with transaction(create_session_factory(engine)) as session:
            return await prepare_demo(settings, session)
    finally:
        await engine.dispose()


metrics_app = typer.Typer(help="Staff metrics: the hourly rollups.", no_args_is_help=True)
app.add_typer(metrics_app, name="metrics")


@metrics_app.command("update")
def metrics_update(
    lag: Annotated[
        float,
        typer.Option(
            help="leave rows younger than this many seconds for the next pass; lower it "
            "only while nothing else writes (transactions still open would be missed)",
            min=0,
        ),
    ] = ROLLUP_LAG.total_seconds(),
) -> None:
    """Bring the rollups up to date: one incremental pass (the worker runs one every
    CAMPAIGN_METRICS_INTERVAL_SECONDS)."""
    done = asyncio.run(_metrics_pass(rebuild=False, lag=timedelta(seconds=lag)))
    if not done.ran:
        typer.echo("another pass is running; nothing done")
        return
    typer.echo(f"added {_pass_summary(done)}")


@metrics_app.command("rebuild")
def metrics_rebuild() -> None:
    """Empty the rollups and count everything again, in one transaction."""
    done = asyncio.run(_metrics_pass(rebuild=True, lag=ROLLUP_LAG))
    typer.echo(f"counted {_pass_summary(done)}")


def _pass_summary(done: RollupPass) -> str:
    return (
        f"{done.signatures} signature(s), {done.confirmations} confirmation(s), "
        f"{done.page_views} page view(s), {done.emails} email(s) sent, "
        f"{done.email_events} delivery event(s), {done.payments} payment(s)"
    )


async def _metrics_pass(*, rebuild: bool, lag: timedelta) -> RollupPass:
    engine = create_engine(get_settings())
    try:
        async with transaction(create_session_factory(engine)) as session:
            if rebuild:
                return await rebuild_rollups(session, lag=lag)
            return await update_rollups(session, lag=lag)
    finally:
        await engine.dispose()
