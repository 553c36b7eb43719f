"""Email backends, chosen by CAMPAIGN_EMAIL_BACKEND."""

from __future__ import annotations

from campaign.config import Settings
from emails.backends.base import EmailBackend
from emails.backends.console import ConsoleBackend
from emails.backends.file import FileBackend


def backend_from_settings(settings: Settings) -> EmailBackend:
    if settings.email_backend == "console":
        return ConsoleBackend()
    return FileBackend(settings.email_file_dir)
