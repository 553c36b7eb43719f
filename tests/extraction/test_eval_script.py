"""The scoring of bench/extraction_eval.py on tiny hand-made releases.

The script is not part of a package, so it is loaded from its path. Each test builds a
release whose right figures can be counted by hand: a matched unit, a missed one, an
optional one, a hard negative that is proposed, and a unit that only a possible item finds.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "extraction_eval.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("extraction_eval", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


ev = load_script()

SENTENCES = {
    "matched": "The ministry must release the reporters at once.",
    "missed": "Donors should fund the shelters before winter.",
    "optional": "We echo the call for an inquiry.",
    "possible_only": "We urge the council to publish the report.",
    "negative": "The court ordered the agency to stop the works.",
    "other_negative": "The minister should never have signed the deal.",
    "plain": "The river rose by two metres overnight.",
}
TEXT = "SOURCE: https://example.org/release\n\n" + " ".join(SENTENCES.values())


def where(key: str) -> tuple[int, int]:
    start = TEXT.index(SENTENCES[key])
    return start, start + len(SENTENCES[key])


def gold_unit(key: str, targets: list[str], strength: str, optional: bool = False) -> ev.Unit:
    start, end = where(key)
    return ev.Unit(SENTENCES[key], start, end, targets, strength, optional=optional)


def negative(key: str) -> ev.Negative:
    return ev.Negative(*where(key), reason="not a call")


def pred(
    key: str,
    targets: list[str],
    strength: str,
    status: str = "proposed",
    confidence: float = 0.9,
) -> ev.Unit:
    start, end = where(key)
    return ev.Unit(
        SENTENCES[key], start, end, targets, strength, status=status, confidence=confidence
    )


DOC = ev.GoldDoc(
    "tiny",
    TEXT,
    [
        gold_unit("matched", ["The ministry"], "must"),
        gold_unit("missed", ["Donors"], "should"),
        gold_unit("optional", [], "other", optional=True),
        gold_unit("possible_only", ["the council"], "urge"),
    ],
    [negative("negative"), negative("other_negative")],
)
PREDS = [
    pred("matched", ["ministry"], "must", confidence=0.95),
    pred("optional", [], "call", confidence=0.6),
    pred("negative", ["the agency"], "must", confidence=0.5),
    pred("plain", ["The river"], "other", confidence=0.15),
    pred("possible_only", ["the council"], "urge", status="possible", confidence=0.35),
    pred("other_negative", ["The minister"], "should", status="possible", confidence=0.25),
]
RUNS = [ev.Run(DOC, PREDS, 1.0)]


def test_overlap_covers_half_of_either_span() -> None:
    assert ev.overlap_ratio((0, 10), (5, 40)) == 0.5
    assert ev.overlap_ratio((0, 10), (20, 30)) == 0.0
    # One-to-one, best overlap first: the first prediction takes the gold span it covers whole.
    assert ev.match_spans([(0, 10), (100, 104)], [(5, 40), (0, 2)]) == [(0, 1, 1.0)]
    assert ev.match_spans([(0, 10), (4, 12)], [(0, 10)]) == [(0, 0, 1.0)]


def test_proposed_view_counts_each_case() -> None:
    counts = ev.score_document(DOC, PREDS, 1.0, ev.is_proposed).counts
    assert (counts.gold, counts.optional, counts.pred) == (3, 1, 4)
    assert (counts.tp, counts.fp, counts.fn, counts.ignored) == (1, 2, 2, 1)
    assert (counts.target_tp, counts.target_pred, counts.target_gold) == (1, 1, 1)
    assert (counts.strength_ok, counts.strength_n) == (1, 1)
    assert (counts.negatives, counts.negatives_hit) == (2, 1)
    assert counts.bad_offsets == 0


def test_possible_items_count_only_in_the_wider_view() -> None:
    counts = ev.score_document(DOC, PREDS, 1.0, ev.keep_all).counts
    assert (counts.pred, counts.tp, counts.fp, counts.fn, counts.ignored) == (6, 2, 3, 1, 1)
    assert (counts.target_tp, counts.target_gold) == (2, 2)
    assert counts.negatives_hit == 2


def test_a_second_prediction_on_an_optional_unit_is_ignored_too() -> None:
    start, end = where("optional")
    twice = [pred("optional", [], "call"), ev.Unit("", start, end - 4, [], "call")]
    counts = ev.score_document(DOC, twice, 1.0).counts
    assert (counts.tp, counts.fp, counts.ignored) == (0, 0, 2)


def test_summary_reads_proposed_and_the_wider_view() -> None:
    proposed = ev.score_view(RUNS, ev.is_proposed)
    both = ev.score_view(RUNS, ev.keep_all)
    figures = ev.summary(proposed, both, 12.0)
    assert figures["sentence_precision"] == round(1 / 3, 3)
    assert figures["sentence_recall"] == round(1 / 3, 3)
    assert figures["target_precision"] == figures["target_recall"] == 1.0
    assert figures["strength_accuracy"] == 1.0
    assert figures["possible_recall"] == round(2 / 3, 3)
    assert figures["possible_precision"] == 0.4
    assert (figures["negatives"], figures["negatives_proposed"]) == (2, 1)
    assert figures["negative_rate"] == 0.5
    assert figures["documents"] == 1 and figures["ms_6000_chars"] == 12.0

    missed = {miss.split()[0] for miss in ev.bar_misses(figures)}
    assert missed == {"sentence_precision", "sentence_recall", "possible_recall", "negative_rate"}


def test_bar_passes_at_its_limits() -> None:
    figures = {key: minimum for key, minimum in ev.QUALITY_BAR}
    figures |= {key: maximum for key, maximum in ev.QUALITY_CEILING}
    assert ev.bar_misses({**figures, "ms_6000_chars": 99.9}) == []
    assert ev.bar_misses({**figures, "negative_rate": 0.051}) == ["negative_rate 0.051 > 0.05"]
    assert ev.bar_misses({**figures, "ms_6000_chars": 100.0}) == ["ms_6000_chars 100.0 >= 100"]


def test_a_negative_counts_when_half_of_either_span_is_covered() -> None:
    start, end = where("negative")
    half = ev.Unit("", start, start + (end - start) // 2 + 1, [], "must")
    short_inside = ev.Unit("", start, start + 3, [], "must")
    assert ev.count_negatives_hit(DOC, [half]) == 1
    # A short prediction wholly inside the negative covers 100% of its own span.
    assert ev.count_negatives_hit(DOC, [short_inside]) == 1
    astride = ev.Unit("", start - 60, start + 5, [], "must")
    assert ev.count_negatives_hit(DOC, [astride]) == 0


def test_floor_drops_candidates_of_both_statuses() -> None:
    rows = {row.cut: row for row in ev.floor_sweep(RUNS, (0.2, 0.3, 0.4))}
    assert (rows[0.2].both.pred, rows[0.2].both.fp) == (5, 2)  # the 0.15 FP dropped
    assert rows[0.3].both.negatives_hit == 1  # the 0.25 possible negative dropped
    assert (rows[0.4].both.tp, rows[0.4].both.fn) == (1, 2)  # the possible hit dropped
    assert rows[0.4].proposed.pred == 3


def test_threshold_relabels_without_dropping() -> None:
    rows = {row.cut: row for row in ev.threshold_sweep(RUNS, (0.3, 0.55))}
    assert (rows[0.3].proposed.tp, rows[0.3].proposed.fn) == (2, 1)  # the 0.35 hit proposed
    assert rows[0.3].proposed.negatives_hit == 1
    assert (rows[0.55].proposed.pred, rows[0.55].proposed.negatives_hit) == (2, 0)
    assert rows[0.55].both.pred == 6


def test_items_without_status_or_confidence_are_proposed() -> None:
    bare = SimpleNamespace(sentence="x", start=0, end=1, targets=["A"], strength="must")
    unit = ev.as_unit(bare)
    assert (unit.status, unit.confidence) == ("proposed", 1.0)


def test_verdict_values_are_read() -> None:
    from campaign.extraction.models import Strength, Verdict

    item = SimpleNamespace(
        sentence="x",
        start=0,
        end=1,
        strength=Strength.MUST,
        status=Verdict.POSSIBLE,
        confidence=0.3,
    )
    unit = ev.as_unit(item)
    assert (unit.status, unit.strength, unit.confidence) == ("possible", "must", 0.3)
    with pytest.raises(ValueError, match="unknown status"):
        ev.as_unit(SimpleNamespace(start=0, end=1, status="maybe"))


def test_verbose_lines_carry_the_status() -> None:
    details = "\n".join(ev.score_document(DOC, PREDS, 1.0, ev.is_proposed).details)
    assert f"FP     proposed {where('plain')[0]}-" in details
    # The unit only a possible item finds is missed by `proposed`, marked with that item.
    assert f"MISS   possible {where('possible_only')[0]}-" in details
    assert f"MISS   none     {where('missed')[0]}-" in details


def test_main_prints_both_views_and_one_json_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gold = tmp_path / "gold"
    gold.mkdir()
    (gold / "tiny.txt").write_text(TEXT, encoding="utf-8", newline="")

    def entry(unit: ev.Unit) -> dict[str, object]:
        return {
            "sentence": unit.sentence,
            "start": unit.start,
            "end": unit.end,
            "targets": unit.targets,
            "strength": unit.strength,
            "optional": unit.optional,
        }

    annotations = {
        "ctas": [entry(u) for u in DOC.units],
        "negatives": [{"start": n.start, "end": n.end, "reason": n.reason} for n in DOC.negatives],
    }
    (gold / "tiny.json").write_text(json.dumps(annotations), encoding="utf-8")
    # An extractor whose items have neither status nor confidence: all count as proposed.
    spans = [(p.start, p.end, p.targets, p.strength) for p in PREDS]
    (tmp_path / "eval_fake_extractor.py").write_text(
        "from types import SimpleNamespace\n"
        f"SPANS = {spans!r}\n"
        "def extract(text):\n"
        "    return [SimpleNamespace(sentence=text[s:e], start=s, end=e, targets=t, strength=k)\n"
        "            for s, e, t, k in SPANS]\n",
        encoding="utf-8",
    )

    status = ev.main(
        [
            "--gold",
            str(gold),
            "--extractor",
            f"{tmp_path / 'eval_fake_extractor.py'}:extract",
            "--floor",
        ]
    )
    lines = capsys.readouterr().out.splitlines()
    assert status == 0
    assert "== proposed =" in lines[0]
    assert any(line.startswith("== proposed + possible =") for line in lines)
    assert any(line.startswith("== what-if: confidence floor") for line in lines)
    assert any(line.startswith("== what-if: proposed = confidence >= t") for line in lines)
    figures = json.loads(lines[-1])
    assert figures["sentence_recall"] == figures["possible_recall"] == round(2 / 3, 3)
    assert (figures["negatives"], figures["negatives_proposed"]) == (2, 2)
    assert lines[-2].startswith("MISS: ")
