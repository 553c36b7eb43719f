"""The Jinja2 templates of the server-rendered pages, one environment per language.

Every environment has Jinja's i18n extension with the `pages` catalogue of its language
(English shows the messages as written), and filters that format numbers, money and
dates for that language. The staff workspace renders with the English one."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from campaign.i18n import (
    SOURCE_LANGUAGE,
    format_date,
    format_datetime,
    format_money,
    format_number,
    supported_language,
    translations,
)

TEMPLATE_DIR = Path(__file__).parent / "templates"


@cache
def templates_for(language: str) -> Jinja2Templates:
    """The pages' templates in one supported language (English for any other tag)."""
    language = supported_language(language)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(),
        extensions=["jinja2.ext.i18n"],
    )
    # Messages are extracted trimmed (campaign/locale/*.cfg): looked up the same way.
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(translations(language, "pages"), newstyle=True)  # type: ignore[attr-defined]
    env.globals["lang"] = language
    env.filters["number"] = lambda value: format_number(value, language)
    env.filters["money"] = lambda amount, currency: format_money(amount, currency, language)
    env.filters["long_date"] = lambda value: _long_date(value, language)
    env.filters["short_datetime"] = lambda value: format_datetime(
        value, language, "dd MMM y, HH:mm"
    )
    return Jinja2Templates(env=env)


def _long_date(value: date, language: str) -> str:
    # English pages have always read "8 December 2026"; Babel's long English is "December 8".
    style = "d MMMM y" if language == SOURCE_LANGUAGE else "long"
    return format_date(value, language, style)


# The staff workspace, and anything not yet tied to a language, in English.
templates = templates_for(SOURCE_LANGUAGE)


def render_page(
    request: Request,
    name: str,
    context: Mapping[str, Any],
    *,
    language: str,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """A public page rendered in a language, which its answer says it is in."""
    language = supported_language(language)
    response = templates_for(language).TemplateResponse(
        request, name, dict(context), status_code=status_code, headers=headers
    )
    response.headers["Content-Language"] = language
    return response
