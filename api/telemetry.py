"""What operators see of requests, in plain ASGI middleware. Per request: the request id
(taken or made, returned in `X-Request-ID`, set for every log line and outbox row of the
request), one observation of the latency histogram by route template, and one log line;
nothing else, no database work, no lock, no extra task. And `GET /metrics`, for the
networks allowed to scrape it."""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Iterable

from fastapi import Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.datastructures import MutableHeaders
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from campaign.config import IPNetwork
from campaign.observability.metrics import REQUEST_DURATION, Collected, exposition
from campaign.observability.request_ids import current_request_id, request_id_from
from campaign.observability.scrape import database_series

logger = logging.getLogger("campaign.requests")

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_HEADER = REQUEST_ID_HEADER.lower().encode()
# A label per method a client may invent would let anyone grow the series without end.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# What a request that matched no route is labelled: its path may hold anything.
UNMATCHED = "unmatched"
# Where middleware that answers before the router (api/signing.py) names the route
# template of what it answered.
ROUTE_TEMPLATE_KEY = "campaign.route_template"


def route_templates(routes: Iterable[BaseRoute], prefix: str = "") -> dict[int, str]:
    """Each route's whole path template, by the route's identity. A route of a router
    included with a prefix (the dashboard's, under /staff) knows only its own part."""
    found: dict[int, str] = {}
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            context = getattr(route, "include_context", None)
            found |= route_templates(included.routes, prefix + getattr(context, "prefix", ""))
        elif isinstance(route, Route | Mount):
            found[id(route)] = prefix + route.path
    return found


class RequestTelemetry:
    def __init__(self, app: ASGIApp, templates: dict[int, str]) -> None:
        self.app = app
        self.templates = templates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_from(_header(scope, _REQUEST_ID_HEADER))
        reset = current_request_id.set(request_id)
        root_path = scope.get("root_path", "")
        status = 500  # unless an answer starts: an error escaped every handler

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            elapsed = time.perf_counter() - started
            method = scope["method"] if scope["method"] in _METHODS else "other"
            route = self._template(scope, root_path)
            REQUEST_DURATION.labels(method, route, f"{status // 100}xx").observe(elapsed)
            logger.info(
                "%s %s %d",
                method,
                route,
                status,
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            current_request_id.reset(reset)

    def _template(self, scope: Scope, root_path: str) -> str:
        answered_early = scope.get(ROUTE_TEMPLATE_KEY)
        if answered_early is not None:
            return str(answered_early)
        route = scope.get("route")
        if route is not None:
            return self.templates.get(id(route)) or str(getattr(route, "path", UNMATCHED))
        # A mount (the static files) names no route; it extends the root path.
        mounted = scope.get("root_path", "")
        if mounted != root_path and mounted.startswith(root_path):
            return mounted[len(root_path) :] + "/{path}"
        return UNMATCHED


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


METRICS_PATH = "/metrics"


class MetricsEndpoint:
    """`GET /metrics` in the Prometheus text format, for clients in the allowed networks
    (after uvicorn has put a trusted proxy's client in the scope). Everyone else, and any
    other method, goes on to the app, which has no such route: they get the 404 of an
    unknown address, so nothing says it exists. Outside the request middleware, so
    scrapes are neither logged nor counted as requests."""

    def __init__(self, app: ASGIApp, networks: tuple[IPNetwork, ...]) -> None:
        self.app = app
        self.networks = networks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == METRICS_PATH
            and scope["method"] in ("GET", "HEAD")
            and self._allowed(scope)
        ):
            families = await database_series(scope["app"].state.session_factory)
            answer = Response(exposition([Collected(families)]), media_type=CONTENT_TYPE_LATEST)
            await answer(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _allowed(self, scope: Scope) -> bool:
        client = scope.get("client")
        if not client:
            return False
        try:
            address = ipaddress.ip_address(client[0])
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)
