"""Starting a donation creates a Stripe Checkout session, so a script that starts
thousands is testing stolen cards on the organisation's account. Starts are limited per
client network and per campaign; over either, the start is refused in the open (429):
unlike signing, a refusal here tells nobody anything about anyone else."""

from __future__ import annotations

from fastapi import Request

from api.ratelimit import RateLimit, network_key
from campaign.errors import TooManyRequests
from campaign.i18n import gettext_noop as _


async def ensure_donation_within_limits(request: Request, ip: str | None, campaign_id: int) -> None:
    per_network: RateLimit = request.app.state.donation_rate_limit
    per_campaign: RateLimit = request.app.state.donation_campaign_rate_limit
    # Both are counted, so a refused network still counts towards the campaign's limit.
    within_network = ip is None or await per_network.hit("donate", network_key(ip))
    within_campaign = await per_campaign.hit("donate-campaign", str(campaign_id))
    if not (within_network and within_campaign):
        raise TooManyRequests(
            _("too many donations were started from here; please try again later"),
            field="amount",
        )
