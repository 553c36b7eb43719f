"""`campaign extract` says which calls the extractor is unsure of, as the API stores them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from campaign.cli import app

# What follows the notes to editors is at most a possible call.
RELEASE = """\
Rivers Alliance: ministers must stop the Vale dam

Rivers Alliance calls on the Environment Agency to review every dam licence.

Notes to editors

The government should publish the flood modelling.
"""


def _extract(tmp_path: Path, *options: str) -> str:
    release = tmp_path / "release.txt"
    release.write_text(RELEASE, encoding="utf-8")
    result = CliRunner().invoke(
        app, ["extract", *options, "--organisation", "Rivers Alliance", str(release)]
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_the_json_gives_each_calls_status(tmp_path: Path) -> None:
    calls = json.loads(_extract(tmp_path, "--json"))["calls_to_action"]
    statuses = {call["sentence"]: call["status"] for call in calls}
    assert statuses == {
        "Rivers Alliance: ministers must stop the Vale dam": "proposed",
        "Rivers Alliance calls on the Environment Agency to review every dam licence.": "proposed",
        "The government should publish the flood modelling.": "possible",
    }


def test_the_text_marks_the_possible_calls(tmp_path: Path) -> None:
    lines = [line for line in _extract(tmp_path).splitlines() if not line.startswith("    ")]
    assert len(lines) == 3
    [unsure] = [line for line in lines if "(possible)" in line]
    assert unsure.endswith("The government: publish the flood modelling")
