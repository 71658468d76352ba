"""Size and speed of the audit store: the same 500 domains recorded 20 times.

Prints the store's size after the first run and after all runs (content is stored once,
so the 19 later runs should add less than the first run's size in all), the time of one
`classify` of the 500 domains (load, walk, fragility), and the time `audit verify` takes
over the 20 runs (chain, blobs, replay of each distinct set of stored inputs once, and
the check of the files now), with their ratio; and the time to read every record (what
`audit log` does). All in one process, one run. Run: python benchmarks/audit_store.py [DOMAINS] [RUNS]
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from pathlib import Path

from decision.analyses.margins import with_fragility
from decision.audit.replay import Replayer
from decision.audit.store import open_store, run_content
from decision.engine.walk import classify_all
from decision.inputs.profiles import load_profiles
from decision.inputs.rulebook import load_rulebook, shipped_data_dir


def write_profiles(folder: Path, count: int, seed: int = 5) -> None:
    chooser = random.Random(seed)
    names = ("economic", "innovation", "technology", "science", "opportunity", "transition", "feasibility")
    for index in range(count):
        lines = [f"id: d{index:04d}", f"name: Domain {index}", "scores:"]
        for name in names:
            if chooser.random() < 0.1:
                continue
            lines += [f"  {name}:", f"    value: {chooser.choice([1, 2, 2.5, 3, 3.5, 4, 4.5, 5])}"]
            lines += [f"    source: benchmark row {index}"]
        (folder / f"d{index:04d}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def classify_once(rules_dir: Path, folder: Path):
    rulebook = load_rulebook(rules_dir)
    profiles = load_profiles([folder], rulebook)
    return rulebook, profiles, with_fragility(rulebook, profiles, classify_all(profiles, rulebook))


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        os.chdir(root)
        (root / "domains").mkdir()
        write_profiles(root / "domains", count)
        rules_dir = shipped_data_dir("rules")
        started = time.perf_counter()
        rulebook, profiles, results = classify_once(rules_dir, Path("domains"))
        classify_seconds = time.perf_counter() - started
        store_path = root / "audit.sqlite"
        sizes = []
        record_times = []
        for _ in range(runs):
            started = time.perf_counter()
            content, blobs = run_content(
                command="classify",
                args=["domains"],
                params={"paths": ["domains"]},
                rulebook=rulebook,
                profiles=profiles,
                results=results,
                by="bench",
            )
            with open_store(store_path, create=True) as store:
                store.append(content, blobs)
            record_times.append(time.perf_counter() - started)
            sizes.append(store_path.stat().st_size)
        started = time.perf_counter()
        with open_store(store_path) as store:
            records = store.records()
        read_seconds = time.perf_counter() - started
        started = time.perf_counter()
        with open_store(store_path) as store:
            chain = store.check_chain()
            replayer = Replayer(store)
            reports = [replayer.reproduce(record) for record in store.records()]
        verify_seconds = time.perf_counter() - started
        assert chain.ok and all(r.ok for r in reports) and len(records) == runs
    first, total = sizes[0], sizes[-1]
    print(f"{count} domains recorded {runs} times")
    print(f"  store after run 1: {first / 1e6:.2f} MB; after run {runs}: {total / 1e6:.2f} MB")
    print(
        f"  growth over runs 2-{runs}: {(total - first) / 1e6:.3f} MB ({(total - first) / first:.1%} of the first run)"
    )
    print(f"  recording one run: {sorted(record_times)[len(record_times) // 2]:.3f} s median")
    print(f"  one classify of {count} domains (load, walk, fragility): {classify_seconds:.2f} s")
    print(
        f"  audit verify of {runs} runs: {verify_seconds:.2f} s ({verify_seconds / classify_seconds:.2f}x one classify)"
    )
    print(f"  reading every record (audit log): {read_seconds:.2f} s")


if __name__ == "__main__":
    main()
