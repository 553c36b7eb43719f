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
    - time: the extractor is called once on the first release to warm up (not timed), then
      each release is timed with time.perf_counter; also reported per 1,000 characters and
      for one 6,000-character text (the releases joined and cut to 6,000 characters, median
      of three runs).

    Gold offsets count from the start of each .txt file as stored, SOURCE line included,
    so the whole file text is passed to the extractor. A figure whose denominator is zero is
    shown as "-" in the table and counts as 0.0 in the summary.

How to run (from the repository root)
    .venv/bin/python bench/extraction_eval.py [--verbose] [--doc NAME]
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

# The bar the extractor has to clear: (summary key, minimum).
QUALITY_BAR: tuple[tuple[str, float], ...] = (
    ("sentence_precision", 0.95),
    ("sentence_recall", 0.90),
    ("target_precision", 0.90),
    ("target_recall", 0.85),
    ("strength_accuracy", 0.95),
)
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
    ms: float = 0.0

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class DocResult:
    counts: Counts
    details: list[str]


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
    )


# --- scoring ---------------------------------------------------------------------------------


def shorten(text: str, width: int = 110) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def span(unit: Unit | Negative) -> tuple[int, int]:
    return (unit.start, unit.end)


def score_document(doc: GoldDoc, preds: Sequence[Unit], ms: float) -> DocResult:
    """Match one release's predictions to its gold units and count everything scored."""
    counts = Counts(docs=1, chars=len(doc.text), ms=ms, pred=len(preds))
    counts.gold = sum(not g.optional for g in doc.units)
    counts.optional = len(doc.units) - counts.gold
    counts.bad_offsets = sum(doc.text[p.start : p.end] != p.sentence for p in preds)
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
            f"  FP     {pred.start}-{pred.end} [{pred.reason}] {shorten(pred.sentence)}"
            + "".join(f"\n           ({hint})" for hint in hints)
        )

    for j, gold in enumerate(doc.units):
        if gold.optional or j in matched_gold:
            continue
        counts.fn += 1
        near = [
            f"pred {p.start}-{p.end} covers {overlap_ratio(span(p), span(gold)):.0%}"
            for p in preds
            if overlap_ratio(span(p), span(gold)) > 0
        ]
        details.append(
            f"  MISS   {gold.start}-{gold.end} {gold.strength} {gold.targets} "
            f"{shorten(gold.sentence)}" + "".join(f"\n           ({hint})" for hint in near)
        )
    return DocResult(counts, details)


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def summary(counts: Counts, ms_6000: float | None) -> dict[str, Any]:
    """Micro-averaged figures over all documents; undefined figures count as 0.0."""

    def figure(numerator: float, denominator: float) -> float:
        return round(ratio(numerator, denominator) or 0.0, 3)

    result: dict[str, Any] = {
        "sentence_precision": figure(counts.tp, counts.tp + counts.fp),
        "sentence_recall": figure(counts.tp, counts.gold),
        "target_precision": figure(counts.target_tp, counts.target_pred),
        "target_recall": figure(counts.target_tp, counts.target_gold),
        "strength_accuracy": figure(counts.strength_ok, counts.strength_n),
        "ms_per_release": round(counts.ms / counts.docs, 1) if counts.docs else 0.0,
        "ms_per_1000_chars": round(1000 * counts.ms / counts.chars, 1) if counts.chars else 0.0,
        "documents": counts.docs,
    }
    if ms_6000 is not None:
        result["ms_6000_chars"] = round(ms_6000, 1)
    return result


def bar_misses(figures: dict[str, Any]) -> list[str]:
    misses = [
        f"{key} {figures[key]:.3f} < {minimum:.2f}"
        for key, minimum in QUALITY_BAR
        if figures[key] < minimum
    ]
    ms_6000 = figures.get("ms_6000_chars")
    if ms_6000 is not None and ms_6000 >= MAX_MS_FOR_6000_CHARS:
        misses.append(f"ms_6000_chars {ms_6000:.1f} >= {MAX_MS_FOR_6000_CHARS:.0f}")
    return misses


# --- running ---------------------------------------------------------------------------------


def fmt(numerator: float, denominator: float) -> str:
    value = ratio(numerator, denominator)
    return "    -" if value is None else f"{value:5.3f}"


def table_row(name: str, c: Counts) -> str:
    return (
        f"{name:<38} {c.chars:>6} {c.gold:>4} {c.optional:>4} {c.pred:>4} "
        f"{c.tp:>3} {c.fp:>3} {c.fn:>3}  {fmt(c.tp, c.tp + c.fp)} {fmt(c.tp, c.gold)}  "
        f"{fmt(c.target_tp, c.target_pred)} {fmt(c.target_tp, c.target_gold)}  "
        f"{fmt(c.strength_ok, c.strength_n)} {c.ms / max(c.docs, 1):7.1f}"
    )


TABLE_HEADER = (
    f"{'document':<38} {'chars':>6} {'gold':>4} {'opt':>4} {'pred':>4} "
    f"{'TP':>3} {'FP':>3} {'FN':>3}  {'sentP':>5} {'sentR':>5}  {'tgtP':>5} {'tgtR':>5}  "
    f"{'str':>5} {'ms':>7}"
)


def timed_extract(extract: Extractor, text: str) -> tuple[list[Unit], float]:
    started = time.perf_counter()
    raw = extract(text)
    elapsed_ms = (time.perf_counter() - started) * 1000
    return [as_unit(item) for item in raw], elapsed_ms


def time_long_text(extract: Extractor, texts: Sequence[str]) -> float | None:
    """Median time over three runs for the releases joined and cut to TIMING_CHARS."""
    joined = "\n\n".join(texts)
    if not joined:
        return None
    while len(joined) < TIMING_CHARS:
        joined = joined + "\n\n" + joined
    sample = joined[:TIMING_CHARS]
    return statistics.median(timed_extract(extract, sample)[1] for _ in range(3))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Score the call-to-action extractor against the gold set "
        "(sentence and target precision/recall, strength accuracy, time per release).",
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
        help="list false positives, missed units and target/strength mismatches per document",
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

    total = Counts()
    print(TABLE_HEADER)
    for doc in docs:
        preds, ms = timed_extract(extract, doc.text)
        result = score_document(doc, preds, ms)
        total.add(result.counts)
        print(table_row(doc.name, result.counts))
        if args.verbose and result.details:
            print("\n".join(result.details))
    print(table_row("overall (micro)", total))

    all_texts = [doc.text for doc in load_gold(gold_dir)]
    figures = summary(total, time_long_text(extract, all_texts))
    releases = "1 release" if total.docs == 1 else f"{total.docs} releases"
    print(
        f"{releases}, {total.chars} characters; {total.ignored} predictions on optional "
        f"units ignored; {figures['ms_per_release']:.1f} ms per release, "
        f"{figures['ms_per_1000_chars']:.1f} ms per 1,000 characters, "
        f"{figures.get('ms_6000_chars', 0.0):.1f} ms for a {TIMING_CHARS:,}-character text"
    )
    if total.bad_offsets:
        print(f"warning: {total.bad_offsets} predictions where text[start:end] != sentence")
    misses = bar_misses(figures)
    print("PASS" if not misses else "MISS: " + "; ".join(misses))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
