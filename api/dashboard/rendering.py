"""What every dashboard page shares: rendering a template as a page no cache keeps, the
way back after a form, and the one mechanism by which a refused form undoes its work.

A form post is one transaction (the request's session). When a service refuses it half
way, whatever the service had already flushed must not be committed with the page that
explains the refusal: `refusable` runs the change inside a SAVEPOINT and rolls back to it
on a CampaignError, so the page can then be rendered from the same session and the
request still commits cleanly (nothing of the refused change is left in it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from api.pages import templates
from campaign.config import Settings
from campaign.errors import CampaignError
from campaign.staff.models import Role
from campaign.staff.sessions import ActiveSession


def page(
    request: Request, name: str, *, status_code: int = status.HTTP_200_OK, **context: Any
) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    # Staff pages hold personal data and CSRF tokens: never kept by a browser or proxy.
    response.headers["Cache-Control"] = "no-store"
    return response


def see_other(path: str) -> RedirectResponse:
    """After a form that changed something: the browser asks for the page anew, so a
    reload does not post the form twice."""
    return RedirectResponse(path, status_code=status.HTTP_303_SEE_OTHER)


def address_key(request: Request) -> str:
    """The key of addresses' keyed hashes (an erased address is suppressed by its hash):
    what counts of a mailing's recipients need to leave such addresses out."""
    settings: Settings = request.app.state.settings
    return settings.secret_key.get_secret_value()


def may_edit(active: ActiveSession) -> bool:
    return Role(active.user.role).allows(Role.EDITOR)


def is_admin(active: ActiveSession) -> bool:
    return Role(active.user.role).allows(Role.ADMIN)


@dataclass
class Refusal:
    """Why a form's change was refused, once `refusable` has run it; None if it was not."""

    error: CampaignError | None = None

    @property
    def status_code(self) -> int:
        return self.error.status if self.error else status.HTTP_200_OK


@asynccontextmanager
async def refusable(session: AsyncSession) -> AsyncIterator[Refusal]:
    """Run a form's change; if a service refuses it, undo everything it did and keep the
    refusal for the page."""
    refusal = Refusal()
    savepoint = await session.begin_nested()
    try:
        yield refusal
    except CampaignError as error:
        await savepoint.rollback()
        await _reload_expired(session)
        refusal.error = error
    else:
        await savepoint.commit()


async def _reload_expired(session: AsyncSession) -> None:
    """The rollback expires what the change had modified; an async session cannot load an
    expired attribute lazily, so the page would fail reading it. Load them again now, as
    they stand after the rollback."""
    for instance in list(session.identity_map.values()):
        if inspect(instance).expired_attributes:
            await session.refresh(instance)
