"""Writes each email as an .eml file in a folder: the embedded default, for
development and demos (open the file in any mail program)."""

from __future__ import annotations

import asyncio
import os
from email.message import EmailMessage
from pathlib import Path


class FileBackend:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send(self, message: EmailMessage) -> str:
        return await asyncio.to_thread(self._write, message)

    def _write(self, message: EmailMessage) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        outbox_id = message["X-Campaign-Outbox-Id"]
        name = f"{int(outbox_id):08d}.eml" if outbox_id else "message.eml"
        final = self.folder / name
        partial = final.with_suffix(".eml.partial")
        partial.write_bytes(message.as_bytes())
        # Appears whole or not at all, for anyone watching the folder.
        os.replace(partial, final)
        return f"file:{final.name}"
