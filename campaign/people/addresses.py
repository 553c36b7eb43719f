"""Email addresses: validate, keep the address as typed for sending, and derive the
normalised form used to recognise the same inbox behind different spellings."""

from __future__ import annotations

import re
from dataclasses import dataclass

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

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


# The plain addresses nearly everyone types: ASCII, a dot-atom before the @, host-name
# labels after it. email_validator accepts every one of these and changes nothing but the
# domain's case (tests/people/test_addresses.py holds the two to the same verdicts);
# anything else, or any doubt, goes to email_validator. It costs a fraction of it, and
# signing validates one address per request.
_PLAIN_ADDRESS = re.compile(
    r"(?P<local>[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)"
    r"@(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"(?:[A-Za-z0-9][A-Za-z0-9-]{0,61})?[A-Za-z])"
)
_MAX_ADDRESS = 254  # RFC 5321's limit on a path, as email_validator applies it
_MAX_DOMAIN = 253
_SPECIAL_USE = tuple(SPECIAL_USE_DOMAIN_NAMES)
_CASE_INSENSITIVE_MAILBOXES = frozenset(CASE_INSENSITIVE_MAILBOX_NAMES)


def parse_email(raw: str) -> EmailAddress:
    """Validate syntax (no DNS look-up: signing must not wait on the network)."""
    address = raw.strip()
    typed = _plain_address(address)
    if typed is None:
        try:
            typed = validate_email(address, check_deliverability=False).normalized
        except EmailNotValidError as error:
            raise InvalidEmail(str(error)) from error
    return EmailAddress(typed=typed, normalised=normalise_email(typed))


def _plain_address(address: str) -> str | None:
    """The address as email_validator would give it back, if it is a plain one that it
    certainly accepts; None to leave the verdict to email_validator."""
    if len(address) > _MAX_ADDRESS or not address.isascii():
        return None
    match = _PLAIN_ADDRESS.fullmatch(address)
    if match is None:
        return None
    local, domain = match.group("local"), match.group("domain").lower()
    if len(domain) > _MAX_DOMAIN or local.lower() in _CASE_INSENSITIVE_MAILBOXES:
        return None  # email_validator's limit, or a mailbox name it lower-cases
    for label in domain.split("."):
        # Punycode and the like ("ab--"): IDNA rules decide those.
        if label[2:4] == "--":
            return None
    if any(domain == name or domain.endswith("." + name) for name in _SPECIAL_USE):
        return None
    return f"{local}@{domain}"


def normalise_email(address: str) -> str:
    local, _, domain = address.strip().lower().rpartition("@")
    if domain in _PLUS_TAG_DOMAINS:
        local = local.split("+", 1)[0]
    if domain in _GMAIL_DOMAINS:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"
