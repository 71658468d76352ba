"""Time of computing RCA, presence, relatedness density and complexity from counts.

Prints, in one run, for a random table of REGIONS x TECHNOLOGIES counts (default 300 x
600, skewed like patent counts):
- the time of ``compute_indicators`` (every region and technology at once), median of
  five runs, under the method of rules/indicator_methods.yaml and under each
  relatedness measure and complexity method;
- the time of reading the same table from a wide CSV (``read_counts``);
- the wall time of ``decision indicators compute TABLE --region ... --format csv`` in a
  fresh process (median of three), start-up included.

The target is under 2 s for the computation of the 300 x 600 table.

Run: python benchmarks/indicators_from_counts.py [REGIONS] [TECHNOLOGIES]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from decision.analyses.count_indicators import compute_indicators
from decision.inputs.count_table import CountMatrix, read_counts
from decision.inputs.indicator_methods import COMPLEXITY_METHODS, RELATEDNESS_MEASURES, load_indicator_methods
from decision.inputs.rulebook import load_rulebook, shipped_data_dir

TARGET_SECONDS = 2.0


def random_matrix(regions: int, technologies: int) -> CountMatrix:
    rng = np.random.default_rng(0)
    size = rng.gamma(1.0, 1.0, (regions, 1)) * rng.gamma(1.0, 1.0, (1, technologies))
    counts = rng.poisson(20 * size).astype(float)
    zeros = np.zeros(counts.shape, dtype=np.int64)
    names = tuple(f"region-{i:04d}" for i in range(regions)), tuple(f"tech-{j:04d}" for j in range(technologies))
    return CountMatrix(Path("random.csv"), "random.csv", "0" * 64, "wide", *names, counts, zeros, zeros)


def median_time(function, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    regions = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    technologies = int(sys.argv[2]) if len(sys.argv) > 2 else 600
    method = load_indicator_methods(load_rulebook(shipped_data_dir("rules"))).method
    matrix = random_matrix(regions, technologies)
    print(f"{regions} regions x {technologies} technologies, {int(matrix.counts.sum()):,} counts")
    baseline = median_time(lambda: compute_indicators(matrix, method), 5)
    verdict = "meets" if baseline < TARGET_SECONDS else "MISSES"
    print(f"compute_indicators, rules/indicator_methods.yaml ({method.describe()}): {baseline:.3f} s")
    print(f"  {verdict} the {TARGET_SECONDS:g} s target")
    for measure in RELATEDNESS_MEASURES:
        seconds = median_time(lambda m=measure: compute_indicators(matrix, replace(method, relatedness=m)), 5)
        print(f"  relatedness {measure}: {seconds:.3f} s")
    for name in COMPLEXITY_METHODS:
        seconds = median_time(lambda n=name: compute_indicators(matrix, replace(method, complexity=n)), 5)
        print(f"  complexity {name} ({method.steps} steps for reflections): {seconds:.3f} s")

    with tempfile.TemporaryDirectory() as folder:
        table = Path(folder) / "counts.csv"
        lines = ["region," + ",".join(matrix.technologies)]
        lines += [
            name + "," + ",".join(str(int(v)) for v in row)
            for name, row in zip(matrix.regions, matrix.counts, strict=True)
        ]
        table.write_text("\n".join(lines) + "\n", encoding="utf-8")
        reading = median_time(lambda: read_counts(table), 3)
        print(f"read_counts of the wide CSV ({table.stat().st_size / 1e6:.1f} MB): {reading:.3f} s")
        command = [
            str(Path(sys.executable).with_name("decision")),
            "indicators",
            "compute",
            str(table),
            "--region",
            matrix.regions[0],
            "--format",
            "csv",
        ]
        wall = median_time(lambda: subprocess.run(command, check=True, capture_output=True), 3)
        print(f"decision indicators compute (fresh process, read + compute + CSV): {wall:.3f} s wall")


if __name__ == "__main__":
    main()
