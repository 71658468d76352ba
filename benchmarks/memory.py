"""Memory and time per classified domain at scale, against an earlier commit in the same run.

Writes N generated domains (and a 100-domain file for the fixed cost) to a temporary
folder and runs `decision classify FILE --format json > /dev/null` in fresh processes,
alternating between this checkout and, when a commit is given, that commit (extracted
with `git archive` into a temporary folder and run through PYTHONPATH). Per domain:

- memory: (peak RSS at N - peak RSS at 100) / (N - 100), from the kernel's accounting
  of each process (os.wait4);
- time: (wall time at N - wall time at 100) / (N - 100).

Prints the median of REPEATS runs of each, and the ratios. The targets (issue 13): under
30 KB a domain at 10,000 domains, and the time per domain halved against the commit
before the work. Run: python benchmarks/memory.py [N] [REPEATS] [COMMIT]
"""

from __future__ import annotations

import io
import os
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NAMES = ("economic", "innovation", "technology", "science", "opportunity", "transition", "feasibility")


def write_domains(path: Path, count: int, seed: int = 1) -> None:
    chooser = random.Random(seed)
    lines = ["domains:"]
    for index in range(count):
        lines += [f"  - id: d{index:05d}", f"    name: Domain {index}", "    scores:"]
        for name in NAMES:
            if chooser.random() < 0.1:
                continue
            lines.append(f"      {name}: {chooser.choice([1, 2, 2.5, 3, 3.5, 4, 4.5, 5])}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run(source: Path, profiles: Path) -> tuple[float, float]:
    """(peak RSS in KB, wall seconds) of one classify of ``profiles`` with the code in ``source``."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    command = [sys.executable, "-c", "from decision.cli.app import main; main()", "classify", str(profiles)]
    start = time.perf_counter()
    process = subprocess.Popen(
        [*command, "--format", "json", "--rules", str(source / "rules")],
        env=env,
        cwd=source,  # `python -c` puts the working folder first on sys.path: it must be the tree measured
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"classify failed in {source}: {process.stderr.read().decode()[:300]}")
    return usage.ru_maxrss, elapsed  # ru_maxrss is in KB on Linux


def extract(commit: str, into: Path) -> Path:
    archive = subprocess.run(["git", "archive", commit], cwd=REPO, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    commit = sys.argv[3] if len(sys.argv) > 3 else None
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        small, large = folder / "small.yaml", folder / "large.yaml"
        write_domains(small, 100)
        write_domains(large, count)
        trees = {"this checkout": REPO}
        if commit:
            trees[f"commit {commit}"] = extract(commit, folder / "baseline")
        figures: dict[str, dict[str, list[float]]] = {name: {"kb": [], "ms": []} for name in trees}
        for _ in range(repeats):
            for name, source in trees.items():
                base_kb, base_s = run(source, small)
                kb, seconds = run(source, large)
                figures[name]["kb"].append((kb - base_kb) / (count - 100))
                figures[name]["ms"].append((seconds - base_s) / (count - 100) * 1000)
        print(f"{count} generated domains, classify --format json, medians of {repeats} alternating runs")
        for name, found in figures.items():
            kb, ms = statistics.median(found["kb"]), statistics.median(found["ms"])
            print(f"{name}: {kb:.1f} KB a domain, {ms:.2f} ms a domain")
        if commit:
            now, then = figures["this checkout"], figures[f"commit {commit}"]
            print(
                f"ratio this/commit: memory {statistics.median(now['kb']) / statistics.median(then['kb']):.2f}, "
                f"time {statistics.median(now['ms']) / statistics.median(then['ms']):.2f}"
            )


if __name__ == "__main__":
    main()
