"""Rendering in batches: whatever a recipient's values, the email they get is the one a
rendering of the template with their values alone would give."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from markupsafe import escape

from campaign.config import Settings
from campaign.outbox.models import EmailKind, OutboxMessage
from emails import render
from emails.render import render_batches

SETTINGS = Settings(environment="test", public_url="http://campaign.test")


def confirmation(number: int, given_name: str, title: str = "Meadows") -> OutboxMessage:
    return OutboxMessage(
        id=number,
        kind=EmailKind.SIGNATURE_CONFIRMATION.value,
        to_address=f"signer{number}@example.org",
        to_name=None,
        context={"given_name": given_name, "campaign_title": title, "token": f"tok{number}"},
    )


def bodies(batch: Any, index: int) -> tuple[str, str]:
    email = batch.email_for(batch.recipients[index], SETTINGS)
    text = email.get_body(preferencelist=("plain",)).get_content()
    html = email.get_body(preferencelist=("html",)).get_content()
    return text, html


names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40
).filter(lambda name: name.strip() == name)


@hypothesis_settings(max_examples=60, deadline=None)
@given(first=names, second=names)
def test_each_recipient_gets_their_own_values_escaped_for_each_part(
    first: str, second: str
) -> None:
    batches = render_batches([confirmation(1, first), confirmation(2, second)], SETTINGS)
    recipients = {
        r.outbox_id: (batch, i) for batch in batches for i, r in enumerate(batch.recipients)
    }
    for number, name in ((1, first), (2, second)):
        batch, index = recipients[number]
        text, html = bodies(batch, index)
        assert f"Dear {name},\n" in text
        assert f"<p>Dear {escape(name)},</p>" in html
        assert f"http://campaign.test/confirm/tok{number}" in text
        other = 2 if number == 1 else 1
        assert f"/confirm/tok{other}" not in text + html


def test_messages_that_share_a_template_share_one_rendering() -> None:
    messages = [confirmation(n, f"Signer{n}") for n in range(1, 4)]
    messages.append(confirmation(4, "Signer4", title="Rivers"))
    batches = render_batches(messages, SETTINGS)
    assert sorted(len(b.recipients) for b in batches) == [1, 3]
    shared = next(b for b in batches if len(b.recipients) == 3)
    assert "[%given_name:html%]" in shared.html and "[%confirm_url:text%]" in shared.text
    assert "Signer1" not in shared.html + shared.text


def test_the_unsubscribe_footer_appears_where_there_is_an_unsubscribe_link() -> None:
    # No kind that needs it exists yet; the shared layout gives it to the first one.
    environment = render.environment("en")
    url = "http://campaign.test/unsubscribe/abc"
    for layout in ("_layout.html", "_layout.txt"):
        template = environment.get_template(layout)
        assert url in template.render(unsubscribe_url=url)
        assert "nsubscribe" not in template.render()


def test_a_subject_that_prints_a_recipients_value_is_each_recipients_own(
    monkeypatch: Any,
) -> None:
    """A group's subject is rendered once; where it prints a personal value, each
    recipient's subject has their own, as typed (a subject is text, not HTML)."""
    from jinja2 import ChoiceLoader, DictLoader

    own_subject = {
        "signature_confirmation.subject.txt": "Thanks, {{ given_name }}: {{ campaign_title }}"
    }
    environment = render.environment("en").overlay(
        loader=ChoiceLoader([DictLoader(own_subject), render.environment("en").loader])  # type: ignore[list-item]
    )
    monkeypatch.setattr(render, "environment", lambda language: environment)
    [batch] = render_batches([confirmation(1, "Ada & Bo"), confirmation(2, "Cy")], SETTINGS)
    assert [r.subject for r in batch.recipients] == [
        "Thanks, Ada & Bo: Meadows",
        "Thanks, Cy: Meadows",
    ]
