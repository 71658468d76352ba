"""The two engines side by side, in one run: walk throughput and cold `decision classify`.

1. Profiles per second of the full explained walk (`Engine.classify`) under durable-rules
   and under zen-engine, on the same random profiles (10% of scores missing), in
   alternating rounds; medians of the rounds.
2. Cold-process wall time of `decision classify` on the shipped domains with
   `--engine durable-rules` and `--engine zen`, alternating; medians.

Run: python benchmarks/engines.py [PROFILES] [ROUNDS] [COLD_RUNS]
"""

from __future__ import annotations

import random
import shutil
import statistics
import subprocess
import sys
import time

from decision.engine.choice import DURABLE, ZEN, durable_problem
from decision.engine.walk import Engine
from decision.inputs.profiles import DomainProfile
from decision.inputs.rulebook import load_rulebook, shipped_data_dir
from decision.model.result import ScoreValue

MISSING = 0.1


def random_profiles(rulebook, count: int, seed: int = 11) -> list[DomainProfile]:
    chooser = random.Random(seed)
    profiles = []
    for index in range(count):
        scores = {
            name: ScoreValue(value=round(chooser.uniform(0, 5), 2))
            for name in rulebook.scores
            if chooser.random() >= MISSING
        }
        profiles.append(DomainProfile(id=f"p{index}", name=f"p{index}", file="-", line=1, scores=scores))
    return profiles


def walk_rate(engine: Engine, profiles: list[DomainProfile]) -> float:
    started = time.perf_counter()
    for profile in profiles:
        engine.classify(profile)
    return len(profiles) / (time.perf_counter() - started)


def cold(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    cold_runs = int(sys.argv[3]) if len(sys.argv) > 3 else 11
    problem = durable_problem()
    engines = [ZEN] if problem else [DURABLE, ZEN]
    if problem:
        print(f"durable-rules unavailable ({problem}); measuring zen only")
    rulebook = load_rulebook(shipped_data_dir("rules"))
    profiles = random_profiles(rulebook, count)
    walkers = {name: Engine(rulebook, name) for name in engines}
    for walker in walkers.values():  # warm up: compile and register once
        walk_rate(walker, profiles[:50])
    rates: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(rounds):
        for name in engines:
            rates[name].append(walk_rate(walkers[name], profiles))
    print(f"walk, {count} random profiles ({MISSING:.0%} of scores missing), median of {rounds} alternating rounds:")
    for name in engines:
        print(f"  {name:14s} {statistics.median(rates[name]):8.0f} profiles/s")
    if len(engines) == 2:
        ratio = statistics.median(rates[DURABLE]) / statistics.median(rates[ZEN])
        print(f"  durable-rules / zen: {ratio:.2f}")

    decision = shutil.which("decision") or sys.exit("install the project first: pip install .")
    timings: dict[str, list[float]] = {name: [] for name in engines}
    floor_timings = []
    for _ in range(cold_runs):
        floor_timings.append(cold([sys.executable, "-c", "import typer, rich.console, pydantic, yaml"]))
        for name in engines:
            timings[name].append(cold([decision, "classify", "--engine", name]))
    floor = statistics.median(floor_timings)
    print(f"cold `decision classify` on the shipped domains, median of {cold_runs} alternating runs:")
    print(f"  import floor (typer, rich, pydantic, pyyaml): {floor:.3f} s")
    for name in engines:
        median = statistics.median(timings[name])
        print(f"  --engine {name:14s} {median:.3f} s ({median / floor:.2f}x floor)")


if __name__ == "__main__":
    main()
