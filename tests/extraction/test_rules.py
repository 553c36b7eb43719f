"""Calls to action in releases written for these tests (none comes from a real release)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from campaign.cli import app
from campaign.extraction import CallToAction, extract_calls_to_action

ORGANISATION = "Rivers Alliance"


def calls(text: str) -> list[CallToAction]:
    found = extract_calls_to_action(text, organisation=ORGANISATION)
    for call in found:
        assert text[call.start : call.end] == call.sentence
    return found


def only(text: str) -> CallToAction:
    [call] = calls(text)
    return call


@pytest.mark.parametrize(
    ("text", "targets", "strength", "action"),
    [
        (
            "Canada and Mexico must end the export of untreated sewage sludge.",
            ["Canada", "Mexico"],
            "must",
            "end the export of untreated sewage sludge",
        ),
        (
            "Regional water boards should publish every discharge permit online.",
            ["Regional water boards"],
            "should",
            "publish every discharge permit online",
        ),
        (
            "The environment ministry needs to halt all new dredging licences.",
            ["The environment ministry"],
            "must",
            "halt all new dredging licences",
        ),
        (
            "Rivers Alliance calls on the European Commission to withdraw the mining permit.",
            ["the European Commission"],
            "call",
            "withdraw the mining permit",
        ),
        (
            "We urge ministers to publish the pollution data before the summit.",
            ["ministers"],
            "urge",
            "publish the pollution data before the summit",
        ),
        (
            "Rivers Alliance demands that the utility stop dumping waste into the estuary.",
            ["the utility"],
            "demand",
            "stop dumping waste into the estuary",
        ),
    ],
)
def test_demands_are_found_with_who_what_and_how_strongly(
    text: str, targets: list[str], strength: str, action: str
) -> None:
    call = only(text)
    assert call.targets == targets
    assert call.strength == strength
    assert call.action == action
    assert 0 < call.confidence <= 1
    assert call.reason


def test_a_call_for_an_action_names_nobody() -> None:
    call = only("Rivers Alliance calls for an immediate moratorium on deep-sea mining.")
    assert call.targets == []
    assert call.strength == "call"
    assert "moratorium on deep-sea mining" in call.action


def test_a_passive_obligation_has_no_target_unless_an_agent_is_named() -> None:
    call = only("The detained river wardens must be released at once.")
    assert (call.targets, call.strength) == ([], "must")
    by_agent = only("Protest camps should not be cleared by the police.")
    assert by_agent.targets == ["the police"]


@pytest.mark.parametrize(
    "text",
    [
        "The minister should have acted years ago.",  # counterfactual
        "Should the council fail to act, the valley will flood again.",  # conditional
        "Will the government finally act on the report?",  # question
        "Last year the court ordered the agency to halt construction.",  # third party's order
        "Families in the delta need food and clean water.",  # a need, not a demand
        "Any agreement needs to be substantial.",  # a requirement on a thing
        "The agency has yet to publish its report.",  # "has yet to"
        "The new dam may threaten three villages.",  # epistemic modal
        "We will continue to campaign for clean rivers.",  # the organisation's own plans
    ],
)
def test_look_alikes_are_not_calls_to_action(text: str) -> None:
    assert calls(text) == []


def test_a_demand_reported_from_someone_else_is_not_ours() -> None:
    text = "The mayor said that the port authority must close the terminal."
    assert calls(text) == []


def test_a_pronoun_target_is_kept_and_resolved() -> None:
    text = (
        "Governments must stop funding new coal plants. "
        "They must also end every subsidy for gas exploration."
    )
    first, second = calls(text)
    assert first.targets == ["Governments"]
    assert second.targets == ["They"]
    assert second.resolved_targets == ["Governments"]


def test_bulleted_demands_inherit_the_lead_in_addressee() -> None:
    text = (
        "Rivers Alliance is calling on the city council to:\n"
        "- close the riverside incinerator;\n"
        "- fund a citywide recycling service.\n"
    )
    lead_in, first, second = calls(text)
    assert lead_in.targets == ["the city council"]
    assert first.sentence == "close the riverside incinerator;"
    assert (first.targets, first.strength) == (["the city council"], "call")
    assert second.targets == ["the city council"]


def test_quoted_statements_are_the_organisation_s_own_words() -> None:
    text = (
        "Rivers Alliance director Ana Ruiz said:\n"
        "“Parliament must ban the discharge of raw sewage this year.”\n"
    )
    call = only(text)
    assert call.sentence == "Parliament must ban the discharge of raw sewage this year."
    assert call.targets == ["Parliament"]


def test_headlines_are_units_of_their_own() -> None:
    text = (
        "Ministers must stop the Vale dam now\n"
        "\n"
        "The Vale dam would flood 40 square kilometres of farmland.\n"
    )
    call = only(text)
    assert call.sentence == "Ministers must stop the Vale dam now"


def test_the_command_prints_json_with_offsets_into_the_file(tmp_path: Path) -> None:
    release = tmp_path / "release.txt"
    text = "Héron Watch report\n\nThe regional government must protect the wetland.\n"
    release.write_bytes(text.encode("utf-8"))
    result = CliRunner().invoke(app, ["extract", "--json", str(release)])
    assert result.exit_code == 0, result.output
    [call] = json.loads(result.output)["calls_to_action"]
    assert text[call["start"] : call["end"]] == call["sentence"]
    assert call["targets"] == ["The regional government"]
    assert set(call) == {
        "sentence", "start", "end", "targets", "action", "strength", "confidence", "status"
    }  # fmt: skip


def test_hard_wrapped_paragraphs_are_read_as_written() -> None:
    text = (
        "Rivers Alliance calls on the Environment Agency to object to the\n"
        "planning application for the Vale dam. The dam would flood forty square\n"
        "kilometres of farmland.\n"
    )
    call = only(text)
    assert call.action == "object to the\nplanning application for the Vale dam"
    assert call.sentence.endswith("for the Vale dam.")


def test_markdown_headings_and_bullets_lose_their_marks() -> None:
    text = (
        "## Ministers must stop the Vale dam\n"
        "\n"
        "Rivers Alliance calls on the city council to:\n"
        "\n"
        "* close the riverside incinerator.\n"
    )
    headline, lead_in, item = calls(text)
    assert headline.sentence == "Ministers must stop the Vale dam"
    assert lead_in.targets == ["the city council"]
    assert item.sentence == "close the riverside incinerator."
