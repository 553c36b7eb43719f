"""ASGI middleware of our own: plain ASGI classes, so a request costs no extra task."""

from __future__ import annotations

from fastapi import Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import STAFF_SESSION_COOKIE
from api.problems import problem
from api.uploads import MAX_IMPORT_BYTES, MAX_UPLOAD_BYTES

# Every accepted field is bounded; a bigger body is an attack or a mistake.
MAX_BODY_BYTES = 1024 * 1024
# The exceptions: staff import whole files into the target directory. The file and its
# form fields are allowed through here and the route bounds the file itself. Starlette
# spools an uploaded file over 1 MiB to disk, so what this costs is disk and parse time,
# not memory; the body is read before the route checks the token, so an anonymous client
# can make us read this much on these two paths and no others.
_LARGER_BODY_LIMITS = {
    "/api/v1/staff/officials/import": MAX_IMPORT_BYTES + 64 * 1024,
    "/api/v1/staff/postcodes/import": MAX_IMPORT_BYTES + 64 * 1024,
    # The dashboard's import forms, which bring the staff session cookie instead.
    "/staff/officials/import": MAX_IMPORT_BYTES + 64 * 1024,
    "/staff/officials/import/postcodes": MAX_IMPORT_BYTES + 64 * 1024,
    # The new-release form: a file somewhat over its bound reaches the route, which says
    # so beside the file field rather than the page being replaced by a 413.
    "/staff/releases": 2 * MAX_UPLOAD_BYTES + 64 * 1024,
    "/staff/releases/headline": 2 * MAX_UPLOAD_BYTES + 64 * 1024,
}
_STAFF_COOKIE = STAFF_SESSION_COOKIE.encode() + b"="

# Pages load stylesheets and scripts from this server only and call only its JSON API.
# No inline script or style: every page links its files from /static.
_PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; script-src 'self'; "
    "img-src 'self'; connect-src 'self'; base-uri 'none'"
)
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": f"{_PAGE_POLICY}; frame-ancestors 'none'",
}
# The embeddable petition form exists to be framed by organisations' own sites, which we
# cannot list in advance. It holds no session or cookie a framing page could abuse (the
# form's token is public), so any web page may frame it; every other page stays unframed.
_EMBED_PREFIX = "/embed/"
_EMBED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": f"{_PAGE_POLICY}; frame-ancestors *",
}


def _body_limit(scope: Scope) -> int:
    """The larger limits are for staff only: FastAPI reads a form before its route's
    dependencies check the token, so without this anyone could make us read 50 MiB. A
    request that names no bearer token gets the ordinary limit (the token itself is
    checked by the route as always)."""
    larger = _LARGER_BODY_LIMITS.get(scope["path"])
    if larger is None:
        return MAX_BODY_BYTES
    for name, value in scope.get("headers", []):
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            return larger
        # Likewise a dashboard form that names a staff session (checked by its route).
        if name == b"cookie" and any(
            part.strip().startswith(_STAFF_COOKIE) for part in value.split(b";")
        ):
            return larger
    return MAX_BODY_BYTES


class BodySizeLimit:
    """Refuses bodies over MAX_BODY_BYTES (or the path's larger limit) with a problem+json
    413: at once when the declared Content-Length is too big, or as soon as a streamed
    body goes over (the app's own answer to the cut-off body is then replaced by the 413)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = _body_limit(scope)
        if _declared_length(scope) > limit:
            await _body_too_large(limit)(scope, receive, send)
            return

        received = 0
        overflowed = False

        async def counting_receive() -> Message:
            nonlocal received, overflowed
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    overflowed = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def guarded_send(message: Message) -> None:
            if not overflowed:
                await send(message)

        await self.app(scope, counting_receive, guarded_send)
        if overflowed:
            await _body_too_large(limit)(scope, receive, send)


def _body_too_large(limit: int) -> Response:
    return problem(
        413,
        "body-too-large",
        "Request body too large",
        f"the body must be at most {limit} bytes",
        field="body",
    )


def _declared_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else 0
    return 0


class SecurityHeaders:
    """Adds defensive headers to every response that does not set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        defaults = _EMBED_HEADERS if scope["path"].startswith(_EMBED_PREFIX) else _SECURITY_HEADERS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in defaults.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
