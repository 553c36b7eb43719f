"""Each kind of call to action, and each kind of look-alike, in sentences written for
these tests (none comes from a real release). A call is proposed with its addressee and
strength; a look-alike is never proposed."""

from __future__ import annotations

import pytest

from campaign.extraction import CallToAction, Verdict, extract_calls_to_action

ORGANISATION = "Rivers Alliance"


def proposed(text: str) -> list[CallToAction]:
    text = text.strip() + "\n"
    found = extract_calls_to_action(text, organisation=ORGANISATION)
    for call in found:
        assert text[call.start : call.end] == call.sentence
    return [call for call in found if call.status == Verdict.PROPOSED]


@pytest.mark.parametrize(
    ("text", "targets", "strength"),
    [
        # The publisher in the third person, also after a clause of its own.
        (
            "The Rivers Alliance believes the offer is insufficient and urges the "
            "ministry to reopen the talks.",
            ["the ministry"],
            "urge",
        ),
        (
            "The NGO calls upon the European Parliament to reject the amendment.",
            ["the European Parliament"],
            "call",
        ),
        ("Charity urges MPs to vote down the dredging bill", ["MPs"], "urge"),
        ("RA urges lenders to stop financing the pipeline.", ["lenders"], "urge"),
        # Modals after an adverbial, coordinated with a fact, under "this shows why".
        ("Ahead of the vote, MPs must reject the bill.", ["MPs"], "must"),
        (
            "The European Union is set to agree a river law, but must make sure it is not "
            "watered down.",
            ["The European Union"],
            "must",
        ),
        ("These readings show why the council must close the outfall.", ["the council"], "must"),
        (
            '"The US must restore the river fund," said Jo Bell, director of Rivers Alliance.',
            ["The US"],
            "must",
        ),
        # Evaluative frames.
        ("It is essential for donors to fund the clean-up in full.", ["donors"], "other"),
        ("It is vital that the commission withdraws the proposal.", ["the commission"], "other"),
        ("The key now is for the regulator to publish the permits.", ["the regulator"], "other"),
        # Wants and renewals.
        ("We need urgent action from the Home Office.", ["the Home Office"], "other"),
        ("We want to see the company pay compensation to every family.", ["the company"], "other"),
        (
            "We repeat our call on the authorities to release the activists.",
            ["the authorities"],
            "call",
        ),
        ("Our message to the mayor is clear: close the incinerator.", ["the mayor"], "other"),
        # Titles and standfirsts.
        ("Statement by Jo Bell calling for an end to river dumping", [], "call"),
        # Abstract subjects asked to stop.
        ("Impunity must end.", [], "must"),
        # Passive obligations, with and without an agent.
        ("The detained activists must be released immediately.", [], "must"),
        (
            "Noise limits must be enforced by the transport department.",
            ["the transport department"],
            "must",
        ),
    ],
)
def test_each_kind_of_call_is_proposed(text: str, targets: list[str], strength: str) -> None:
    [call] = proposed(text)
    assert call.targets == targets
    assert call.strength.value == strength


def test_items_after_a_passive_lead_in_inherit_its_addressee() -> None:
    calls = proposed(
        "Ahead of the summit, leaders were asked to commit to these steps:\n"
        "- fund river restoration in full;\n"
        "- end subsidies for dredging by 2030.\n"
    )
    assert [c.targets for c in calls] == [["leaders"], ["leaders"], ["leaders"]]
    assert calls[1].action == "fund river restoration in full"


def test_items_under_a_heading_addressed_to_someone_take_that_addressee() -> None:
    calls = proposed(
        "To the Ministry of Water:\n\n"
        "Publish the water quality results.\n\n"
        "To donors:\n\n"
        "Fund the community water committees directly.\n"
    )
    assert [c.targets for c in calls] == [["the Ministry of Water"], ["donors"]]


def test_a_passive_demand_is_worded_as_the_act_it_asks_for() -> None:
    [call] = proposed("The government must be held to account.")
    assert call.action == "hold the government to account"


@pytest.mark.parametrize(
    "text",
    [
        "The UN Secretary-General called on states to halt the sale of weapons.",
        "According to the UN refugee agency, governments must share responsibility.",
        "The report recommends that the ministry should publish its data.",
        "Interior Minister Karl Hansen said that parliament should reject the bill.",
        '"Parliament must pass this law," said Interior Minister Karl Hansen.',
        "Local residents have called on the mayor to resign.",
        "The government should have acted years ago.",
        "The ministry has yet to respond to our letter.",
        "If the government fails to act, thousands more will die.",
        "Should donors step in?",
        "Families need food, water and shelter.",
        "We will continue to document every violation.",
        "Call your councillor today and tell them to vote no.",
        "The law will have to be revised next year.",
        "Any agreement needs to be ambitious and binding.",
        "This report must serve as a wake-up call.",
        "Genocide must not be the means by which a conflict ends.",
        "Nobody should have to live next to a sewage outfall.",
        "Rivers Alliance will ask the court to review the permit.",
    ],
)
def test_look_alikes_are_never_proposed(text: str) -> None:
    assert proposed(text) == []
