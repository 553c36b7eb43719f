"""ASGI entry point for servers that import an app object: `uvicorn api.main:app`."""

from api.app import create_app

app = create_app()
