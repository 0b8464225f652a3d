"""Summary extraction: ours vs the obvious regex, for right numbers and for speed.

    python benchmarks/extract_bench.py [--repeat 5]

The obvious alternative is what one writes in an afternoon: every number followed by a unit the
catalog knows becomes a record of the metric whose synonym comes nearest before it in the same
sentence. Both run over the hand-annotated gold sets under tests/fixtures/narrative/ (and the seed,
when ../shared/seed is beside the checkout); precision and recall count (report, metric, value) pairs.
Speed is characters per second over all the texts, best of ``--repeat``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from metrics.core.catalog import default_catalog
from metrics.core.numbers import parse_number
from metrics.narrative import extract, normalise, read_text, split_reports
from metrics.narrative.mentions import unit_pattern

GOLD = ROOT / "tests" / "fixtures" / "narrative"
SEED = ROOT.parent / "shared" / "seed" / "000_ee4710341e3169fb.txt"


def gold_sets() -> list[tuple[str, list[tuple[str, list[dict]]]]]:
    """(set name, [(text, gold reports in order)])."""
    sets = []
    if SEED.exists():
        gold = json.loads((GOLD / "seed_gold.json").read_text(encoding="utf-8"))
        sets.append(("seed (15 reports)", [(SEED.read_text(encoding="utf-8"), gold["reports"])]))
    for name, folder in (
        ("own (10 files)", "own"),
        ("held-out (10 files)", "heldout"),
        ("blind3 (12 files)", "blind3"),
        ("blind4 (12 files)", "blind4"),
        ("blind5 (12 files)", "blind5"),
    ):
        path = GOLD / f"{folder}_gold.json"
        if not path.exists():
            continue
        gold = json.loads(path.read_text(encoding="utf-8"))
        files = sorted({r["file"] for r in gold["reports"]})
        sets.append(
            (
                name,
                [
                    (read_text((GOLD / folder / f).read_bytes(), f), [r for r in gold["reports"] if r["file"] == f])
                    for f in files
                ],
            )
        )
    return sets


def ours(text: str) -> list[list[tuple[str, float]]]:
    return [[(m.record.metric, round(m.record.value, 2)) for m in r.mentions] for r in extract(text)]


def naive(text: str) -> list[list[tuple[str, float]]]:
    """Nearest synonym before a number with a unit, within the sentence."""
    catalog = default_catalog()
    words = sorted(
        ((w, m) for m in catalog.metrics.values() for w in (*m.synonyms, m.zh) if len(w) >= 2), key=lambda p: -len(p[0])
    )
    synonyms = re.compile("|".join(re.escape(w) for w, _ in words))
    metric_of = dict(words)
    units = unit_pattern(catalog)
    out = []
    norm = normalise(text)
    for _, start, end in split_reports(text):
        found = []
        for sentence in re.split(r"[。!?\n]", norm[start:end]):
            for number in re.finditer(r"[近约]?\d+(?:\.\d+)?(?:余|多)?(?:万|亿)?", sentence):
                unit = units.match(sentence, number.end())
                named = [m for m in synonyms.finditer(sentence, 0, number.start())]
                if unit is None or not named:
                    continue
                parsed = parse_number(number.group(0) + unit.group(0))
                if parsed.value is not None:
                    found.append((metric_of[named[-1].group(0)].id, round(parsed.value, 2)))
        out.append(found)
    return out


def score(method, texts) -> tuple[float, float, int]:
    found, gold = Counter(), Counter()
    for n, (text, reports) in enumerate(texts):
        for k, pairs in enumerate(method(text)):
            found.update((n, k, *p) for p in pairs)
        for k, report in enumerate(reports):
            gold.update((n, k, m["metric"], round(float(m["value"]), 2)) for m in report["mentions"])
    hits = sum((found & gold).values())
    return hits / max(1, sum(found.values())), hits / max(1, sum(gold.values())), sum(gold.values())


def agencies(texts) -> tuple[int, int, int]:
    """Reports whose agency is right, left blank, or wrong (a gold agency of null counts any name as wrong)."""
    right = blank = wrong = 0
    for text, reports in texts:
        for found, want in zip(extract(text), reports):
            if found.agency is None:
                blank += 1
            elif found.agency == want["agency"]:
                right += 1
            else:
                wrong += 1
    return right, blank, wrong


def speed(method, texts, repeat: int) -> float:
    chars = sum(len(t) for t, _ in texts)
    best = min(_timed(method, texts) for _ in range(repeat))
    return chars / best


def _timed(method, texts) -> float:
    started = time.perf_counter()
    for text, _ in texts:
        method(text)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sets = gold_sets()
    everything = [pair for _, texts in sets for pair in texts]
    extract(everything[0][0][:200])  # catalog, gazetteer and patterns loaded once, outside the timing
    print(
        f"{'set':<22}{'mentions':>9}{'ours P':>9}{'ours R':>9}{'naive P':>9}{'naive R':>9}"
        f"{'agencies ok/blank/wrong':>26}"
    )
    for name, texts in sets:
        p, r, n = score(ours, texts)
        np_, nr, _ = score(naive, texts)
        right, blank, wrong = agencies(texts)
        print(f"{name:<22}{n:>9}{p:>9.3f}{r:>9.3f}{np_:>9.3f}{nr:>9.3f}{f'{right}/{blank}/{wrong}':>26}")
    from tests.test_narrative_perturb import tally

    for name, (passed, total, alone, quiet, negatives) in tally().items():
        print(
            f"rewordings {name:<8} mentions: {passed}/{total} same pairs ({alone} gold sentences not readable alone);"
            f" left-out clauses: {quiet}/{negatives} still nothing"
        )
    fast, slow = speed(ours, everything, args.repeat), speed(naive, everything, args.repeat)
    print(
        f"speed: ours {fast / 1000:.0f}k chars/s, naive {slow / 1000:.0f}k chars/s "
        f"({sum(len(t) for t, _ in everything):,} chars in {len(everything)} texts)"
    )


if __name__ == "__main__":
    main()
