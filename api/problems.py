"""One error shape for every error: problem+json (RFC 9457), with the input field at fault."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from campaign.errors import CampaignError

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
) -> JSONResponse:
    body: dict[str, Any] = {"type": TYPE_BASE + type_, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if field:
        body["field"] = field
    if errors:
        body["errors"] = list(errors)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_path(location: Sequence[int | str]) -> str:
    # ("body", "consent", "email_updates") -> "consent.email_updates"; ("query", "limit") -> "limit"
    parts = (
        [str(part) for part in location[1:]] if len(location) > 1 else [str(p) for p in location]
    )
    return ".".join(parts) or "body"


def _validation_errors(error: RequestValidationError) -> list[dict[str, str]]:
    details = []
    for item in error.errors():
        message = str(item.get("msg", "is not valid"))
        message = message.removeprefix("Value error, ")
        details.append({"field": _field_path(item.get("loc", ())), "message": message})
    return details


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


async def _on_validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = _validation_errors(error)
    malformed = any(item.get("type") == "json_invalid" for item in error.errors())
    if malformed:
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
    return problem(422, "validation-error", "Invalid input", detail, field=first, errors=errors)


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


async def _on_unexpected_error(_request: Request, error: Exception) -> JSONResponse:
    logger.exception("unhandled error", exc_info=error)
    return problem(500, "internal-error", "Internal error", "something went wrong on our side")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CampaignError, _on_campaign_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(IntegrityError, _on_integrity_error)
    app.add_exception_handler(Exception, _on_unexpected_error)
