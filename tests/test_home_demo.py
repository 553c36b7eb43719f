"""`campaign demo` shows a newcomer where to go: the public page, `/staff` and a staff
login it made for the demo, which works. It refuses to run in production, and the
login it would make is refused there however it is asked for."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from campaign.config import Settings
from campaign.db import transaction
from campaign.demo import DEMO_STAFF_EMAIL, DemoInProduction, demo_staff_login
from campaign.staff.models import StaffUser
from tests.test_walkthrough import CAMPAIGN, _environment, _start, _wait_until_up

PRODUCTION_SECRET = "a long random production secret, for this test only"


def test_the_demo_prints_the_public_page_staff_pages_and_a_login_that_works(
    tmp_path: Path,
) -> None:
    process, base = _start("demo", _environment(tmp_path))
    try:
        _wait_until_up(base, process)
        with httpx.Client(base_url=base, timeout=10) as http:
            front = http.get("/")
            # Read while the server runs; its output is read once it has stopped.
            process.terminate()
            output, _ = process.communicate(timeout=15)
            login = re.search(r"log in as (\S+) with the password (\S+)", output)
            assert login, output
            assert login.group(1) == DEMO_STAFF_EMAIL
    finally:
        if process.poll() is None:
            process.kill()
    public = re.search(rf"Public page: {re.escape(base)}/c/(\S+)", output)
    assert public, output
    assert re.search(rf"Staff pages: {re.escape(base)}/staff\n", output)
    assert f'href="/c/{public.group(1)}"' in front.text

    # The login works: on a server started again over the same database.
    process, base = _start("serve", _environment(tmp_path))
    try:
        _wait_until_up(base, process)
        with httpx.Client(base_url=base, timeout=10) as http:
            answer = http.post(
                "/staff/login", data={"email": login.group(1), "password": login.group(2)}
            )
            assert answer.status_code == 303, answer.text
            assert answer.headers["location"] == "/staff"
            assert http.get("/staff").status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_the_demo_refuses_to_run_in_production(tmp_path: Path) -> None:
    env = _environment(tmp_path) | {
        "CAMPAIGN_ENVIRONMENT": "production",
        "CAMPAIGN_SECRET_KEY": PRODUCTION_SECRET,
    }
    done = subprocess.run([*CAMPAIGN, "demo"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "CAMPAIGN_ENVIRONMENT=production" in done.stderr
    assert "password" not in done.stdout
    # Refused before the database was touched: not even created.
    assert not (tmp_path / "campaign.db").exists()


async def test_the_demo_login_is_never_made_in_production(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    production = settings.model_copy(
        update={"environment": "production", "secret_key": SecretStr(PRODUCTION_SECRET)}
    )
    with pytest.raises(DemoInProduction):
        async with transaction(session_factory) as session:
            await demo_staff_login(production, session)
    async with transaction(session_factory) as session:
        password = await demo_staff_login(settings, session)
        again = await demo_staff_login(settings, session)
    assert password != again  # a new password each run, for the same account
    async with session_factory() as session:
        users = await session.scalar(select(func.count()).select_from(StaffUser))
    assert users == 1
