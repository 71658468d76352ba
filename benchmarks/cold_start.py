"""Cold-process wall time of `decision classify` on the shipped domains.

Prints the median of several runs, next to the floor set by importing the runtime
dependencies alone, and their ratio. Run: python benchmarks/cold_start.py [RUNS]
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time


def median_wall(command: list[str], runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    decision = shutil.which("decision") or sys.exit("install the project first: pip install .")
    floor = median_wall([sys.executable, "-c", "import typer, rich.console, pydantic, yaml, durable.engine"], runs)
    classify = median_wall([decision, "classify"], runs)
    json_out = median_wall([decision, "classify", "--format", "json"], runs)
    print(f"runs per command: {runs}")
    print(f"import floor (typer, rich, pydantic, pyyaml, durable-rules): {floor:.3f} s median")
    print(f"decision classify (table):  {classify:.3f} s median  ({classify / floor:.2f}x floor)")
    print(f"decision classify --format json: {json_out:.3f} s median  ({json_out / floor:.2f}x floor)")


if __name__ == "__main__":
    main()
