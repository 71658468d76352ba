"""Throughput of the two evaluators, and the wall time of ``decision robustness``.

Prints, in one run:
- profiles classified per second by the durable-rules walk (Engine.classify, with its
  explained result), on a few thousand random profiles;
- rows classified per second by the vectorised evaluator (decision.engine.bulk), on 10 million
  random rows with about 10% of the scores missing, evaluated in blocks of one million
  (the time of evaluate() only; generating the rows is not counted);
- their ratio;
- the wall time of ``decision robustness --draws 10000`` in a fresh process (median of
  five runs), on the shipped domains as they are, and on a copy of them where every
  score carries a range of +-0.5 (the worst case: every score of every domain drawn).

Run: python benchmarks/evaluators.py [ENGINE_PROFILES] [BULK_ROWS]
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from decision.engine.bulk import BulkEvaluator
from decision.engine.walk import Engine
from decision.inputs.profiles import DomainProfile, load_profiles
from decision.inputs.rulebook import load_rulebook, shipped_data_dir
from decision.model.result import ScoreValue

MISSING = 0.1
BLOCK = 1_000_000


def random_columns(rng: np.random.Generator, names, rows: int) -> dict[str, np.ndarray]:
    """Scores on a half-point grid of 0-5, with about MISSING of them NaN."""
    columns = {}
    for name in names:
        values = rng.integers(0, 11, rows) / 2
        values[rng.random(rows) < MISSING] = np.nan
        columns[name] = values
    return columns


def engine_rate(rulebook, count: int) -> float:
    rng = np.random.Generator(np.random.PCG64(1))
    columns = random_columns(rng, list(rulebook.scores), count)
    profiles = [
        DomainProfile(
            id=f"p{i}",
            name="random",
            file="-",
            line=1,
            scores={n: ScoreValue(value=float(v[i])) for n, v in columns.items() if not np.isnan(v[i])},
        )
        for i in range(count)
    ]
    engine = Engine(rulebook)
    engine.classify(profiles[0])  # registration of the rule set is not throughput
    started = time.perf_counter()
    for profile in profiles:
        engine.classify(profile)
    return count / (time.perf_counter() - started)


def bulk_rate(rulebook, rows: int) -> float:
    rng = np.random.Generator(np.random.PCG64(2))
    evaluator = BulkEvaluator(rulebook)
    evaluator.evaluate(random_columns(rng, evaluator.score_names, 1000))  # warm-up
    elapsed = 0.0
    for start in range(0, rows, BLOCK):
        columns = random_columns(rng, evaluator.score_names, min(BLOCK, rows - start))
        started = time.perf_counter()
        evaluator.evaluate(columns)
        elapsed += time.perf_counter() - started
    return rows / elapsed


def ranged_copy(rulebook, target: Path) -> Path:
    """The shipped domains, every present score given a range of +-0.5 within the scale."""
    lines = ["domains:"]
    for profile in load_profiles([shipped_data_dir("domains")], rulebook):
        lines += [f"  - id: {profile.id}", f"    name: {profile.id}", "    scores:"]
        for name in rulebook.scores:
            value = profile.value(name)
            if value is not None:
                low, high = max(rulebook.scale.min, value - 0.5), min(rulebook.scale.max, value + 0.5)
                lines.append(f"      {name}: {{value: {value:g}, low: {low:g}, high: {high:g}}}")
    path = target / "ranged.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def median_wall(command: list[str], runs: int = 5) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    engine_profiles = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    bulk_rows = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000_000
    decision = shutil.which("decision") or sys.exit("install the project first: pip install .")
    rulebook = load_rulebook(shipped_data_dir("rules"))

    walk = engine_rate(rulebook, engine_profiles)
    print(f"durable-rules walk (Engine.classify): {walk:,.0f} profiles/s  ({engine_profiles:,} random profiles)")
    vectorised = bulk_rate(rulebook, bulk_rows)
    print(
        f"vectorised evaluator (BulkEvaluator): {vectorised:,.0f} rows/s  "
        f"({bulk_rows:,} random rows, {MISSING:.0%} of scores missing)"
    )
    print(f"ratio: {vectorised / walk:,.0f}x")

    shipped = median_wall([decision, "robustness", "--draws", "10000"])
    print(f"decision robustness --draws 10000, shipped domains: {shipped:.3f} s wall (median of 5)")
    with tempfile.TemporaryDirectory() as folder:
        ranged = ranged_copy(rulebook, Path(folder))
        every = median_wall([decision, "robustness", str(ranged), "--draws", "10000"])
    print(
        f"decision robustness --draws 10000, shipped domains with every score ranged: {every:.3f} s wall (median of 5)"
    )


if __name__ == "__main__":
    main()
