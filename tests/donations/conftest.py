"""Donations against the real `stripe` client and a fake Stripe on 127.0.0.1; webhook
events signed with the library's own test helper."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
import stripe
from pydantic import SecretStr

from campaign.config import Settings
from tests.fakes.stripe import API_KEY, FakeStripe

WEBHOOK_SECRET = "whsec_campaign_tests"


@pytest.fixture
def fake_stripe(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStripe]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    fake = FakeStripe().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def settings(settings: Settings, fake_stripe: FakeStripe) -> Settings:
    """The shared settings, with Stripe configured: every app in these tests takes it."""
    return settings.model_copy(
        update={
            "stripe_secret_key": SecretStr(API_KEY),
            "stripe_webhook_secret": SecretStr(WEBHOOK_SECRET),
            "stripe_api_base": fake_stripe.url,
        }
    )


def setup_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "currency": "gbp",
        "minimum_amount": 100,
        "maximum_amount": 100_000,
        "suggested_amounts": [500, 1000, 2500],
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def donation_campaign(
    client: httpx.AsyncClient,
    editor: dict[str, str],
    publish_petition: Callable[..., Awaitable[dict[str, Any]]],
) -> Callable[..., Awaitable[str]]:
    async def create(**setup: Any) -> str:
        petition = await publish_petition()
        slug = str(petition["slug"])
        saved = await client.put(
            f"/api/v1/staff/campaigns/{slug}/donation-setup",
            json=setup_fields(**setup),
            headers=editor,
        )
        assert saved.status_code == 200, saved.text
        return slug

    return create


def donor(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "amount": 1000,
        "frequency": "one_off",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "email": "ada@example.org",
        "country": "GB",
    }
    fields.update(overrides)
    return fields


def event(kind: str, obj: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "type": kind,
        "data": {"object": obj},
    }


def signed_headers(
    payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)
    return {"Stripe-Signature": header, "Content-Type": "application/json"}


async def deliver(client: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    payload = json.dumps(body)
    return await client.post("/webhooks/stripe", content=payload, headers=signed_headers(payload))


def completed_session(
    donation_id: int, *, paid: bool = True, amount: int = 1000, **extra: Any
) -> dict[str, Any]:
    session = {
        "id": f"cs_test_{donation_id}",
        "object": "checkout.session",
        "mode": "payment",
        "client_reference_id": str(donation_id),
        "metadata": {"donation_id": str(donation_id)},
        "payment_status": "paid" if paid else "unpaid",
        "payment_intent": f"pi_{donation_id}",
        "customer": f"cus_{donation_id}",
        "customer_details": {"email": "ada@example.org", "name": "Ada Lovelace"},
        "amount_total": amount,
        "currency": "gbp",
    }
    session.update(extra)
    return session


def paid_invoice(
    donation_id: int, subscription: str, invoice: str, payment_intent: str, amount: int = 1000
) -> dict[str, Any]:
    return {
        "id": invoice,
        "object": "invoice",
        "amount_paid": amount,
        "currency": "gbp",
        "parent": {
            "type": "subscription_details",
            "subscription_details": {
                "subscription": subscription,
                "metadata": {"donation_id": str(donation_id)},
            },
        },
        "payments": {
            "object": "list",
            "data": [{"payment": {"type": "payment_intent", "payment_intent": payment_intent}}],
        },
    }


def refunded_charge(payment_intent: str, amount: int, refunded: int) -> dict[str, Any]:
    return {
        "id": f"ch_{payment_intent}",
        "object": "charge",
        "payment_intent": payment_intent,
        "amount": amount,
        "amount_refunded": refunded,
        "refunded": refunded >= amount,
    }
