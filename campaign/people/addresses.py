"""Email addresses: validate, keep the address as typed for sending, and derive the
normalised form used to recognise the same inbox behind different spellings."""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

# Providers that deliver name+anything@ to name@. Gmail also ignores dots in the
# local part, and googlemail.com is the same mailbox as gmail.com.
_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
_PLUS_TAG_DOMAINS = _GMAIL_DOMAINS | frozenset(
    {
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "fastmail.com",
        "fastmail.fm",
        "proton.me",
        "protonmail.com",
        "pm.me",
    }
)


@dataclass(frozen=True)
class EmailAddress:
    typed: str
    normalised: str


class InvalidEmail(ValueError):
    pass


def parse_email(raw: str) -> EmailAddress:
    """Validate syntax (no DNS look-up: signing must not wait on the network)."""
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidEmail(str(error)) from error
    return EmailAddress(typed=result.normalized, normalised=normalise_email(result.normalized))


def normalise_email(address: str) -> str:
    local, _, domain = address.strip().lower().rpartition("@")
    if domain in _PLUS_TAG_DOMAINS:
        local = local.split("+", 1)[0]
    if domain in _GMAIL_DOMAINS:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"
