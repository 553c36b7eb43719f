"""Sample content for `campaign demo`: a petition of our own writing."""

from __future__ import annotations

from campaign.campaigns.models import PostcodeMode
from campaign.campaigns.schemas import CampaignCreate

DEMO_PETITION = CampaignCreate(
    slug="protect-the-river-meadows",
    title="Protect the river meadows from the new bypass",
    summary=(
        "The county council must drop the planned bypass route across the river meadows "
        "and choose the upgrade of the existing road instead."
    ),
    body_markdown="""\
The river meadows are the last flood plain on our stretch of the river. They hold
back winter floods from 400 homes downstream, and they are home to breeding curlews
and otters.

The council's preferred bypass route would cross the meadows on a raised embankment.
Its own environmental assessment says the embankment would **reduce flood storage by a
third**.

We call on the county council to:

- drop the meadows route from the transport plan;
- upgrade the existing road, as its own engineers proposed in 2023;
- publish the full flood modelling before any decision.

*Sample content written for the campaign demo.*
""",
    target="The county council's cabinet",
    signature_goal=5000,
    language="en",
    postcode_mode=PostcodeMode.OPTIONAL,
)
