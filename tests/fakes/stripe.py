"""A small stand-in for Stripe's Checkout Sessions API on 127.0.0.1, for the real
`stripe` client to talk to. It decodes the form-encoded parameters the client sends and
checks the ones a donation needs, honours idempotency keys the way Stripe does (the same
key and parameters give the same session; the same key with other parameters is an
error), and can be told to fail."""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

API_KEY = "sk_test_campaign"
_KEY_PART = re.compile(r"[^\[\]]+")


def decode_form(body: str) -> dict[str, Any]:
    """`line_items[0][price_data][currency]=gbp` → {"line_items": [{"price_data": ...}]}."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = _KEY_PART.findall(key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    if node and all(key.isdigit() for key in node):
        return [_lists(node[key]) for key in sorted(node, key=int)]
    return {key: _lists(value) for key, value in node.items()}


class FakeStripe:
    def __init__(self, api_key: str = API_KEY) -> None:
        self.api_key = api_key
        self.sessions: list[dict[str, Any]] = []  # every session created, with its params
        self.requests = 0
        self._by_key: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        self._script: deque[int] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def fail_next(self, status: int) -> None:
        with self._lock:
            self._script.append(status)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeStripe:
        fake = self

        class Handler(_Handler):
            stripe = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def create_session(
        self, authorization: str | None, idempotency_key: str | None, body: str
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self._lock:
            self.requests += 1
            scripted = self._script.popleft() if self._script else None
        if authorization != f"Bearer {self.api_key}":
            return 401, _error("authentication_error", "Invalid API Key provided"), {}
        if scripted is not None:
            return scripted, _error("api_error", "scripted failure"), {}
        params = decode_form(body)
        problem = check_checkout_params(params)
        if problem:
            param, message = problem
            return 400, _error("invalid_request_error", message, param), {}
        with self._lock:
            if idempotency_key in self._by_key:
                earlier_params, earlier = self._by_key[idempotency_key]
                if earlier_params != params:
                    return (
                        400,
                        _error(
                            "idempotency_error",
                            "Keys for idempotent requests can only be used with the same "
                            "parameters",
                        ),
                        {},
                    )
                return 200, earlier, {"Idempotent-Replayed": "true"}
            session = _session(params)
            self.sessions.append({"session": session, "params": params})
            if idempotency_key:
                self._by_key[idempotency_key] = (params, session)
        return 200, session, {}


def check_checkout_params(params: dict[str, Any]) -> tuple[str, str] | None:
    """The parameters a donation's Checkout Session must carry, as Stripe names them."""
    mode = params.get("mode")
    if mode not in ("payment", "subscription"):
        return "mode", "Invalid mode"
    if params.get("submit_type") != "donate":
        return "submit_type", "expected donate"
    for name in ("success_url", "cancel_url", "client_reference_id"):
        if not params.get(name):
            return name, f"Missing required param: {name}."
    items = params.get("line_items")
    if not isinstance(items, list) or len(items) != 1:
        return "line_items", "one line item expected"
    price = items[0].get("price_data") or {}
    if not re.fullmatch(r"[a-z]{3}", str(price.get("currency", ""))):
        return "line_items[0][price_data][currency]", "Invalid currency"
    if not str(price.get("unit_amount", "")).isdigit():
        return "line_items[0][price_data][unit_amount]", "Invalid integer"
    recurring = price.get("recurring")
    if mode == "subscription":
        if not recurring or recurring.get("interval") != "month":
            return "line_items[0][price_data][recurring][interval]", "month expected"
        carrier = "subscription_data"
    else:
        if recurring:
            return "line_items[0][price_data][recurring]", "not allowed in payment mode"
        carrier = "payment_intent_data"
    donation_id = (params.get("metadata") or {}).get("donation_id")
    if not donation_id or donation_id != params["client_reference_id"]:
        return "metadata[donation_id]", "the donation id must be in the metadata"
    if ((params.get(carrier) or {}).get("metadata") or {}).get("donation_id") != donation_id:
        return f"{carrier}[metadata][donation_id]", "the donation id must reach the payment"
    return None


def _session(params: dict[str, Any]) -> dict[str, Any]:
    session_id = f"cs_test_{uuid.uuid4().hex}"
    return {
        "id": session_id,
        "object": "checkout.session",
        "url": f"https://checkout.stripe.test/c/pay/{session_id}",
        "mode": params["mode"],
        "status": "open",
        "payment_status": "unpaid",
        "client_reference_id": params["client_reference_id"],
        "metadata": params.get("metadata", {}),
        "amount_total": int(params["line_items"][0]["price_data"]["unit_amount"]),
        "currency": params["line_items"][0]["price_data"]["currency"],
    }


def _error(kind: str, message: str, param: str | None = None) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message, "param": param}}


class _Handler(BaseHTTPRequestHandler):
    stripe: FakeStripe
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        if self.path != "/v1/checkout/sessions":
            self._answer(404, _error("invalid_request_error", "Unrecognized request URL"), {})
            return
        status, payload, headers = self.stripe.create_session(
            self.headers.get("Authorization"), self.headers.get("Idempotency-Key"), body
        )
        self._answer(status, payload, headers)

    def _answer(self, status: int, payload: dict[str, Any], headers: dict[str, str]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", f"req_{uuid.uuid4().hex[:14]}")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass
