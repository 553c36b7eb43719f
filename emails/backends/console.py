"""Prints each email to standard output: for trying things out in a terminal."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from campaign.config import Settings
from emails.render import Batch


class ConsoleBackend:
    name = "the console backend"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, batch: Batch, attempt_id: str) -> dict[int, str]:
        for recipient in batch.recipients:
            email = batch.email_for(recipient, self.settings)
            text = email.get_body(preferencelist=("plain",))
            body = text.get_content() if text is not None else ""
            sys.stdout.write(
                f"--- email to {email['To']}\nSubject: {email['Subject']}\n\n{body}\n---\n"
            )
        sys.stdout.flush()
        return {r.outbox_id: f"console:{r.outbox_id}" for r in batch.recipients}

    async def accepted(self, attempt_id: str, outbox_ids: Sequence[int]) -> dict[int, str] | None:
        return None  # what was printed is gone
