"""Headers are built by the email package from Address objects: whatever a person calls
themselves, the From and To of the file a backend writes parse back to exactly one
address, the right one, with the name as they typed it."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

import pytest

from campaign.config import Settings
from campaign.outbox.models import EmailKind, OutboxMessage
from emails.render import render_batches

SETTINGS = Settings(environment="test", public_url="http://campaign.test")

# Address punctuation, quoting and encoding characters, and text beyond ASCII.
HOSTILE_PIECES = [
    "Eve, victim@evil.com, ",
    '"Mallory" <m@evil.com>; ',
    "Dr. O'Brien (the elder) [x]: ",
    "=?utf-8?q?x?= \\ ",
    "Zoë Ñúñez, ",
    "Ω Ω ",
]


def hostile_name(length: int, piece: str) -> str:
    name = (piece * (length // len(piece) + 1))[:length].strip()
    return name or "E"


def letter(name: str, sender: str) -> OutboxMessage:
    return OutboxMessage(
        id=7,
        kind=EmailKind.LETTER_TO_OFFICIAL.value,
        to_address="official@council.example.org",
        to_name=name,
        from_name=sender,
        reply_to="activist@example.org",
        context={
            "campaign_title": "Meadows",
            "subject": "Save the meadows",
            "body": "Please keep the meadows.",
            "sender_name": sender,
            "official_name": name,
        },
    )


def parsed_headers(message: OutboxMessage) -> object:
    [batch] = render_batches([message], SETTINGS)
    raw = batch.email_for(batch.recipients[0], SETTINGS).as_bytes()
    return BytesParser(policy=policy.default).parsebytes(raw)


@pytest.mark.parametrize("piece", HOSTILE_PIECES)
def test_names_of_every_length_parse_back_to_one_address(piece: str) -> None:
    for length in range(1, 201):
        name = hostile_name(length, piece)
        email = parsed_headers(letter(name, name))
        for header, address in (
            ("From", SETTINGS.email_from_address),
            ("To", "official@council.example.org"),
        ):
            addresses = email[header].addresses  # type: ignore[index]
            assert [a.addr_spec for a in addresses] == [address], (length, header)
            if "=?" not in name:
                # Text shaped like an encoded word is read as one by every mail reader
                # (it can change how the name reads, never which address it is).
                assert addresses[0].display_name == name, (length, header)
        assert [a.addr_spec for a in email["Reply-To"].addresses] == [  # type: ignore[index]
            "activist@example.org"
        ]


def test_a_line_break_in_a_name_cannot_start_a_header() -> None:
    email = parsed_headers(letter("Eve\r\nBcc: victim@evil.com", "Eve\nX-Evil: 1"))
    assert email["Bcc"] is None and email["X-Evil"] is None  # type: ignore[index]
    assert email["To"].addresses[0].display_name == "Eve Bcc: victim@evil.com"  # type: ignore[index]
