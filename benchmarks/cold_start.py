"""Cold-process wall time of `decision classify` on the shipped domains.

Prints the median of several runs, next to the floor set by importing the runtime
dependencies alone, and their ratio; and the floor with pydantic's first real use, which
the plain floor leaves out (``import pydantic`` is lazy). With other installs' `decision` executables after
the run count, runs them interleaved with this one (one run of each in turn), so that a
busy machine slows all of them alike:

    python benchmarks/cold_start.py [RUNS] [OTHER_DECISION ...]
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time


def wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    decision = shutil.which("decision") or sys.exit("install the project first: pip install .")
    executables = [decision, *sys.argv[2:]]
    floor_imports = "import typer, rich.console, pydantic, yaml, durable.engine"
    commands = {
        "floor": [sys.executable, "-c", floor_imports],
        # `import pydantic` is lazy: the floor loads almost none of it. This is the floor
        # plus pydantic's first real use (one model, one TypeAdapter), which any tool
        # built on pydantic models pays before its own code runs.
        "pydantic": [
            sys.executable,
            "-c",
            f"{floor_imports}\nfrom pydantic import BaseModel, TypeAdapter\n"
            "class M(BaseModel):\n    x: int\nTypeAdapter(int)",
        ],
    }
    for executable in executables:
        commands[f"{executable} classify"] = [executable, "classify"]
        commands[f"{executable} classify --format json"] = [executable, "classify", "--format", "json"]
    timings: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            timings[name].append(wall(command))
    floor = statistics.median(timings["floor"])
    print(f"runs per command: {runs}, interleaved")
    print(f"import floor (typer, rich, pydantic, pyyaml, durable-rules): {floor:.3f} s median")
    pydantic_floor = statistics.median(timings["pydantic"])
    print(f"the floor and pydantic's first use: {pydantic_floor:.3f} s median  ({pydantic_floor / floor:.2f}x floor)")
    for name, values in timings.items():
        if name not in ("floor", "pydantic"):
            median = statistics.median(values)
            print(f"{name}: {median:.3f} s median  ({median / floor:.2f}x floor)")


if __name__ == "__main__":
    main()
