"""Text shaped like a substitution tag, in a name or in a letter a person wrote, reaches
the reader as written, in every backend: it is never replaced, and never fails the email."""

from __future__ import annotations

import asyncio
from email import policy
from email.parser import BytesParser
from pathlib import Path

from campaign.config import Settings
from campaign.outbox.models import EmailKind, OutboxMessage
from emails.backends.console import ConsoleBackend
from emails.backends.file import FileBackend
from emails.backends.sendgrid import request_body
from emails.render import render_batches

SETTINGS = Settings(environment="test", public_url="http://campaign.test")
TAGS = "[%given_name:text%] [%confirm_url:html%] [%nobody:text%]"


def messages() -> list[OutboxMessage]:
    letter = OutboxMessage(
        id=1,
        kind=EmailKind.LETTER_TO_OFFICIAL.value,
        to_address="official@council.example.org",
        to_name="Cllr Jones",
        from_name="Ada Lovelace",
        reply_to="ada@example.org",
        context={
            "campaign_title": "Meadows",
            "subject": "Save the meadows",
            "body": f"Please keep the meadows. {TAGS}",
            "sender_name": "Ada Lovelace",
            "official_name": "Cllr Jones",
        },
    )
    signer_named_like_tags = OutboxMessage(
        id=2,
        kind=EmailKind.SIGNATURE_CONFIRMATION.value,
        to_address="tags@example.org",
        to_name=TAGS,
        context={"given_name": TAGS, "campaign_title": "Meadows", "token": "tok2"},
    )
    ordinary_signer = OutboxMessage(
        id=3,
        kind=EmailKind.SIGNATURE_CONFIRMATION.value,
        to_address="bo@example.org",
        to_name="Bo",
        context={"given_name": "Bo", "campaign_title": "Meadows", "token": "tok3"},
    )
    return [letter, signer_named_like_tags, ordinary_signer]


def texts_written_by_file_backend(folder: Path) -> dict[str, str]:
    backend = FileBackend(folder, SETTINGS)
    for batch in render_batches(messages(), SETTINGS):
        asyncio.run(backend.send(batch, "attempt-1"))
    texts = {}
    for path in sorted(folder.glob("*.eml")):
        email = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        texts[path.name] = email.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    return texts


def test_the_file_backend_writes_tag_like_text_as_text(tmp_path: Path) -> None:
    texts = texts_written_by_file_backend(tmp_path)
    assert len(texts) == 3
    letter, tagged, ordinary = texts.values()
    assert TAGS in letter
    assert f"Dear {TAGS}," in tagged
    assert "/confirm/tok2" in tagged
    assert "Dear Bo," in ordinary and "[%" not in ordinary


def test_the_console_backend_prints_tag_like_text_as_text(capsys: object) -> None:
    backend = ConsoleBackend(SETTINGS)
    for batch in render_batches(messages(), SETTINGS):
        asyncio.run(backend.send(batch, "attempt-1"))
    printed = capsys.readouterr().out  # type: ignore[attr-defined]
    assert printed.count(TAGS) >= 2


def test_sendgrid_is_never_asked_to_substitute_inside_text_a_person_wrote() -> None:
    for batch in render_batches(messages(), SETTINGS):
        body = request_body(batch, SETTINGS, "attempt-1")
        holds_tags = TAGS in body["content"][0]["value"]
        for personalization in body["personalizations"]:
            if holds_tags:
                # SendGrid would replace a tag wherever it is: a body that quotes one
                # goes whole, with nothing for SendGrid to substitute.
                assert "substitutions" not in personalization
