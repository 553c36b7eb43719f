"""Email backends, chosen by CAMPAIGN_EMAIL_BACKEND."""

from __future__ import annotations

from campaign.config import Settings
from emails.backends.base import EmailBackend, OutcomeUnknown, Rejected, TemporaryFailure
from emails.backends.console import ConsoleBackend
from emails.backends.file import FileBackend
from emails.backends.sendgrid import SendGridBackend

__all__ = [
    "EmailBackend",
    "OutcomeUnknown",
    "Rejected",
    "TemporaryFailure",
    "backend_from_settings",
]


def backend_from_settings(settings: Settings) -> EmailBackend:
    if settings.email_backend == "sendgrid":
        return SendGridBackend(settings)
    if settings.email_backend == "console":
        return ConsoleBackend(settings)
    return FileBackend(settings.email_file_dir, settings)
