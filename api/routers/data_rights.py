"""A person's own data rights, without login: ask for a link by email, then download or
erase everything held about that address through it. The answer to the request is the
same whether or not the address is known, so nobody learns who has signed."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api.deps import ClientIp, SessionDep, SettingsDep
from api.languages import page_messages, request_language
from api.page_forms import FormState, field_errors, read_form
from api.pages import render_page
from api.params import TokenPath
from api.problems import error_page
from api.ratelimit import RateLimit, network_key
from campaign.db import utcnow
from campaign.errors import NotFound
from campaign.i18n import SOURCE_LANGUAGE, SUPPORTED_LANGUAGES, negotiate_language
from campaign.privacy import service
from campaign.privacy.hashing import address_hash
from campaign.privacy.schemas import AddressInput

router = APIRouter(tags=["pages"], include_in_schema=False)

MY_DATA = "/my-data"


def _limit(request: Request) -> RateLimit:
    """The per-process limit on asking for links, made on first use."""
    limit: RateLimit | None = getattr(request.app.state, "data_request_limit", None)
    if limit is None:
        settings = request.app.state.settings
        limit = RateLimit(settings.data_request_rate_limit, settings.redis_url)
        request.app.state.data_request_limit = limit
    return limit


def _page(
    request: Request, name: str, status_code: int = status.HTTP_200_OK, **context: Any
) -> HTMLResponse:
    return render_page(
        request, name, context, language=request_language(request), status_code=status_code
    )


@router.get(MY_DATA)
async def ask_for_link(request: Request) -> HTMLResponse:
    return _page(request, "my_data.html", form=FormState())


@router.post(MY_DATA)
async def send_link(
    request: Request, session: SessionDep, settings: SettingsDep, client_ip: ClientIp
) -> HTMLResponse:
    form = await read_form(request)
    values = {"email": form.get("email", "")}
    try:
        data = AddressInput.model_validate(values)
    except ValidationError as invalid:
        return _page(
            request,
            "my_data.html",
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            form=FormState(values, field_errors(invalid, request_language(request))),
        )
    # Over the limit the answer is the same; only the email does not go. Counted per
    # client network and per address (by its keyed hash, so the limiter's storage never
    # holds it), so that nobody can fill one inbox from many networks.
    limit = _limit(request)
    hashed = address_hash(data.email, settings.secret_key.get_secret_value())
    within_network = await limit.hit("data-request", network_key(client_ip or "none"))
    within_address = await limit.hit("data-request-address", hashed)
    if within_network and within_address:
        # The link's email in the language the person's browser reads.
        language = negotiate_language(
            request.headers.get("accept-language"), list(SUPPORTED_LANGUAGES), SOURCE_LANGUAGE
        )
        await service.send_link_if_held(session, data.email, now=utcnow(), language=language)
    return _page(request, "my_data_sent.html")


@router.get(MY_DATA + "/{token}")
async def link_page(token: TokenPath, request: Request, session: SessionDep) -> Response:
    try:
        await service.open_link(session, token, now=utcnow())
    except NotFound as error:
        return error_page(request, error.status, error.detail)
    return _page(request, "my_data_link.html", token=token)


@router.post(MY_DATA + "/{token}/download")
async def download(
    token: TokenPath, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    try:
        document = await service.export_by_link(
            session, token, key=settings.secret_key.get_secret_value(), now=utcnow()
        )
    except NotFound as error:
        return error_page(request, error.status, error.detail)
    return json_download(document, "my-data.json")


@router.get(MY_DATA + "/{token}/erase")
async def confirm_erasure(token: TokenPath, request: Request, session: SessionDep) -> Response:
    try:
        await service.open_link(session, token, now=utcnow())
    except NotFound as error:
        return error_page(request, error.status, error.detail)
    return _page(request, "my_data_erase.html", token=token, form=FormState())


@router.post(MY_DATA + "/{token}/erase")
async def erase(
    token: TokenPath, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    form = await read_form(request)
    if form.get("confirm") != "yes":
        try:
            await service.open_link(session, token, now=utcnow())
        except NotFound as error:
            return error_page(request, error.status, error.detail)
        messages = page_messages(request_language(request))
        errors = {
            "confirm": messages.gettext("Tick the box to confirm that your data should be erased.")
        }
        return _page(
            request,
            "my_data_erase.html",
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            token=token,
            form=FormState({}, errors),
        )
    try:
        await service.erase_by_link(
            session, token, key=settings.secret_key.get_secret_value(), now=utcnow()
        )
    except NotFound as error:
        return error_page(request, error.status, error.detail)
    return _page(request, "my_data_erased.html")


def json_download(document: dict[str, Any], filename: str) -> Response:
    """A JSON document as a file download, never cached."""
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
