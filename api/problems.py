"""One error shape for every error: problem+json (RFC 9457), with the input field at fault."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.languages import request_language
from api.page_forms import translated_sentence
from api.pages import render_page
from campaign.db import CONNECTION_FAULTS, caused_by, database_unavailable
from campaign.errors import CampaignError
from campaign.i18n import SOURCE_LANGUAGE
from campaign.i18n import gettext_noop as _

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
# Problem types are relative URIs: clients match on them, they need not resolve.
TYPE_BASE = "/problems/"


def problem(
    status: int,
    type_: str,
    title: str,
    detail: str | None = None,
    *,
    field: str | None = None,
    errors: Sequence[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    **members: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": TYPE_BASE + type_, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if field:
        body["field"] = field
    if errors:
        body["errors"] = list(errors)
    body.update(members)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


# A body can hold tens of thousands of wrong fields; the answer lists the first ones, and
# bounds what it repeats of each (a key can be as long as the body allows).
MAX_LISTED_ERRORS = 50
_MAX_FIELD_CHARS = 200
_MAX_MESSAGE_CHARS = 300

# How long a client should wait before trying again while the database is away: about
# what a PostgreSQL restart or failover takes.
RETRY_AFTER_SECONDS = 5

# Paths that machines call and read as JSON; every other route is a page for people.
_MACHINE_PREFIXES = ("/api/", "/webhooks/")
_MACHINE_PATHS = frozenset({"/healthz", "/readyz", "/openapi.json"})

# Path parameters that are names (slugs, tokens): one that is malformed names nothing.
_MALFORMED_NAME = frozenset({"string_pattern_mismatch", "string_too_short", "string_too_long"})


def is_page(request: Request) -> bool:
    path = request.url.path
    return not path.startswith(_MACHINE_PREFIXES) and path not in _MACHINE_PATHS


# What a page says of a failure whose own reason the pages' catalogue cannot word (it
# names what was asked for), in a language other than English.
PAGE_FAULTS = {
    404: _("There is nothing at this address."),
    409: _("This cannot be done now."),
    429: _("Too many attempts from here. Please try again later."),
}


def error_page(
    request: Request,
    status: int,
    detail: str,
    headers: dict[str, str] | None = None,
    *,
    language: str | None = None,
) -> Response:
    """The same failure, as a page a person can read (api/templates/page_error.html), in
    the language given, else in the one the browser asks for. English shows the reason
    as it is worded."""
    language = language or request_language(request)
    if language != SOURCE_LANGUAGE:
        detail = translated_sentence(detail, language, fallback=PAGE_FAULTS.get(status))
    context = {"detail": detail, "status": status}
    return render_page(
        request, "page_error.html", context, language=language, status_code=status, headers=headers
    )


def _field_path(location: Sequence[int | str]) -> str:
    # ("body", "consent", "email_updates") -> "consent.email_updates"; ("query", "limit") -> "limit"
    parts = (
        [str(part) for part in location[1:]] if len(location) > 1 else [str(p) for p in location]
    )
    return ".".join(parts) or "body"


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _listed_error(item: Any) -> dict[str, str]:
    message = str(item.get("msg", "is not valid")).removeprefix("Value error, ")
    return {
        "field": _shortened(_field_path(item.get("loc", ())), _MAX_FIELD_CHARS),
        "message": _shortened(message, _MAX_MESSAGE_CHARS),
    }


def _malformed_path_name(items: Sequence[Any]) -> str | None:
    for item in items:
        location = item.get("loc", ())
        if len(location) == 2 and location[0] == "path" and item.get("type") in _MALFORMED_NAME:
            return str(location[1])
    return None


async def _on_campaign_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, CampaignError)
    return problem(
        error.status,
        error.type,
        error.title,
        error.detail,
        field=error.field,
        headers=error.headers,
    )


async def _on_validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    items = error.errors()
    name = _malformed_path_name(items)
    if name is not None:
        # Well formed or not, no such thing exists: the same answer as for an unknown one.
        detail = f"there is nothing at this address (the {name} is not one we make)"
        if is_page(request):
            return error_page(request, 404, _("There is nothing at this address."))
        return problem(404, "not-found", "Not found", detail, field=name)
    errors = [_listed_error(item) for item in items[:MAX_LISTED_ERRORS]]
    if any(item.get("type") == "json_invalid" for item in items):
        return problem(
            400,
            "malformed-body",
            "Malformed request body",
            "the body is not valid JSON",
            field="body",
            errors=errors,
        )
    first = errors[0]["field"] if errors else None
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    if len(items) > len(errors):
        detail += f"; and {len(items) - len(errors)} more"
    return problem(
        422,
        "validation-error",
        "Invalid input",
        detail,
        field=first,
        errors=errors,
        error_count=len(items),
    )


async def _on_http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    titles = {
        401: "Authentication required",
        404: "Not found",
        405: "Method not allowed",
        413: "Request body too large",
    }
    headers = dict(error.headers) if error.headers else None
    return problem(
        error.status_code,
        "http-" + str(error.status_code),
        titles.get(error.status_code, "Request failed"),
        str(error.detail) if error.detail else None,
        headers=headers,
    )


async def _on_integrity_error(_request: Request, error: Exception) -> JSONResponse:
    # A uniqueness race the services did not foresee: the request lost, nothing was written.
    logger.warning("integrity error answered as conflict: %s", type(error).__name__)
    return problem(409, "conflict", "Conflict", "the request conflicts with existing data; retry")


def _cause(error: BaseException) -> str:
    # The driver's message only: SQLAlchemy's adds the statement and its parameters,
    # which hold what people typed.
    orig = error.orig if isinstance(error, DBAPIError) else error
    return f"{type(orig).__name__}: {str(orig)[:200]}"


def _unstorable_input(error: BaseException) -> bool:
    # PostgreSQL's "data exception" class: text with a NUL, a number out of range. Inputs
    # are validated before they get this far; this is what is left if one was not.
    return isinstance(error, DBAPIError) and caused_by(error, (asyncpg.DataError,))


async def _on_database_error(request: Request, error: Exception) -> Response:
    if _unstorable_input(error):
        logger.warning("input refused by the database on %s: %s", request.url.path, _cause(error))
        return problem(
            400,
            "unstorable-input",
            "Invalid input",
            "the request holds a value that cannot be stored, such as a NUL character",
        )
    if not database_unavailable(error):
        return await _on_unexpected_error(request, error)
    # One line, not a traceback per request: an outage fails every request alike.
    logger.warning("database unavailable: %s", _cause(error))
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if is_page(request):
        detail = _("We cannot reach our database just now. Please try again in a moment.")
        return error_page(request, 503, detail, headers)
    return problem(
        503,
        "database-unavailable",
        "Service unavailable",
        "the database cannot be reached just now; try again shortly",
        headers=headers,
    )


async def _on_unexpected_error(_request: Request, error: Exception) -> JSONResponse:
    logger.exception("unhandled error", exc_info=error)
    return problem(500, "internal-error", "Internal error", "something went wrong on our side")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CampaignError, _on_campaign_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(IntegrityError, _on_integrity_error)
    for fault in (DBAPIError, PoolTimeoutError, *CONNECTION_FAULTS):
        app.add_exception_handler(fault, _on_database_error)
    app.add_exception_handler(Exception, _on_unexpected_error)
