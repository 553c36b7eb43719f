"""One inbox, one signer: how addresses are normalised for dedupe."""

from __future__ import annotations

import pytest

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
