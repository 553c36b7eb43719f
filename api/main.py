"""ASGI entry points for servers that import the app:
`uvicorn --factory api.main:create_app_from_environment`, or `uvicorn api.main:app`."""

from __future__ import annotations

from fastapi import FastAPI

from api.app import create_app
from campaign.config import get_settings


def create_app_from_environment() -> FastAPI:
    return create_app(get_settings())


def __getattr__(name: str) -> FastAPI:
    # `app` is built on first use, so importing this module has no side effects.
    if name == "app":
        return create_app_from_environment()
    raise AttributeError(name)
