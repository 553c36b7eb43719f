"""Which database errors mean "try again in a moment": the API answers them 503 and the
worker retries its recording through them; anything else is a bug or bad input."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError

from campaign.db import database_unavailable


def wrapped(driver_error: Exception) -> DBAPIError:
    """The chain SQLAlchemy's asyncpg dialect raises: its DBAPIError, caused by the
    dialect's adapter error, caused by the driver's own."""
    try:
        try:
            try:
                raise driver_error
            except Exception as error:
                raise RuntimeError(str(error)) from error
        except RuntimeError as adapted:
            raise DBAPIError("INSERT ...", None, adapted) from adapted
    except DBAPIError as raised:
        return raised


@pytest.mark.parametrize(
    "driver_error",
    [
        # PostgreSQL restarting: refusing work while it shuts down, then not listening.
        asyncpg.CannotConnectNowError("the database system is shutting down"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        ConnectionRefusedError(111, "Connect call failed"),
        ConnectionResetError(104, "Connection reset by peer"),
        asyncpg.TooManyConnectionsError("sorry, too many clients already"),
    ],
    ids=type,
)
def test_a_restarting_or_unreachable_database_is_unavailable(driver_error: Exception) -> None:
    assert database_unavailable(wrapped(driver_error))
    assert database_unavailable(driver_error)


@pytest.mark.parametrize(
    "error",
    [
        wrapped(asyncpg.UniqueViolationError("duplicate key value")),
        wrapped(asyncpg.DataError("invalid byte sequence for encoding")),
        IntegrityError("INSERT ...", None, ValueError("constraint")),
        ValueError("a bug of ours"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_other_errors_are_not_unavailability(error: Exception) -> None:
    assert not database_unavailable(error)
