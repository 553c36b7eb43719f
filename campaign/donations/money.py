"""Amounts as Stripe counts them (the currency's minor unit) and as people read them."""

from __future__ import annotations

from campaign.i18n import format_money

# Stripe's zero-decimal currencies (docs.stripe.com/currencies#zero-decimal).
_ZERO_DECIMAL = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga"}
    | {"pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)


def minor_units_per_major(currency: str) -> int:
    """How many of the amounts Stripe counts make one of the currency: 100 pence, 1 yen."""
    return 1 if currency.lower() in _ZERO_DECIMAL else 100


def format_amount(amount: int, currency: str, language: str) -> str:
    """An amount as people of the language read it: £12.50, 12,50 €, 1.500 ¥. Staff
    screens, which are in English, pass "en"."""
    return format_money(amount, currency, language)
