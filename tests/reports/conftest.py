"""The dashboard's staff users and logged-in clients, for the report pages' tests; and
reports released all at once, so one worker pass sends a whole run (a test that is
about the spacing asks for its own, by `indirect` parametrisation)."""

import pytest

from campaign.config import Settings
from tests.dashboard.conftest import editor_session, log_in, make_user

__all__ = ["editor_session", "log_in", "make_user"]


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    spacing = getattr(request, "param", 0)
    return settings.model_copy(update={"official_report_spacing_seconds": spacing})
