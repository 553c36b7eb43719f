"""Domain errors. Each carries the HTTP status and problem type the API renders it with,
and the input field at fault when there is one."""

from __future__ import annotations

from typing import ClassVar


class CampaignError(Exception):
    status: int = 400
    type: str = "bad-request"
    title: str = "Bad request"
    headers: ClassVar[dict[str, str] | None] = None

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class NotFound(CampaignError):
    status = 404
    type = "not-found"
    title = "Not found"


class Conflict(CampaignError):
    status = 409
    type = "conflict"
    title = "Conflict"


class InvalidInput(CampaignError):
    status = 422
    type = "validation-error"
    title = "Invalid input"


class InvalidState(CampaignError):
    """The thing exists but is not in a state that allows this action."""

    status = 409
    type = "invalid-state"
    title = "Not allowed in the current state"


class Unauthorized(CampaignError):
    status = 401
    type = "unauthorized"
    title = "Authentication required"
    headers: ClassVar[dict[str, str] | None] = {"WWW-Authenticate": 'Bearer realm="campaign staff"'}


class Forbidden(CampaignError):
    status = 403
    type = "forbidden"
    title = "Not allowed"


class TooManyRequests(CampaignError):
    status = 429
    type = "too-many-requests"
    title = "Too many requests"
    headers: ClassVar[dict[str, str] | None] = {"Retry-After": "3600"}


class ProviderUnavailable(CampaignError):
    """A payment or email provider could not do what we asked; trying again may work."""

    status = 502
    type = "provider-unavailable"
    title = "The provider could not be reached"


class BadRequest(CampaignError):
    """A request the API cannot read as meant (an unsupported filter, say)."""
