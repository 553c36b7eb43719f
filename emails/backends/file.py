"""Writes each email as an .eml file in a folder: the embedded default, for
development and demos (open the file in any mail program).

Each file carries its attempt's id (header X-Campaign-Attempt), and a file is the
hand-over of its one message: a worker killed halfway through a batch has delivered the
files it wrote, and `accepted` finds them by looking, so only the others go again."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from email.parser import BytesHeaderParser
from pathlib import Path

from campaign.config import Settings
from emails.render import Batch

ATTEMPT_HEADER = "X-Campaign-Attempt"


class FileBackend:
    name = "the file backend"

    def __init__(self, folder: Path, settings: Settings) -> None:
        self.folder = folder
        self.settings = settings

    async def send(self, batch: Batch, attempt_id: str) -> dict[int, str]:
        return await asyncio.to_thread(self._write, batch, attempt_id)

    async def accepted(self, attempt_id: str, outbox_ids: Sequence[int]) -> dict[int, str] | None:
        return await asyncio.to_thread(self._written, attempt_id, outbox_ids)

    def _write(self, batch: Batch, attempt_id: str) -> dict[int, str]:
        self.folder.mkdir(parents=True, exist_ok=True)
        written = {}
        for recipient in batch.recipients:
            email = batch.email_for(recipient, self.settings)
            email[ATTEMPT_HEADER] = attempt_id
            partial = self.folder / f"{recipient.outbox_id:08d}.{attempt_id}.partial"
            partial.write_bytes(email.as_bytes())
            final = self._publish(partial, recipient.outbox_id, attempt_id)
            written[recipient.outbox_id] = f"file:{final.name}"
        return written

    def _publish(self, partial: Path, outbox_id: int, attempt_id: str) -> Path:
        """Give the file its name, whole or not at all for anyone watching the folder.
        A message sent a second time is a second file, as it would be a second email in
        a mailbox: nothing already delivered is overwritten."""
        final = self.folder / f"{outbox_id:08d}.eml"
        try:
            os.link(partial, final)
        except FileExistsError:
            final = self.folder / f"{outbox_id:08d}.{attempt_id}.eml"
            os.replace(partial, final)
        else:
            partial.unlink()
        return final

    def _written(self, attempt_id: str, outbox_ids: Sequence[int]) -> dict[int, str]:
        written = {}
        for outbox_id in outbox_ids:
            first = self.folder / f"{outbox_id:08d}.eml"
            again = self.folder.glob(f"{outbox_id:08d}.*.eml")
            for path in [first, *again] if first.exists() else again:
                with path.open("rb") as file:
                    headers = BytesHeaderParser().parse(file)
                if headers.get(ATTEMPT_HEADER) == attempt_id:
                    written[outbox_id] = f"file:{path.name}"
        return written
