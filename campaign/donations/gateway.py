"""Stripe, as the donations service needs it: make a Checkout Session, check a webhook's
signature. The official client does the talking; tests point it at a fake on loopback."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import stripe

from campaign.errors import ProviderUnavailable

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str


class StripeGateway:
    def __init__(self, secret_key: str, api_base: str | None = None) -> None:
        # One attempt per call: a retry is the next click, with the same idempotency key.
        if api_base:
            self._client = stripe.StripeClient(
                secret_key, base_addresses={"api": api_base}, max_network_retries=0
            )
        else:
            self._client = stripe.StripeClient(secret_key, max_network_retries=0)

    async def create_checkout_session(
        self, params: dict[str, Any], idempotency_key: str
    ) -> CheckoutSession:
        try:
            session = await asyncio.to_thread(
                self._client.v1.checkout.sessions.create,
                params,  # type: ignore[arg-type]  # built as a plain dict, checked by the tests
                {"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            # The message may name the request; never the key, which Stripe does not echo.
            logger.warning("Stripe refused a Checkout Session: %s", error.user_message or error)
            raise ProviderUnavailable(
                "the payment provider could not start the payment; please try again",
                field="amount" if isinstance(error, stripe.InvalidRequestError) else None,
            ) from None
        if not session.url:
            raise ProviderUnavailable("the payment provider gave no payment page")
        return CheckoutSession(id=session.id, url=session.url)


def verify_webhook(payload: bytes, signature: str | None, secret: str, tolerance: int) -> None:
    """Raises stripe.SignatureVerificationError unless Stripe signed this very body,
    within `tolerance` seconds."""
    stripe.WebhookSignature.verify_header(
        payload.decode("utf-8"), signature, secret, tolerance=tolerance
    )
