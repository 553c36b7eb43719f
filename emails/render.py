"""Turn an outbox row into a complete email message (text and HTML parts)."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from campaign.config import Settings
from campaign.db import utcnow
from campaign.outbox.models import OutboxMessage
from campaign.outbox.service import TRANSACTIONAL_KINDS
from campaign.outbox.unsubscribe import unsubscribe_headers

_TEMPLATES = Path(__file__).parent / "templates"

_environment = Environment(
    loader=FileSystemLoader(_TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,  # a missing variable is a bug, not an empty string
    keep_trailing_newline=True,
)


def _links(message: OutboxMessage, settings: Settings) -> dict[str, Any]:
    token = message.context.get("token")
    links: dict[str, Any] = {}
    if token:
        links["confirm_url"] = f"{settings.public_url}/confirm/{token}"
    return links


def render_message(message: OutboxMessage, settings: Settings) -> EmailMessage:
    context = {**message.context, **_links(message, settings)}
    subject = _environment.get_template(f"{message.kind}.subject.txt").render(context).strip()
    text = _environment.get_template(f"{message.kind}.txt").render(context)
    html = _environment.get_template(f"{message.kind}.html").render(context)

    email = EmailMessage()
    sender_domain = settings.email_from_address.rpartition("@")[2]
    # Address objects quote display names; the email package refuses CR/LF in headers.
    email["From"] = Address(settings.email_from_name, addr_spec=settings.email_from_address)
    email["To"] = Address(message.to_name or "", addr_spec=message.to_address)
    email["Subject"] = subject
    email["Date"] = format_datetime(utcnow())
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain=sender_domain)
    email["X-Campaign-Outbox-Id"] = str(message.id)
    if message.kind not in TRANSACTIONAL_KINDS:
        secret = settings.secret_key.get_secret_value()
        for name, value in unsubscribe_headers(
            message.to_address, settings.public_url, secret
        ).items():
            email[name] = value
    email.set_content(text)
    email.add_alternative(html, subtype="html")
    return email
