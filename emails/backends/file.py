"""Writes each email as an .eml file in a folder: the embedded default, for
development and demos (open the file in any mail program)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from campaign.config import Settings
from emails.render import Batch


class FileBackend:
    def __init__(self, folder: Path, settings: Settings) -> None:
        self.folder = folder
        self.settings = settings

    async def send(self, batch: Batch) -> dict[int, str]:
        return await asyncio.to_thread(self._write, batch)

    def _write(self, batch: Batch) -> dict[int, str]:
        self.folder.mkdir(parents=True, exist_ok=True)
        written = {}
        for recipient in batch.recipients:
            final = self.folder / f"{recipient.outbox_id:08d}.eml"
            partial = final.with_suffix(".eml.partial")
            partial.write_bytes(batch.email_for(recipient, self.settings).as_bytes())
            # Appears whole or not at all, for anyone watching the folder.
            os.replace(partial, final)
            written[recipient.outbox_id] = f"file:{final.name}"
        return written
