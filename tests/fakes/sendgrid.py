"""A small stand-in for SendGrid's v3 mail API on 127.0.0.1, for the real `sendgrid`
client to talk to. It checks requests the way SendGrid documents them (1 to 1,000
personalizations, each with a `to`; string custom_args; text before HTML), answers 202
with an X-Message-Id, and keeps a log of every email it accepted.

It can be told to answer with errors (429 with rate-limit headers, 5xx, 400), and to
hold requests until released: a request whose client has gone away by then is not
accepted, as a provider that never got to answer would not have queued it.

It answers the Email Activity API's filter for the one query the worker makes,
`GET /v3/messages?query=unique_args['outbox_attempt']="<id>"&limit=N`, from what it
accepted (as the real one would once the emails' "processed" events are indexed), or
refuses it with 403 as an account without the add-on does (`activity_api=False`).

Run alone for benchmarks: `python -m tests.fakes.sendgrid --port 0` prints the port;
GET /__received answers with the outbox ids accepted so far.
"""

from __future__ import annotations

import argparse
import json
import re
import select
import socket
import threading
import time
import urllib.parse
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "SG.test-key"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TAG = re.compile(r"\[%\w+:(?:text|html)%\]")
_ATTEMPT_QUERY = re.compile(r"unique_args\['outbox_attempt'\]=\"([^\"]+)\"")


@dataclass
class Delivery:
    """One email as SendGrid would send it: a personalization of an accepted request."""

    outbox_id: str | None
    attempt: str | None
    to: list[dict[str, str]]
    subject: str
    message_id: str
    categories: list[str]
    headers: dict[str, str]
    substitutions: dict[str, str]
    content: list[dict[str, str]] = field(repr=False)

    def body(self, content_type: str = "text/plain") -> str:
        """The part as the recipient gets it, substitutions made."""
        [part] = [c["value"] for c in self.content if c["type"] == content_type]
        return _TAG.sub(lambda m: self.substitutions.get(m.group(0), m.group(0)), part)


@dataclass
class ScriptedAnswer:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]


class FakeSendGrid:
    def __init__(
        self, api_key: str = API_KEY, keep_content: bool = True, *, activity_api: bool = True
    ) -> None:
        self.api_key = api_key
        self.keep_content = keep_content
        self.activity_api = activity_api
        self.activity_queries = 0
        self.deliveries: list[Delivery] = []
        self.requests = 0  # every POST, answered or not
        self.request_sizes: list[int] = []  # personalizations per accepted request
        self.abandoned = 0  # held requests whose client left before the answer
        self.waiting = 0  # requests held right now
        self._script: deque[ScriptedAnswer] = deque()
        self._open = threading.Event()
        self._open.set()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- control, from the test ------------------------------------------------------------

    def answer_next(
        self,
        status: int,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        answer = ScriptedAnswer(status, headers or {}, body or _errors(None, "scripted"))
        with self._lock:
            self._script.extend([answer] * times)

    def hold(self) -> None:
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def outbox_ids(self) -> list[str | None]:
        with self._lock:
            return [d.outbox_id for d in self.deliveries]

    def attempts(self) -> list[tuple[str | None, str | None]]:
        """(outbox id, attempt id) of every email accepted."""
        with self._lock:
            return [(d.outbox_id, d.attempt) for d in self.deliveries]

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self, port: int = 0) -> FakeSendGrid:
        fake = self

        class Handler(_Handler):
            sendgrid = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- the API ---------------------------------------------------------------------------

    def handle_send(self, handler: _Handler, body: bytes) -> None:
        with self._lock:
            self.requests += 1
        if handler.headers.get("Authorization") != f"Bearer {self.api_key}":
            handler.answer(401, _errors(None, "The provided authorization grant is invalid"))
            return
        try:
            request = json.loads(body)
        except ValueError:
            handler.answer(400, _errors(None, "Bad Request"))
            return
        with self._lock:
            scripted = self._script.popleft() if self._script else None
        if scripted is not None:
            handler.answer(scripted.status, scripted.body, scripted.headers)
            return
        problems = validate(request)
        if problems:
            handler.answer(400, {"errors": problems})
            return
        if not self._wait_until_open(handler):
            return
        sandbox = request.get("mail_settings", {}).get("sandbox_mode", {}).get("enable")
        if sandbox:
            handler.answer(200, None)
            return
        message_id = uuid.uuid4().hex[:22]
        self._record(request, message_id)
        handler.answer(202, None, {"X-Message-Id": message_id})

    def handle_activity(self, handler: _Handler, query: dict[str, list[str]]) -> None:
        with self._lock:
            self.activity_queries += 1
        if handler.headers.get("Authorization") != f"Bearer {self.api_key}":
            handler.answer(401, _errors(None, "authorization required"))
            return
        if not self.activity_api:
            handler.answer(403, _errors(None, "access forbidden"))
            return
        match = _ATTEMPT_QUERY.fullmatch((query.get("query") or [""])[0])
        try:
            limit = int((query.get("limit") or ["10"])[0])
        except ValueError:
            limit = 0
        if match is None or not 1 <= limit <= 1000:
            handler.answer(400, _errors("query", "invalid query"))
            return
        with self._lock:
            listed = [d for d in self.deliveries if d.attempt == match.group(1)][:limit]
        messages = [
            {
                "from_email": "",
                "msg_id": f"{d.message_id}.filterdrecv-fake-1-{n}.0",
                "subject": d.subject,
                "to_email": d.to[0]["email"] if d.to else "",
                "status": "processing",
                "opens_count": 0,
                "clicks_count": 0,
                "last_event_time": "",
            }
            for n, d in enumerate(listed)
        ]
        handler.answer(200, {"messages": messages})

    def _wait_until_open(self, handler: _Handler) -> bool:
        with self._lock:
            self.waiting += 1
        try:
            self._open.wait()
        finally:
            with self._lock:
                self.waiting -= 1
        if _peer_has_gone(handler.connection):
            with self._lock:
                self.abandoned += 1
            return False
        return True

    def _record(self, request: dict[str, Any], message_id: str) -> None:
        content = request["content"] if self.keep_content else []
        # As SendGrid does: the message's custom_args and headers, then the
        # personalization's own, which win for a name they share.
        shared_args = request.get("custom_args") or {}
        shared_headers = request.get("headers") or {}
        deliveries = [
            Delivery(
                outbox_id={**shared_args, **p.get("custom_args", {})}.get("outbox_id"),
                attempt={**shared_args, **p.get("custom_args", {})}.get("outbox_attempt"),
                to=p["to"],
                subject=p.get("subject", request.get("subject", "")),
                message_id=message_id,
                categories=request.get("categories", []),
                headers={**shared_headers, **p.get("headers", {})},
                substitutions=p.get("substitutions", {}) if self.keep_content else {},
                content=content,
            )
            for p in request["personalizations"]
        ]
        with self._lock:
            self.deliveries.extend(deliveries)
            self.request_sizes.append(len(deliveries))


def validate(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The checks SendGrid makes that our requests could fail, with its field names."""
    problems = []
    personalizations = request.get("personalizations")
    if not isinstance(personalizations, list) or not 1 <= len(personalizations) <= 1000:
        problems.append(_error("personalizations", "must hold 1 to 1000 items"))
        personalizations = []
    if not _EMAIL.match(str(request.get("from", {}).get("email", ""))):
        problems.append(_error("from.email", "does not contain a valid address"))
    content = request.get("content") or []
    if not content or content[0].get("type") != "text/plain":
        problems.append(_error("content", "text/plain must come first"))
    recipients = 0
    for i, p in enumerate(personalizations):
        to = p.get("to") or []
        if not to:
            problems.append(_error(f"personalizations.{i}.to", "is required"))
        for j, address in enumerate(to):
            recipients += 1
            if not _EMAIL.match(str(address.get("email", ""))):
                problems.append(
                    _error(f"personalizations.{i}.to.{j}.email", "does not contain a valid address")
                )
        if not (p.get("subject") or request.get("subject")):
            problems.append(_error(f"personalizations.{i}.subject", "is required"))
        for name, value in (p.get("custom_args") or {}).items():
            if not isinstance(value, str):
                problems.append(_error(f"personalizations.{i}.custom_args.{name}", "not a string"))
    for name, value in (request.get("custom_args") or {}).items():
        if not isinstance(value, str):
            problems.append(_error(f"custom_args.{name}", "not a string"))
    if recipients > 1000:
        problems.append(_error("personalizations", "at most 1000 recipients per request"))
    if len(request.get("categories") or []) > 10:
        problems.append(_error("categories", "at most 10"))
    return problems


def _error(field_name: str | None, message: str) -> dict[str, Any]:
    return {"field": field_name, "message": message, "help": None}


def _errors(field_name: str | None, message: str) -> dict[str, Any]:
    return {"errors": [_error(field_name, message)]}


def _peer_has_gone(connection: socket.socket) -> bool:
    readable, _, _ = select.select([connection], [], [], 0)
    if not readable:
        return False
    try:
        return connection.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def rate_limit_headers(reset_in_seconds: float) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": "600",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(int(time.time() + reset_in_seconds)),
    }


class _Handler(BaseHTTPRequestHandler):
    sendgrid: FakeSendGrid
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/v3/mail/send":
            self.sendgrid.handle_send(self, body)
        else:
            self.answer(404, _errors(None, "not found"))

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        if path == "/v3/messages":
            self.sendgrid.handle_activity(self, urllib.parse.parse_qs(query))
        elif self.path == "/__received":
            self.answer(
                200, {"outbox_ids": self.sendgrid.outbox_ids(), "requests": self.sendgrid.requests}
            )
        else:
            self.answer(404, _errors(None, "not found"))

    def answer(
        self, status: int, body: dict[str, Any] | None, headers: dict[str, str] | None = None
    ) -> None:
        payload = b"" if body is None else json.dumps(body).encode()
        try:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the client has gone; nothing to tell it

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests read the log of deliveries instead


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key", default=API_KEY)
    args = parser.parse_args()
    fake = FakeSendGrid(args.api_key, keep_content=False).start(args.port)
    print(fake.url, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
