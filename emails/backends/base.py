"""The interface every email backend offers the worker, and the ways sending fails."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from emails.render import Batch


class EmailBackend(Protocol):
    # Named on a message that may have been sent twice because this backend cannot tell.
    name: str

    async def send(self, batch: Batch, attempt_id: str) -> dict[int, str]:
        """Hand the batch over for delivery as one attempt, whose id the provider keeps
        with each email; return the provider's id for each outbox id. Raises
        TemporaryFailure or Rejected when the provider took nothing; OutcomeUnknown (or
        anything else) when that cannot be known now (see `accepted`)."""
        ...

    async def accepted(self, attempt_id: str, outbox_ids: Sequence[int]) -> dict[int, str] | None:
        """Which of these messages the provider got in attempt `attempt_id`, with its id
        for each; None if it cannot tell. Asked once the attempt's lease has run out
        without its outcome recorded. Raises TemporaryFailure if it cannot answer now."""
        ...


class TemporaryFailure(Exception):
    """Try again later: the provider was busy, down or unreachable, and took nothing.
    `retry_after` is the provider's own word on when (seconds from now), if it gave one."""

    def __init__(
        self, detail: str, retry_after: float | None = None, *, rate_limited: bool = False
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after
        # The provider wants fewer requests: not the messages' fault.
        self.rate_limited = rate_limited


class OutcomeUnknown(Exception):
    """The request may or may not have reached the provider (a timeout, a connection
    broken after it was sent): only asking the provider later can tell."""


class Rejected(Exception):
    """The provider refused the request as it stands; sending it again won't help.
    `recipient_indexes` are the positions of the recipients its errors named, if any."""

    def __init__(self, detail: str, status: int, recipient_indexes: frozenset[int] = frozenset()):
        super().__init__(detail)
        self.detail = detail
        self.status = status
        self.recipient_indexes = recipient_indexes
