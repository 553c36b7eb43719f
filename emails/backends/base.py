"""The interface every email backend offers the worker."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Protocol


class EmailBackend(Protocol):
    async def send(self, message: EmailMessage) -> str:
        """Hand the message over for delivery; return the provider's id for it."""
        ...
