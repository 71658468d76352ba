"""Exact robustness against Monte Carlo draws, on the 38 technologies and the 12 sectors.

Every present score of every shipped profile (domains/technologies/ and domains/) is given
a range of +-0.5 within the scale, uniform, so that every score of every domain is
uncertain (the worst case for both methods). In one run this prints:
- the median wall time (of REPEATS runs, in-process, after one warm-up) of the exact
  computation (decision.analyses.robustness.run_exact) for all 50 domains, its cache of
  one-dimensional comparisons emptied before every run;
- the same for 10,000 seeded draws per domain (run_robustness), the default of
  ``decision robustness --method monte-carlo``;
- their ratio;
- the largest difference between a drawn share and the exact one, next to the 95% margin
  the draws state for one share (the exact shares have no sampling error; the largest of
  many drawn errors may well exceed the margin of one).

Run: python benchmarks/robustness_exact.py [REPEATS] [DRAWS]
"""

from __future__ import annotations

import statistics
import sys
import time

from decision.analyses.exact_shares import compare
from decision.analyses.robustness import DomainInputs, Variation, domain_inputs, run_exact, run_robustness
from decision.inputs.profiles import load_profiles
from decision.inputs.rulebook import load_rulebook, shipped_data_dir

SPREAD = 0.5


def ranged_inputs(rulebook) -> list[DomainInputs]:
    """The shipped technologies and sectors, every present score uncertain by +-SPREAD."""
    domains = shipped_data_dir("domains")
    profiles = load_profiles([domains / "technologies", domains], rulebook)
    inputs = []
    for domain in domain_inputs(profiles, rulebook):
        variations = []
        for name, value in domain.values.items():
            if value == value:  # NaN (missing) stays missing
                low, high = max(rulebook.scale.min, value - SPREAD), min(rulebook.scale.max, value + SPREAD)
                variations.append(Variation(name, "range", value, low, high, "uniform"))
        inputs.append(DomainInputs(domain.id, domain.name, domain.values, tuple(variations)))
    return inputs


def median_time(run, repeats: int) -> tuple[float, object]:
    result = run()  # warm-up: imports and first numpy calls are not the method's cost
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = run()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), result


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    draws = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    rulebook = load_rulebook(shipped_data_dir("rules"))
    inputs = ranged_inputs(rulebook)
    kinds = f"{len(inputs)} domains, {sum(len(d.variations) for d in inputs)} uncertain scores (+-{SPREAD:g}, uniform)"

    def exact_cold():
        compare.cache_clear()  # each run computes every comparison afresh, as a new process would
        return run_exact(inputs, rulebook)

    exact_time, exact = median_time(exact_cold, repeats)
    drawn_time, drawn = median_time(lambda: run_robustness(inputs, rulebook, draws=draws, seed=0), repeats)
    print(f"exact robustness (run_exact): {exact_time * 1000:.1f} ms median of {repeats}  ({kinds})")
    print(f"monte carlo, {draws:,} draws per domain (run_robustness): {drawn_time * 1000:.1f} ms median of {repeats}")
    print(f"ratio monte carlo / exact: {drawn_time / exact_time:.1f}x")

    worst, compared = 0.0, 0
    for one, other in zip(exact.domains, drawn.domains, strict=True):
        for label in set(one.outcomes) | set(other.outcomes):
            worst = max(worst, abs(one.share(label) - other.share(label)))
            compared += 1
    boxes = sum(1 for d in exact.domains if d.method == "exact")
    print(
        f"largest |drawn share - exact share| of {compared} shares: {100 * worst:.2f} points "
        f"(95% margin of one drawn share: +-{100 * drawn.margin:.2f}); {boxes} of {len(inputs)} domains exact"
    )


if __name__ == "__main__":
    main()
