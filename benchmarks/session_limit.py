"""Verify the durable-rules session limit, and that the engine stays clear of it.

Prints how many sessions a bare durable-rules Host keeps before it fails when state is
never deleted, then classifies many profiles through decision's Engine (which deletes
each session at once) in one process. Run: python benchmarks/session_limit.py
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

PROBE = textwrap.dedent(
    """
    from durable import engine
    class Quiet(engine.Host):
        def _run(self):
            pass
    host = Quiet()
    host.register_rulesets({"probe": {"r": {"all": [{"m": {"node": "x"}}], "run": lambda c: None}}})
    n = 0
    try:
        for n in range(1, 5001):
            host.post("probe", {"sid": str(n), "node": "x"})
    except BaseException as exc:
        print(f"FAILED after {n - 1} live sessions: {type(exc).__name__}: {exc}")
    else:
        print(f"no failure after {n} live sessions")
    """
)


def main() -> None:
    # A separate process: the failure may leave the engine unusable.
    probe = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120)
    print("bare durable-rules, state never deleted:", (probe.stdout or probe.stderr).strip().splitlines()[-1])

    from decision.engine.walk import Engine
    from decision.inputs.profiles import DomainProfile
    from decision.inputs.rulebook import load_rulebook, shipped_data_dir
    from decision.model.result import ScoreValue

    engine = Engine(load_rulebook(shipped_data_dir("rules")))
    names = ["economic", "innovation", "technology", "science", "opportunity", "transition", "feasibility"]
    count = 20_000
    started = time.perf_counter()
    for i in range(count):
        scores = {name: ScoreValue(value=float((i + k) % 6)) for k, name in enumerate(names)}
        engine.classify(DomainProfile(id=f"p{i}", name="p", file="-", line=1, scores=scores))
    elapsed = time.perf_counter() - started
    print(f"decision Engine: {count} profiles in one process, {elapsed:.1f} s ({count / elapsed:.0f} profiles/s)")


if __name__ == "__main__":
    main()
