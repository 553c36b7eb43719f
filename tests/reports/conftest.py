"""The dashboard's staff users and logged-in clients, for the report pages' tests."""

from tests.dashboard.conftest import editor_session, log_in, make_user

__all__ = ["editor_session", "log_in", "make_user"]
