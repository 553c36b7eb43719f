"""The petition page and its plain HTML form, over HTTP against the real app: signing
through the same flow as the API, the form token, errors next to their fields, hostile
input, drafts and closed petitions, and the embeddable form's framing headers."""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.form_tokens import issue_form_token
from campaign.config import Settings
from campaign.signatures.models import Signature
from tests.fixtures.emails import confirmation_path
from tests.pages.forms import form_token, signing_form

SLUG = "stop-the-arms-trade"
PAGE = f"/c/{SLUG}"

Publish = Callable[..., Awaitable[dict[str, Any]]]


async def _token(client: httpx.AsyncClient, page: str = PAGE) -> str:
    answer = await client.get(page)
    assert answer.status_code == 200, answer.text
    return form_token(answer.text)


async def _signatures(factory: async_sessionmaker[AsyncSession]) -> list[Signature]:
    async with factory() as session:
        return list(await session.scalars(select(Signature).order_by(Signature.id)))


def _error_for(page: str, field: str) -> str:
    """The error shown next to a field, as a screen reader reads it."""
    match = re.search(
        rf'id="{field}-error"><span class="visually-hidden">(Error: )</span>(.*?)</span>', page
    )
    assert match, f"no error shown for {field}"
    return html.unescape(match.group(1) + match.group(2))


async def test_the_page_shows_the_petition_its_count_and_the_form(
    client: httpx.AsyncClient, publish_petition: Publish
) -> None:
    await publish_petition(postcode_mode="required")
    answer = await client.get(PAGE)
    assert answer.status_code == 200
    page = answer.text
    assert '<html lang="en">' in page
    assert "<h1>Stop arms transfers that fuel war crimes</h1>" in page
    assert "To: All states" in page
    assert "<strong>must</strong>" in page  # the campaign's text, rendered and sanitised
    assert "<strong data-count>0</strong>" in page
    assert '<progress data-progress max="1000" value="0"' in page
    for field in ("given_name", "family_name", "email", "country", "postcode", "comment"):
        assert f'<label for="{field}">' in page
    assert 'name="email_updates" value="yes"' in page
    assert 'name="email_updates" value="no"' in page
    assert 'href="mailto:?subject=' in page
    assert 'value="http://campaign.test/c/stop-the-arms-trade"' in page
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["x-frame-options"] == "DENY"


async def test_the_postcode_is_not_asked_when_the_campaign_hides_it(
    client: httpx.AsyncClient, publish_petition: Publish
) -> None:
    await publish_petition(postcode_mode="hidden")
    assert 'name="postcode"' not in (await client.get(PAGE)).text


async def test_signing_through_the_form_redirects_to_check_your_inbox(
    client: httpx.AsyncClient,
    publish_petition: Publish,
    session_factory: async_sessionmaker[AsyncSession],
    settle_submissions: Callable[[], Awaitable[None]],
    deliver_emails: Callable[[], Awaitable[list[Any]]],
) -> None:
    await publish_petition()
    token = await _token(client)
    form = signing_form(token, comment="<b>Bold</b> & brave")
    answer = await client.post(f"{PAGE}/sign", data=form)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{PAGE}/sent"
    inbox = await client.get(answer.headers["location"])
    assert inbox.status_code == 200
    assert "Check your inbox" in inbox.text

    await settle_submissions()
    [signature] = await _signatures(session_factory)
    assert (signature.status, signature.channel) == ("pending", "web")
    assert signature.comment == "<b>Bold</b> & brave"  # stored as typed, never rendered as HTML
    assert signature.email_updates is True

    [email] = await deliver_emails()
    confirmed = await client.get(confirmation_path(email))
    assert confirmed.status_code == 200
    assert f'href="{PAGE}"' in confirmed.text
    assert "Chip in" not in confirmed.text  # no payment provider on this server
    assert "<strong data-count>1</strong>" in (await client.get(PAGE)).text


async def test_the_answer_is_the_same_for_an_address_that_signed_before(
    client: httpx.AsyncClient, publish_petition: Publish
) -> None:
    await publish_petition()
    first = await client.post(f"{PAGE}/sign", data=signing_form(await _token(client)))
    again = await client.post(f"{PAGE}/sign", data=signing_form(await _token(client)))
    assert (first.status_code, first.headers["location"]) == (
        again.status_code,
        again.headers["location"],
    )


async def test_errors_are_shown_next_to_their_fields_and_the_values_are_kept(
    client: httpx.AsyncClient,
    publish_petition: Publish,
    session_factory: async_sessionmaker[AsyncSession],
    settle_submissions: Callable[[], Awaitable[None]],
) -> None:
    await publish_petition()
    form = signing_form(
        await _token(client), given_name="", email="not an address", email_updates=None
    )
    answer = await client.post(f"{PAGE}/sign", data=form)
    assert answer.status_code == 422
    page = answer.text
    assert "<title>Error: " in page
    assert 'id="error-summary" tabindex="-1" autofocus' in page
    assert '<a href="#given_name">Enter your given name.</a>' in page
    assert _error_for(page, "given_name") == "Error: Enter your given name."
    assert _error_for(page, "email").startswith("Error: ")
    assert _error_for(page, "email_updates") == "Error: Choose yes or no."
    assert re.search(
        r'id="given_name"[^>]*aria-describedby="given_name-error" aria-invalid="true"', page
    )
    assert re.search(r'id="email"[^>]*aria-describedby="email-hint email-error"', page)
    assert 'value="Lovelace"' in page
    assert 'value="not an address"' in page
    assert '<option value="GB" selected>' in page
    assert 'aria-invalid="true"' not in re.search(r'<input id="family_name"[^>]*>', page).group(0)
    await settle_submissions()
    assert await _signatures(session_factory) == []


async def test_a_required_postcode_is_asked_for_next_to_its_field(
    client: httpx.AsyncClient, publish_petition: Publish
) -> None:
    await publish_petition(postcode_mode="required")
    answer = await client.post(f"{PAGE}/sign", data=signing_form(await _token(client), postcode=""))
    assert answer.status_code == 422
    assert _error_for(answer.text, "postcode") == "Error: A postcode is required for this petition."


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        "forged-token",
        "InNpZ246c3RvcC10aGUtYXJtcy10cmFkZSI.aaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbb",
    ],
    ids=["missing", "empty", "garbage", "forged-signature"],
)
async def test_a_form_without_a_valid_token_is_refused_with_a_clear_page(
    client: httpx.AsyncClient,
    publish_petition: Publish,
    session_factory: async_sessionmaker[AsyncSession],
    settle_submissions: Callable[[], Awaitable[None]],
    token: str | None,
) -> None:
    await publish_petition()
    form = signing_form("x", given_name="Grace")
    form.pop("form_token")
    if token is not None:
        form["form_token"] = token
    answer = await client.post(f"{PAGE}/sign", data=form)
    assert answer.status_code == 403
    assert "There is a problem" in answer.text
    assert "security token" in answer.text
    assert 'value="Grace"' in answer.text  # nothing typed is lost
    assert form_token(answer.text)  # a fresh token, so sending again works
    await settle_submissions()
    assert await _signatures(session_factory) == []


async def test_a_token_signed_with_another_key_is_refused(
    client: httpx.AsyncClient, publish_petition: Publish
) -> None:
    await publish_petition()
    token = issue_form_token("some other secret", f"sign:{SLUG}")
    answer = await client.post(f"{PAGE}/sign", data=signing_form(token))
    assert answer.status_code == 403


async def test_a_token_for_another_campaign_is_refused(
    client: httpx.AsyncClient, publish_petition: Publish, settings: Settings
) -> None:
    await publish_petition()
    token = issue_form_token(settings.secret_key.get_secret_value(), "sign:another-petition")
    answer = await client.post(f"{PAGE}/sign", data=signing_form(token))
    assert answer.status_code == 403
    assert "belongs to another form" in answer.text


async def test_an_expired_token_is_refused_and_a_fresh_form_given(
    client: httpx.AsyncClient,
    publish_petition: Publish,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await publish_petition()
    serializer = URLSafeTimedSerializer(
        settings.secret_key.get_secret_value(), salt="campaign.public-form"
    )
    real_time = __import__("time").time
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: real_time() - 5 * 3600)
    old = serializer.dumps(f"sign:{SLUG}")
    monkeypatch.undo()
    answer = await client.post(f"{PAGE}/sign", data=signing_form(old))
    assert answer.status_code == 403
    assert "expired" in answer.text
    fresh = form_token(answer.text)
    assert (await client.post(f"{PAGE}/sign", data=signing_form(fresh))).status_code == 303


@pytest.mark.parametrize(
    "fields",
    [
        {"given_name": "Ada\r\nBcc: victim@example.org"},
        {"family_name": "Love\nlace"},
        {"given_name": "Ada\x00"},
        {"email": "ada@example.org\r\nBcc: victim@example.org"},
        {"country": "XX"},
        {"country": "<script>"},
        {"comment": "x" * 2001},
        {"postcode": "N1\n9GU"},
        {"email_updates": "maybe"},
    ],
    ids=lambda fields: next(iter(fields)),
)
async def test_hostile_input_is_refused_next_to_its_field(
    client: httpx.AsyncClient,
    publish_petition: Publish,
    session_factory: async_sessionmaker[AsyncSession],
    settle_submissions: Callable[[], Awaitable[None]],
    fields: dict[str, str],
) -> None:
    await publish_petition()
    answer = await client.post(f"{PAGE}/sign", data=signing_form(await _token(client), **fields))
    assert answer.status_code == 422
    [name] = fields
    assert _error_for(answer.text, name).startswith("Error: ")
    await settle_submissions()
    assert await _signatures(session_factory) == []


async def test_typed_html_is_shown_back_escaped(
    client: httpx.AsyncClient, publish_petition: Publish
) -> None:
    await publish_petition()
    hostile = '"><script>alert(1)</script>'
    form = signing_form(await _token(client), family_name=hostile, email="", comment=hostile)
    page = (await client.post(f"{PAGE}/sign", data=form)).text
    assert "<script>alert(1)</script>" not in page
    assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page


async def test_unknown_fields_and_files_are_ignored_not_a_500(
    client: httpx.AsyncClient, publish_petition: Publish
) -> None:
    await publish_petition()
    form = signing_form(await _token(client), channel="api", status="confirmed")
    answer = await client.post(
        f"{PAGE}/sign", data=form, files={"upload": ("a.txt", b"hello", "text/plain")}
    )
    assert answer.status_code == 303


async def test_a_draft_or_unknown_campaign_is_a_404_page(
    client: httpx.AsyncClient, editor: dict[str, str]
) -> None:
    draft = {
        "slug": "a-draft",
        "title": "Not yet",
        "summary": "S",
        "body_markdown": "B",
        "target": "All states",
    }
    assert (
        await client.post("/api/v1/staff/campaigns", json=draft, headers=editor)
    ).status_code == 201
    for path in ("/c/a-draft", "/embed/a-draft", "/c/a-draft/sent", "/c/nothing-here"):
        answer = await client.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("text/html")
        assert "Page not found" in answer.text
        assert "Not yet" not in answer.text
    posted = await client.post("/c/a-draft/sign", data=signing_form("x"))
    assert posted.status_code == 404


async def test_a_closed_petition_shows_no_form_and_refuses_signatures(
    client: httpx.AsyncClient, publish_petition: Publish, editor: dict[str, str]
) -> None:
    await publish_petition()
    token = await _token(client)
    closed = await client.post(f"/api/v1/staff/campaigns/{SLUG}/close", headers=editor)
    assert closed.status_code == 200
    page = await client.get(PAGE)
    assert page.status_code == 200
    assert "This petition is closed" in page.text
    assert 'action="/c/stop-the-arms-trade/sign"' not in page.text
    answer = await client.post(f"{PAGE}/sign", data=signing_form(token))
    assert answer.status_code == 409
    assert "not open for signatures" in answer.text


async def test_the_embed_may_be_framed_and_signs_through_its_own_pages(
    client: httpx.AsyncClient,
    publish_petition: Publish,
    session_factory: async_sessionmaker[AsyncSession],
    settle_submissions: Callable[[], Awaitable[None]],
) -> None:
    await publish_petition()
    embed = await client.get(f"/embed/{SLUG}")
    assert embed.status_code == 200
    assert "frame-ancestors *" in embed.headers["content-security-policy"]
    assert "x-frame-options" not in embed.headers
    assert f'action="/embed/{SLUG}/sign"' in embed.text
    assert "Share this petition" not in embed.text

    error = await client.post(
        f"/embed/{SLUG}/sign", data=signing_form(form_token(embed.text), email="")
    )
    assert error.status_code == 422
    assert "x-frame-options" not in error.headers  # the error page shows inside the frame too

    answer = await client.post(f"/embed/{SLUG}/sign", data=signing_form(form_token(embed.text)))
    assert answer.headers["location"] == f"/embed/{SLUG}/sent"
    sent = await client.get(answer.headers["location"])
    assert "x-frame-options" not in sent.headers
    await settle_submissions()
    [signature] = await _signatures(session_factory)
    assert signature.channel == "embed"


async def test_static_files_are_served_by_the_app(client: httpx.AsyncClient) -> None:
    css = await client.get("/static/site.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert (await client.get("/static/pages.js")).status_code == 200
    assert (await client.get("/static/../app.py")).status_code == 404


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    field=st.sampled_from(
        [
            "given_name",
            "family_name",
            "email",
            "country",
            "postcode",
            "comment",
            "email_updates",
            "form_token",
        ]
    ),
    value=st.text(max_size=300),
)
async def test_no_form_input_causes_a_server_error(
    client: httpx.AsyncClient, publish_petition: Publish, field: str, value: str
) -> None:
    if (await client.get(PAGE)).status_code == 404:
        await publish_petition()
    form = signing_form(await _token(client), **{field: value})
    for path in (f"{PAGE}/sign", f"/embed/{SLUG}/sign"):
        answer = await client.post(path, data=form)
        assert answer.status_code in (303, 403, 422), answer.text


async def test_where_a_signer_came_from_is_kept_with_the_signature(
    client: httpx.AsyncClient,
    publish_petition: Publish,
    session_factory: async_sessionmaker[AsyncSession],
    settle_submissions: Callable[[], Awaitable[None]],
) -> None:
    await publish_petition()
    page = await client.get(
        PAGE,
        params={"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "may"},
        headers={"Referer": "https://news.example.org/issue-12"},
    )
    assert 'name="utm_source" value="newsletter"' in page.text
    assert f'data-views="/api/v1/campaigns/{SLUG}/views"' in page.text
    form = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', page.text))
    answer = await client.post(f"{PAGE}/sign", data=signing_form(form.pop("form_token"), **form))
    assert answer.status_code == 303
    await settle_submissions()
    [signature] = await _signatures(session_factory)
    assert (signature.utm_source, signature.utm_medium, signature.utm_campaign) == (
        "newsletter",
        "email",
        "may",
    )
    assert signature.referrer == "https://news.example.org/issue-12"


async def test_unusable_tracking_never_stops_a_signature(
    client: httpx.AsyncClient,
    publish_petition: Publish,
    session_factory: async_sessionmaker[AsyncSession],
    settle_submissions: Callable[[], Awaitable[None]],
) -> None:
    await publish_petition()
    form = signing_form(await _token(client), utm_source="news\nletter", referrer="x" * 600)
    answer = await client.post(f"{PAGE}/sign", data=form)
    assert answer.status_code == 303
    await settle_submissions()
    [signature] = await _signatures(session_factory)
    assert (signature.utm_source, signature.referrer) == (None, None)


async def test_a_page_shown_again_with_errors_is_not_another_view(
    client: httpx.AsyncClient, publish_petition: Publish
) -> None:
    await publish_petition()
    answer = await client.post(f"{PAGE}/sign", data=signing_form(await _token(client), email=""))
    assert answer.status_code == 422
    assert "data-views" not in answer.text
