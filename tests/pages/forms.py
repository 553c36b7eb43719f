"""Reading the public pages' forms in tests: the hidden token and the fields to post."""

from __future__ import annotations

import re
from typing import Any

FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
DONOR_TOKEN = re.compile(r'name="donor_token" value="([^"]+)"')
REQUEST_ID = re.compile(r'name="request_id" value="([^"]+)"')


def form_token(html: str) -> str:
    match = FORM_TOKEN.search(html)
    assert match, "no form token on the page"
    return match.group(1)


def signing_form(token: str, **overrides: Any) -> dict[str, str]:
    fields = {
        "form_token": token,
        "given_name": "Ada",
        "family_name": "Lovelace",
        "email": "ada@example.org",
        "country": "GB",
        "postcode": "N1 9GU",
        "comment": "",
        "email_updates": "yes",
    }
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not None}
