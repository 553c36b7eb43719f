"""The interface every email backend offers the worker, and the two ways sending fails."""

from __future__ import annotations

from typing import Protocol

from emails.render import Batch


class EmailBackend(Protocol):
    async def send(self, batch: Batch) -> dict[int, str]:
        """Hand the batch over for delivery, all or nothing; return the provider's id for
        each outbox id. Raises TemporaryFailure or Rejected."""
        ...


class TemporaryFailure(Exception):
    """Try again later: the provider was busy, down or unreachable. `retry_after` is the
    provider's own word on when (seconds from now), if it gave one."""

    def __init__(
        self, detail: str, retry_after: float | None = None, *, rate_limited: bool = False
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after
        # The provider wants fewer requests: not the messages' fault.
        self.rate_limited = rate_limited


class Rejected(Exception):
    """The provider refused the request as it stands; sending it again won't help.
    `recipient_indexes` are the positions of the recipients its errors named, if any."""

    def __init__(self, detail: str, status: int, recipient_indexes: frozenset[int] = frozenset()):
        super().__init__(detail)
        self.detail = detail
        self.status = status
        self.recipient_indexes = recipient_indexes
