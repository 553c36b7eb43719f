"""One inbox, one signer: how addresses are normalised for dedupe."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from campaign.people.addresses import InvalidEmail, normalise_email, parse_email


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("Ada@Example.org", "ada@example.org"),
        ("  ada@example.org\t", "ada@example.org"),
        ("a.d.a@example.org", "a.d.a@example.org"),  # dots matter outside Gmail
        ("ada+news@example.org", "ada+news@example.org"),  # unknown provider: tag kept
        ("A.Da+petitions@gmail.com", "ada@gmail.com"),
        ("ada@googlemail.com", "ada@gmail.com"),
        ("ada+x@outlook.com", "ada@outlook.com"),
        ("ada.l+x@outlook.com", "ada.l@outlook.com"),  # Outlook keeps dots
        ("ada+x@icloud.com", "ada@icloud.com"),
        ("ada+x@proton.me", "ada@proton.me"),
    ],
)
def test_normalise_email(typed: str, normalised: str) -> None:
    assert normalise_email(typed) == normalised


def test_parse_keeps_the_address_as_typed_for_sending() -> None:
    address = parse_email(" Ada.Lovelace+Petitions@GMAIL.com ")
    assert address.typed == "Ada.Lovelace+Petitions@gmail.com"
    assert address.normalised == "adalovelace@gmail.com"


def test_international_domains_are_accepted() -> None:
    address = parse_email("maria@bücher.example")
    assert address.normalised == "maria@bücher.example"


@pytest.mark.parametrize(
    "bad", ["", "ada", "ada@", "@example.org", "ada@@example.org", "a b@example.org"]
)
def test_invalid_addresses_are_refused(bad: str) -> None:
    with pytest.raises(InvalidEmail):
        parse_email(bad)


def _email_validators_verdict(raw: str) -> str | None:
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def _our_verdict(raw: str) -> str | None:
    try:
        return parse_email(raw).typed
    except InvalidEmail:
        return None


# Pieces that sit on the edges of the rules: dots and hyphens where they may not be,
# Punycode and look-alikes, reserved names, mailbox names that are lower-cased, case,
# long labels, numbers where a top-level domain should be.
_LOCAL_PIECES = st.sampled_from(
    [
        "ada",
        "A",
        "Info",
        "postmaster",
        "x+y",
        "o'neil",
        ".",
        "..",
        "-",
        "_",
        "{",
        "~",
        "ü",
        '"',
        " ",
    ]
)
_DOMAIN_PIECES = st.sampled_from(
    [
        "example",
        "Example",
        "org",
        "ORG",
        "co",
        "uk",
        "xn--",
        "ab--c",
        "a-",
        "-a",
        "1",
        "123",
        "b\u00fccher",
        "test",
        "local",
        "localhost",
        "onion",
        "arpa",
        "invalid",
        "x" * 63,
        "y" * 64,
        ".",
        "..",
        "-",
        "_",
        "gmail",
        "com",
        "c0m",
        "c-m",
    ]
)
_ADDRESSES = st.builds(
    lambda local, domain, tail: "".join(local) + "@" + "".join(domain) + tail,
    st.lists(_LOCAL_PIECES, min_size=1, max_size=6),
    st.lists(_DOMAIN_PIECES, min_size=1, max_size=12),
    st.sampled_from(["", ".", " ", "@", "\n"]),
)


@hypothesis_settings(max_examples=3000, deadline=None)
@given(st.one_of(_ADDRESSES, st.text(max_size=80)))
@example("a" * 240 + "@example.org")
@example("a@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + "." + "e" * 57 + ".org")
@example("WWW@example.org")
@example("ada@example.c0m")
@example("ada@example.c")
def test_the_same_verdicts_as_email_validator(raw: str) -> None:
    """Plain addresses take a shorter way than email_validator's (addresses.py): for any
    input at all, the verdict and the address kept are the library's."""
    assert _our_verdict(raw) == _email_validators_verdict(raw)
