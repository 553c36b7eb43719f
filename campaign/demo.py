"""Sample content for `campaign demo`: a press release of our own writing."""

from __future__ import annotations

from campaign.releases.schemas import ReleaseSubmission

# One paragraph per line, as releases copied from a web page arrive.
DEMO_RELEASE = ReleaseSubmission(
    title="River meadows bypass: council must think again",
    organisation="Meadowbank Rivers Trust",
    language="en",
    content=(
        "Meadowbank: the county council must drop the meadows route for the new bypass\n"
        "\n"
        "MEADOWBANK – The county council's cabinet will vote next month on a bypass route "
        "that would cross the river meadows on a raised embankment. The council's own "
        "assessment says the embankment would reduce flood storage by a third.\n"
        "\n"
        "Jo Okafor, director of the Meadowbank Rivers Trust, said:\n"
        "“The county council must drop the meadows route and upgrade the existing road "
        "instead. Councillors should publish the full flood modelling before any vote.”\n"
        "\n"
        "The Meadowbank Rivers Trust calls on the Environment Agency to object to the "
        "planning application.\n"
        "\n"
        "Residents' groups have asked the council for a public meeting. The trust will hold "
        "an open walk on the meadows on Saturday.\n"
        "\n"
        "Sample release written for the campaign demo.\n"
    ),
)
