"""Evaluation of the press-release call-to-action extractor against the hand-annotated gold set.

What it measures
    The extractor (`campaign.extraction.extract_calls_to_action` unless --extractor names
    another `module:function`) is run on every release of the gold set, which lives outside
    the repository (`../shared/cta-gold` next to it, or --gold DIR) and is read from there;
    its README is the annotation guideline and defines the scoring reproduced here:

    - sentences: a prediction and a gold unit match when their character overlap covers at
      least 50% of either span. Matching is one-to-one and greedy, best overlap ratio first.
      Predictions that match an optional gold unit are ignored (neither right nor wrong);
      recall counts only the non-optional gold units. Precision = TP / (TP + FP), where a
      false positive is a prediction that matches nothing.
    - targets, over the matched non-optional pairs: after normalisation (lower case, no
      quotation marks, no leading the/all/every/both, no surrounding punctuation) two targets
      match when equal, when one contains the other (whole words) or when they share their
      last word. A pronoun target may be matched through its item's `resolved_targets`.
      Targets are paired one-to-one within each sentence pair (maximum matching).
    - strength: share of matched non-optional pairs whose predicted strength equals gold.
    - hard negatives: a gold `negatives` entry counts as hit when a prediction overlaps it by
      at least 50% of either span (the matching rule), whatever else that prediction matches.
    - time: the extractor is called once on the first release to warm up (not timed), then
      each release is timed with time.perf_counter; also reported per 1,000 characters and
      for one 6,000-character text (the releases joined and cut to 6,000 characters, median
      of nine runs).

    Each item carries a `status`: "proposed" (put to staff as a call) or "possible" (listed
    apart, for staff to accept or ignore); an item without a `status` attribute counts as
    proposed. The same predictions are scored in two views, each with its own table:
    `proposed` (the possible items left out) and `proposed + possible` (everything listed).
    The bar and the figures of the last line are those of `proposed`, plus the recall and
    precision of `proposed + possible` and the share of hard negatives proposed.

    --floor adds two what-if tables computed from the same predictions, with cut-offs 0.1 to
    0.9 on each item's `confidence` (an item without one counts as 1.0): a confidence floor
    (candidates below it dropped, whatever their status) and a proposed/possible threshold
    (proposed = confidence at or above it, the rest possible). Both select the same items at
    the same cut-off, so their sentence P/R agree; the floor table shows what a floor costs
    `proposed + possible`, the threshold table what the relabelled `proposed` view scores.

    Gold offsets count from the start of each .txt file as stored, SOURCE line included,
    so the whole file text is passed to the extractor. A figure whose denominator is zero is
    shown as "-" in the table and counts as 0.0 in the summary.

How to run (from the repository root)
    .venv/bin/python bench/extraction_eval.py [--verbose] [--floor] [--doc NAME]
    .venv/bin/python bench/extraction_eval.py --gold tests/extraction/releases
    .venv/bin/python bench/extraction_eval.py --extractor /tmp/other.py:extract

    The last line of standard output is one JSON object with the overall figures; the line
    before it says PASS or MISS against the quality and speed bar. Exit status 0 when the
    evaluation ran, 2 when the gold folder (or the --doc document) is missing, 1 when the
    extractor cannot be loaded.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_GOLD = REPO_ROOT.parent / "shared" / "cta-gold"
DEFAULT_EXTRACTOR = "campaign.extraction:extract_calls_to_action"

OVERLAP_THRESHOLD = 0.5
TIMING_CHARS = 6000
TIMING_RUNS = 9

PROPOSED = "proposed"
POSSIBLE = "possible"
STATUSES = (PROPOSED, POSSIBLE)
# Confidence cut-offs of the --floor tables.
CUTS: tuple[float, ...] = tuple(k / 10 for k in range(1, 10))

# The bar the extractor has to clear: (summary key, minimum). All on `proposed`, except
# possible_recall (the recall of `proposed + possible`).
QUALITY_BAR: tuple[tuple[str, float], ...] = (
    ("sentence_precision", 0.90),
    ("sentence_recall", 0.90),
    ("target_precision", 0.90),
    ("target_recall", 0.85),
    ("strength_accuracy", 0.95),
    ("possible_recall", 0.95),
)
# (summary key, maximum): at most 5% of the hard negatives proposed.
QUALITY_CEILING: tuple[tuple[str, float], ...] = (("negative_rate", 0.05),)
MAX_MS_FOR_6000_CHARS = 100.0

LEADING_WORDS = ("the", "all", "every", "both")
PRONOUNS = frozenset(
    {"they", "them", "he", "him", "she", "her", "it", "we", "us", "you", "this", "these", "those"}
)
_DOUBLE_QUOTES = re.compile(r"[\"“”„«»]")
_LOOSE_SINGLE_QUOTES = re.compile(r"(?<!\w)['‘’‚]|['‘’‚](?!\w)")
_LEADING_WORD = re.compile(r"^(?:" + "|".join(LEADING_WORDS) + r")\b\s*")
_EDGE_PUNCTUATION = re.compile(r"^[\W_]+|[\W_]+$")

Extractor = Callable[[str], Sequence[Any]]


# --- data ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """A call to action, from the gold set or from the extractor, reduced to what is scored."""

    sentence: str
    start: int
    end: int
    targets: list[str]
    strength: str
    resolved_targets: list[str] = field(default_factory=list)
    optional: bool = False
    reason: str = ""
    status: str = PROPOSED  # predictions only: "proposed" or "possible"
    confidence: float = 1.0  # predictions only


@dataclass(frozen=True)
class Negative:
    """A hard case the gold set marks as not a call to action."""

    start: int
    end: int
    reason: str


@dataclass(frozen=True)
class GoldDoc:
    name: str
    text: str
    units: list[Unit]
    negatives: list[Negative]


@dataclass
class Counts:
    """Counters summed over documents for micro-averaged figures."""

    docs: int = 0
    chars: int = 0
    gold: int = 0  # non-optional gold units
    optional: int = 0
    pred: int = 0
    ignored: int = 0  # predictions matching an optional gold unit
    tp: int = 0
    fp: int = 0
    fn: int = 0
    target_tp: int = 0
    target_pred: int = 0
    target_gold: int = 0
    strength_ok: int = 0
    strength_n: int = 0
    bad_offsets: int = 0
    negatives: int = 0  # hard negatives in the gold set
    negatives_hit: int = 0  # of them, overlapped by a prediction of the view
    ms: float = 0.0

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class DocResult:
    counts: Counts
    details: list[str]


@dataclass(frozen=True)
class Run:
    """One release with everything the extractor returned for it, whatever the status."""

    doc: GoldDoc
    preds: list[Unit]
    ms: float


@dataclass(frozen=True)
class SweepRow:
    """Both views' counts with the predictions a cut-off keeps (`cut` None: as returned)."""

    cut: float | None
    proposed: Counts
    both: Counts


Keep = Callable[[Unit], bool]  # which predictions a view scores


# --- sentence matching -----------------------------------------------------------------------


def overlap_ratio(a: tuple[int, int], b: tuple[int, int]) -> float:
    """Share of the shorter span that the two spans have in common (the larger coverage)."""
    overlap = min(a[1], b[1]) - max(a[0], b[0])
    shortest = min(a[1] - a[0], b[1] - b[0])
    if overlap <= 0 or shortest <= 0:
        return 0.0
    return overlap / shortest


def match_spans(
    preds: Sequence[tuple[int, int]],
    golds: Sequence[tuple[int, int]],
    threshold: float = OVERLAP_THRESHOLD,
) -> list[tuple[int, int, float]]:
    """Greedy one-to-one matching: (pred index, gold index, ratio), best ratio taken first."""
    candidates = [
        (overlap_ratio(p, g), i, j)
        for i, p in enumerate(preds)
        for j, g in enumerate(golds)
        if overlap_ratio(p, g) >= threshold
    ]
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    used_pred: set[int] = set()
    used_gold: set[int] = set()
    pairs: list[tuple[int, int, float]] = []
    for ratio, i, j in candidates:
        if i not in used_pred and j not in used_gold:
            used_pred.add(i)
            used_gold.add(j)
            pairs.append((i, j, ratio))
    return pairs


# --- target matching -------------------------------------------------------------------------


def normalise_target(target: str) -> str:
    """Lower-case, drop quotation marks, leading the/all/every/both and edge punctuation."""
    text = _DOUBLE_QUOTES.sub("", target.lower())
    text = _LOOSE_SINGLE_QUOTES.sub("", text).replace("’", "'").replace("‘", "'")
    text = " ".join(_EDGE_PUNCTUATION.sub("", text).split())
    while True:
        stripped = _EDGE_PUNCTUATION.sub("", _LEADING_WORD.sub("", text, count=1))
        if stripped == text:
            return text
        text = stripped


def targets_match(a: str, b: str) -> bool:
    """Equal, one containing the other (as whole words), or sharing the head (last) word."""
    x, y = normalise_target(a), normalise_target(b)
    if not x or not y:
        return False
    if x == y or f" {x} " in f" {y} " or f" {y} " in f" {x} ":
        return True
    return x.split()[-1] == y.split()[-1]


def target_readings(target: str, resolved: Sequence[str]) -> list[str]:
    """The target itself, plus its item's resolved targets when it is a pronoun."""
    if normalise_target(target) in PRONOUNS:
        return [target, *resolved]
    return [target]


def count_target_matches(
    pred_targets: Sequence[str],
    pred_resolved: Sequence[str],
    gold_targets: Sequence[str],
    gold_resolved: Sequence[str],
) -> int:
    """Size of the largest one-to-one matching between predicted and gold targets."""
    gold_readings = [target_readings(g, gold_resolved) for g in gold_targets]
    pred_readings = [target_readings(p, pred_resolved) for p in pred_targets]
    edges = [
        [
            j
            for j, golds in enumerate(gold_readings)
            if any(targets_match(p, g) for p in preds for g in golds)
        ]
        for preds in pred_readings
    ]
    owner: dict[int, int] = {}  # gold index -> predicted index

    def augment(i: int, seen: set[int]) -> bool:
        for j in edges[i]:
            if j not in seen:
                seen.add(j)
                if j not in owner or augment(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    return sum(augment(i, set()) for i in range(len(pred_targets)))


# --- loading ---------------------------------------------------------------------------------


def read_text(path: Path) -> str:
    """The file exactly as stored (no newline translation), so offsets line up."""
    with path.open(encoding="utf-8", newline="") as handle:
        return handle.read()


def load_gold(directory: Path, only: str | None = None) -> list[GoldDoc]:
    docs = []
    for json_path in sorted(directory.glob("*.json")):
        name = json_path.stem
        text_path = json_path.with_suffix(".txt")
        if (only is not None and name != only) or not text_path.exists():
            continue
        data = json.loads(json_path.read_text(encoding="utf-8"))
        units = [
            Unit(
                sentence=item["sentence"],
                start=int(item["start"]),
                end=int(item["end"]),
                targets=list(item.get("targets", [])),
                strength=str(item.get("strength", "")),
                resolved_targets=list(item.get("resolved_targets", [])),
                optional=bool(item.get("optional", False)),
            )
            for item in data.get("ctas", [])
        ]
        negatives = [
            Negative(int(item["start"]), int(item["end"]), str(item.get("reason", "")))
            for item in data.get("negatives", [])
        ]
        docs.append(GoldDoc(name, read_text(text_path), units, negatives))
    return docs


def load_extractor(spec: str) -> Extractor:
    """`package.module:function`, or `path/to/file.py:function`."""
    module_name, sep, function_name = spec.rpartition(":")
    if not sep or not module_name or not function_name:
        raise ValueError(f"--extractor must look like module:function, not {spec!r}")
    if module_name.endswith(".py") or "/" in module_name:
        path = Path(module_name).resolve()
        module_spec = importlib.util.spec_from_file_location(path.stem, path)
        if module_spec is None or module_spec.loader is None:
            raise ImportError(f"cannot load {path}")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[path.stem] = module
        module_spec.loader.exec_module(module)
    else:
        if str(REPO_ROOT) not in sys.path:
            sys.path.insert(0, str(REPO_ROOT))
        module = importlib.import_module(module_name)
    function = getattr(module, function_name, None)
    if not callable(function):
        raise ImportError(f"{module_name} has no function {function_name}")
    return function


def read_status(item: Any) -> str:
    """The item's verdict as a string; an item without a `status` attribute is proposed."""
    status = getattr(item, "status", None)
    if status is None:
        return PROPOSED
    value = str(getattr(status, "value", status))
    if value not in STATUSES:
        raise ValueError(f"unknown status {value!r} (expected one of {', '.join(STATUSES)})")
    return value


def read_confidence(item: Any) -> float:
    """The item's confidence; an item without one counts as fully confident (1.0)."""
    confidence = getattr(item, "confidence", None)
    return 1.0 if confidence is None else float(confidence)


def as_unit(item: Any) -> Unit:
    """Read a predicted CallToAction (or anything with the same attributes)."""
    strength = getattr(item, "strength", "")
    return Unit(
        sentence=str(getattr(item, "sentence", "")),
        start=int(item.start),
        end=int(item.end),
        targets=list(getattr(item, "targets", []) or []),
        strength=str(getattr(strength, "value", strength)),
        resolved_targets=list(getattr(item, "resolved_targets", []) or []),
        reason=str(getattr(item, "reason", "")),
        status=read_status(item),
        confidence=read_confidence(item),
    )


# --- scoring ---------------------------------------------------------------------------------


def shorten(text: str, width: int = 110) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def span(unit: Unit | Negative) -> tuple[int, int]:
    return (unit.start, unit.end)


def is_proposed(unit: Unit) -> bool:
    return unit.status == PROPOSED


def keep_all(unit: Unit) -> bool:
    return True


# The views scored, each with its own table: (heading, which predictions it scores).
VIEWS: tuple[tuple[str, Keep], ...] = (
    (PROPOSED, is_proposed),
    (f"{PROPOSED} + {POSSIBLE}", keep_all),
)


def count_negatives_hit(doc: GoldDoc, preds: Sequence[Unit]) -> int:
    """Hard negatives that some prediction overlaps by at least half of either span."""
    return sum(
        any(overlap_ratio(span(p), span(n)) >= OVERLAP_THRESHOLD for p in preds)
        for n in doc.negatives
    )


def describe_overlap(pred: Unit, gold: Unit) -> str:
    return (
        f"{pred.status} pred {pred.start}-{pred.end} covers "
        f"{overlap_ratio(span(pred), span(gold)):.0%}, confidence {pred.confidence:.2f}"
    )


def miss_status(gold: Unit, preds: Sequence[Unit]) -> str:
    """Status of the prediction overlapping a missed unit most, "none" when none does."""
    near = [(overlap_ratio(span(p), span(gold)), p.status) for p in preds]
    best = max(near, default=(0.0, "none"))
    return best[1] if best[0] > 0 else "none"


def score_document(
    doc: GoldDoc, preds: Sequence[Unit], ms: float, keep: Keep = keep_all
) -> DocResult:
    """Match the predictions `keep` selects to the release's gold units and count everything
    scored. The predictions left out only show in the MISS details, with their status."""
    everything = list(preds)
    preds = [p for p in everything if keep(p)]
    counts = Counts(docs=1, chars=len(doc.text), ms=ms, pred=len(preds))
    counts.gold = sum(not g.optional for g in doc.units)
    counts.optional = len(doc.units) - counts.gold
    counts.bad_offsets = sum(doc.text[p.start : p.end] != p.sentence for p in preds)
    counts.negatives = len(doc.negatives)
    counts.negatives_hit = count_negatives_hit(doc, preds)
    details: list[str] = []

    pairs = match_spans([span(p) for p in preds], [span(g) for g in doc.units])
    matched_pred = {i for i, _, _ in pairs}
    matched_gold = {j for _, j, _ in pairs}

    for i, j, _ in sorted(pairs, key=lambda pair: doc.units[pair[1]].start):
        pred, gold = preds[i], doc.units[j]
        if gold.optional:
            counts.ignored += 1
            continue
        counts.tp += 1
        found = count_target_matches(
            pred.targets, pred.resolved_targets, gold.targets, gold.resolved_targets
        )
        counts.target_tp += found
        counts.target_pred += len(pred.targets)
        counts.target_gold += len(gold.targets)
        if found < max(len(pred.targets), len(gold.targets)):
            details.append(
                f"  TARGET {gold.start}-{gold.end} gold {gold.targets}"
                + (f" (= {gold.resolved_targets})" if gold.resolved_targets else "")
                + f" pred {pred.targets}"
                + (f" (= {pred.resolved_targets})" if pred.resolved_targets else "")
                + f"  {shorten(gold.sentence, 70)}"
            )
        counts.strength_n += 1
        if pred.strength == gold.strength:
            counts.strength_ok += 1
        else:
            details.append(
                f"  STRENGTH {gold.start}-{gold.end} gold {gold.strength} pred {pred.strength}"
                f" [{pred.reason}]  {shorten(gold.sentence, 70)}"
            )

    for i, pred in enumerate(preds):
        if i in matched_pred:
            continue
        if any(
            g.optional and overlap_ratio(span(pred), span(g)) >= OVERLAP_THRESHOLD
            for g in doc.units
        ):
            counts.ignored += 1  # a second prediction on an optional unit is not penalised
            continue
        counts.fp += 1
        hints = [
            f"gold negative: {n.reason}"
            for n in doc.negatives
            if overlap_ratio(span(pred), span(n)) >= OVERLAP_THRESHOLD
        ]
        for j, g in enumerate(doc.units):
            covered = overlap_ratio(span(pred), span(g))
            if covered >= OVERLAP_THRESHOLD and j in matched_gold:
                hints.append(f"duplicate: gold {g.start}-{g.end} is already matched")
            elif covered > 0 and j not in matched_gold:
                hints.append(f"overlaps missed gold {g.start}-{g.end} by {covered:.0%}")
        if doc.text[pred.start : pred.end] != pred.sentence:
            hints.append("text[start:end] != sentence")
        details.append(
            f"  FP     {pred.status:<8} {pred.start}-{pred.end} [{pred.reason}] "
            f"confidence {pred.confidence:.2f} {shorten(pred.sentence, 90)}"
            + "".join(f"\n           ({hint})" for hint in hints)
        )

    for j, gold in enumerate(doc.units):
        if gold.optional or j in matched_gold:
            continue
        counts.fn += 1
        near = [describe_overlap(p, gold) for p in everything if overlap_ratio(span(p), span(gold))]
        details.append(
            f"  MISS   {miss_status(gold, everything):<8} {gold.start}-{gold.end} "
            f"{gold.strength} {gold.targets} {shorten(gold.sentence, 90)}"
            + "".join(f"\n           ({hint})" for hint in near)
        )
    return DocResult(counts, details)


def score_view(runs: Sequence[Run], keep: Keep) -> Counts:
    """Counts summed over all releases for the predictions `keep` selects."""
    total = Counts()
    for run in runs:
        total.add(score_document(run.doc, run.preds, run.ms, keep).counts)
    return total


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def figure(numerator: float, denominator: float) -> float:
    """A ratio rounded for the summary; 0.0 when there is nothing to count."""
    return round(ratio(numerator, denominator) or 0.0, 3)


def summary(proposed: Counts, both: Counts, ms_6000: float | None) -> dict[str, Any]:
    """Micro-averaged figures over all documents: those of the `proposed` view, then
    possible_recall/possible_precision from `proposed + possible` and the hard negatives
    proposed. Undefined figures count as 0.0."""
    ms, docs, chars = proposed.ms, proposed.docs, proposed.chars
    result: dict[str, Any] = {
        "sentence_precision": figure(proposed.tp, proposed.tp + proposed.fp),
        "sentence_recall": figure(proposed.tp, proposed.gold),
        "target_precision": figure(proposed.target_tp, proposed.target_pred),
        "target_recall": figure(proposed.target_tp, proposed.target_gold),
        "strength_accuracy": figure(proposed.strength_ok, proposed.strength_n),
        "ms_per_release": round(ms / docs, 1) if docs else 0.0,
        "ms_per_1000_chars": round(1000 * ms / chars, 1) if chars else 0.0,
        "documents": docs,
    }
    if ms_6000 is not None:
        result["ms_6000_chars"] = round(ms_6000, 1)
    result["possible_recall"] = figure(both.tp, both.gold)
    result["possible_precision"] = figure(both.tp, both.tp + both.fp)
    result["negative_rate"] = figure(proposed.negatives_hit, proposed.negatives)
    result["negatives"] = proposed.negatives
    result["negatives_proposed"] = proposed.negatives_hit
    return result


def bar_misses(figures: dict[str, Any]) -> list[str]:
    misses = [
        f"{key} {figures[key]:.3f} < {minimum:.2f}"
        for key, minimum in QUALITY_BAR
        if figures[key] < minimum
    ]
    misses += [
        f"{key} {figures[key]:.3f} > {maximum:.2f}"
        for key, maximum in QUALITY_CEILING
        if figures[key] > maximum
    ]
    ms_6000 = figures.get("ms_6000_chars")
    if ms_6000 is not None and ms_6000 >= MAX_MS_FOR_6000_CHARS:
        misses.append(f"ms_6000_chars {ms_6000:.1f} >= {MAX_MS_FOR_6000_CHARS:.0f}")
    return misses


# --- what-if: confidence floor and proposed/possible threshold -------------------------------


def confidence_at_least(cut: float) -> Keep:
    def keep(unit: Unit) -> bool:
        return unit.confidence >= cut

    return keep


def proposed_at_least(cut: float) -> Keep:
    def keep(unit: Unit) -> bool:
        return is_proposed(unit) and unit.confidence >= cut

    return keep


def floor_sweep(runs: Sequence[Run], cuts: Sequence[float] = CUTS) -> list[SweepRow]:
    """Both views if the extractor dropped every candidate below each confidence floor."""
    return [
        SweepRow(
            cut,
            score_view(runs, proposed_at_least(cut)),
            score_view(runs, confidence_at_least(cut)),
        )
        for cut in cuts
    ]


def threshold_sweep(runs: Sequence[Run], cuts: Sequence[float] = CUTS) -> list[SweepRow]:
    """Both views if proposed meant confidence >= each threshold (nothing dropped)."""
    both = score_view(runs, keep_all)
    return [SweepRow(cut, score_view(runs, confidence_at_least(cut)), both) for cut in cuts]


def quality_misses(row: SweepRow) -> list[str]:
    """Names of the quality figures (time aside) that miss the bar for a sweep row."""
    figures = summary(row.proposed, row.both, None)
    return [miss.split()[0] for miss in bar_misses(figures)]


# --- running ---------------------------------------------------------------------------------


def fmt(numerator: float, denominator: float) -> str:
    value = ratio(numerator, denominator)
    return "    -" if value is None else f"{value:5.3f}"


def table_row(name: str, c: Counts) -> str:
    return (
        f"{name:<38} {c.chars:>6} {c.gold:>4} {c.optional:>4} {c.pred:>4} "
        f"{c.tp:>3} {c.fp:>3} {c.fn:>3}  {fmt(c.tp, c.tp + c.fp)} {fmt(c.tp, c.gold)}  "
        f"{fmt(c.target_tp, c.target_pred)} {fmt(c.target_tp, c.target_gold)}  "
        f"{fmt(c.strength_ok, c.strength_n)} {f'{c.negatives_hit}/{c.negatives}':>5} "
        f"{c.ms / max(c.docs, 1):7.1f}"
    )


TABLE_HEADER = (
    f"{'document':<38} {'chars':>6} {'gold':>4} {'opt':>4} {'pred':>4} "
    f"{'TP':>3} {'FP':>3} {'FN':>3}  {'sentP':>5} {'sentR':>5}  {'tgtP':>5} {'tgtR':>5}  "
    f"{'str':>5} {'neg':>5} {'ms':>7}"
)


def view_heading(name: str) -> str:
    return f"== {name} " + "=" * max(0, len(TABLE_HEADER) - len(name) - 4)


def print_view(name: str, runs: Sequence[Run], keep: Keep, verbose: bool) -> Counts:
    """One view's table: a row per release (with its details when verbose), then overall."""
    print(view_heading(name))
    print(TABLE_HEADER)
    total = Counts()
    for run in runs:
        result = score_document(run.doc, run.preds, run.ms, keep)
        total.add(result.counts)
        print(table_row(run.doc.name, result.counts))
        if verbose and result.details:
            print("\n".join(result.details))
    print(table_row(f"overall (micro), {name}", total))
    return total


def change(now: float | None, before: float | None) -> str:
    if now is None or before is None:
        return "     -"
    return f"{now - before:+6.3f}"


SWEEP_COLUMNS = (
    f"{'TP':>4} {'FP':>4} {'FN':>4}  {'sentP':>5} {'sentR':>5} {'dP':>6} {'dR':>6}  "
    f"{'negProp':>7}  quality bar (time aside)"
)


def sweep_columns(row: SweepRow, c: Counts, before: Counts) -> str:
    """Sentence counts and P/R of `c`, their change from `before`, the hard negatives
    proposed and the quality figures that would miss the bar."""
    precision, recall = ratio(c.tp, c.tp + c.fp), ratio(c.tp, c.gold)
    misses = quality_misses(row)
    return (
        f"{c.tp:>4} {c.fp:>4} {c.fn:>4}  {fmt(c.tp, c.tp + c.fp)} {fmt(c.tp, c.gold)} "
        f"{change(precision, ratio(before.tp, before.tp + before.fp))} "
        f"{change(recall, ratio(before.tp, before.gold))}  "
        f"{f'{row.proposed.negatives_hit}/{row.proposed.negatives}':>7}  "
        + (", ".join(misses) if misses else "ok")
    )


def floor_table(rows: Sequence[SweepRow], base: SweepRow) -> list[str]:
    """`proposed + possible` if candidates below each floor were dropped."""

    def line(name: str, row: SweepRow) -> str:
        kept, dropped = row.both.pred, base.both.pred - row.both.pred
        return f"{name:<8} {kept:>5} {dropped:>7}  " + sweep_columns(row, row.both, base.both)

    return [
        view_heading(
            f"what-if: confidence floor, {PROPOSED} + {POSSIBLE} "
            "(candidates with confidence < floor dropped)"
        ),
        f"{'floor':<8} {'kept':>5} {'dropped':>7}  " + SWEEP_COLUMNS,
        line("none", base),
        *(line(f"{row.cut:.1f}", row) for row in rows),
    ]


def threshold_table(rows: Sequence[SweepRow], base: SweepRow) -> list[str]:
    """`proposed` if proposed meant confidence >= each threshold."""

    def line(name: str, row: SweepRow) -> str:
        proposed, possible = row.proposed.pred, row.both.pred - row.proposed.pred
        return f"{name:<8} {proposed:>5} {possible:>7}  " + sweep_columns(
            row, row.proposed, base.proposed
        )

    return [
        view_heading(
            f"what-if: {PROPOSED} = confidence >= t, the rest {POSSIBLE} "
            "(nothing dropped; sentence P/R of proposed)"
        ),
        f"{'t':<8} {'prop':>5} {'poss':>7}  " + SWEEP_COLUMNS,
        line("as given", base),
        *(line(f"{row.cut:.1f}", row) for row in rows),
    ]


def floor_report(runs: Sequence[Run]) -> list[str]:
    """The two what-if tables of --floor, each against the predictions as returned."""
    base = SweepRow(None, score_view(runs, is_proposed), score_view(runs, keep_all))
    return [*floor_table(floor_sweep(runs), base), *threshold_table(threshold_sweep(runs), base)]


def extractor_cut_offs(spec: str) -> tuple[float, float] | None:
    """The product extractor's confidence floor and proposing threshold, when the
    extractor scored is the product's own."""
    if spec != DEFAULT_EXTRACTOR:
        return None
    rules = importlib.import_module("campaign.extraction.rules")
    floor, confident = getattr(rules, "FLOOR", None), getattr(rules, "CONFIDENT", None)
    if floor is None or confident is None:
        return None  # an extractor from before calls were proposed or possible
    return float(floor), float(confident)


def timed_extract(extract: Extractor, text: str) -> tuple[list[Unit], float]:
    started = time.perf_counter()
    raw = extract(text)
    elapsed_ms = (time.perf_counter() - started) * 1000
    return [as_unit(item) for item in raw], elapsed_ms


def time_long_text(extract: Extractor, texts: Sequence[str]) -> float | None:
    """Median time over TIMING_RUNS runs for the releases joined and cut to TIMING_CHARS
    (the machine's speed wanders from one second to the next; one slow run should not
    decide the figure)."""
    joined = "\n\n".join(texts)
    if not joined:
        return None
    while len(joined) < TIMING_CHARS:
        joined = joined + "\n\n" + joined
    sample = joined[:TIMING_CHARS]
    return statistics.median(timed_extract(extract, sample)[1] for _ in range(TIMING_RUNS))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Score the call-to-action extractor against the gold set "
        "(sentence and target precision/recall, strength accuracy, hard negatives proposed, "
        "time per release), for the proposed items and for proposed + possible.",
    )
    parser.add_argument(
        "--gold",
        type=Path,
        default=DEFAULT_GOLD,
        metavar="DIR",
        help="folder of <name>.txt / <name>.json pairs (default: %(default)s)",
    )
    parser.add_argument(
        "--extractor",
        default=DEFAULT_EXTRACTOR,
        metavar="MODULE:FUNCTION",
        help="module:function (or path/to/file.py:function) taking the text and returning "
        "CallToAction items (default: %(default)s)",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="list false positives, missed units and target/strength mismatches per document; "
        "FP and MISS lines carry the prediction's status",
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="add what-if tables for confidence cut-offs 0.1-0.9: a floor dropping candidates, "
        "and a threshold deciding proposed vs possible",
    )
    parser.add_argument("--doc", metavar="NAME", help="evaluate only this document")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    gold_dir: Path = args.gold
    if not gold_dir.is_dir():
        print(f"gold folder not found: {gold_dir}", file=sys.stderr)
        return 2
    only = None if args.doc is None else Path(args.doc).name.removesuffix(".json")
    only = None if only is None else only.removesuffix(".txt")
    docs = load_gold(gold_dir, only)
    if not docs:
        what = f"document {only!r}" if only else "any <name>.txt/<name>.json pair"
        print(f"{gold_dir} holds no {what}", file=sys.stderr)
        return 2
    try:
        extract = load_extractor(args.extractor)
    except (ImportError, ValueError) as error:
        print(f"cannot load extractor {args.extractor}: {error}", file=sys.stderr)
        return 1

    extract(docs[0].text)  # warm-up, not timed

    runs = [Run(doc, *timed_extract(extract, doc.text)) for doc in docs]
    proposed, both = [print_view(name, runs, keep, args.verbose) for name, keep in VIEWS]
    if args.floor:
        print("\n".join(floor_report(runs)))

    all_texts = [doc.text for doc in load_gold(gold_dir)]
    figures = summary(proposed, both, time_long_text(extract, all_texts))
    releases = "1 release" if proposed.docs == 1 else f"{proposed.docs} releases"
    print(
        f"{releases}, {proposed.chars} characters; {both.pred} predictions ({proposed.pred} "
        f"{PROPOSED}, {both.pred - proposed.pred} {POSSIBLE}); {proposed.ignored} proposed "
        f"predictions on optional units ignored; {proposed.negatives_hit} of "
        f"{proposed.negatives} hard negatives proposed"
    )
    print(
        f"{figures['ms_per_release']:.1f} ms per release, "
        f"{figures['ms_per_1000_chars']:.1f} ms per 1,000 characters, "
        f"{figures.get('ms_6000_chars', 0.0):.1f} ms for a {TIMING_CHARS:,}-character text"
    )
    if both.bad_offsets:
        print(f"warning: {both.bad_offsets} predictions where text[start:end] != sentence")
    cut_offs = extractor_cut_offs(args.extractor)
    if cut_offs is not None:
        floor, confident = cut_offs
        print(
            f"the extractor drops candidates below confidence {floor:.2f} and proposes those "
            f"at or above {confident:.2f}; --floor shows what other cut-offs would give"
        )
        figures["floor"] = floor
    misses = bar_misses(figures)
    print("PASS" if not misses else "MISS: " + "; ".join(misses))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
