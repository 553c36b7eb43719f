"""Prints each email to standard output: for trying things out in a terminal."""

from __future__ import annotations

import sys
from email.message import EmailMessage


class ConsoleBackend:
    async def send(self, message: EmailMessage) -> str:
        text = message.get_body(preferencelist=("plain",))
        body = text.get_content() if text is not None else ""
        sys.stdout.write(
            f"--- email to {message['To']}\nSubject: {message['Subject']}\n\n{body}\n---\n"
        )
        sys.stdout.flush()
        return f"console:{message['X-Campaign-Outbox-Id']}"
