"""The Jinja2 templates of the server-rendered pages (confirmation, unsubscribe)."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
# The staff workspace's texts are marked for gettext (domain `staff`) and shown in English.
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
