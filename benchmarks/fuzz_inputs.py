"""The large fuzz run: many mutants of every kind of input, with the crash rate of each.

The same seeded mutator as tests/test_fuzz_inputs.py (tests/fuzzing.py), at a size the
test run cannot afford. A crash is anything raised other than the project's own errors;
each one is printed with how the document was made, so it can be replayed.
Run: python benchmarks/fuzz_inputs.py [MUTANTS_PER_FILE] [SEED]
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # for tests.fuzzing

from decision.errors import DecisionError  # noqa: E402
from decision.inputs.profiles import load_profiles  # noqa: E402
from decision.inputs.rulebook import load_rulebook  # noqa: E402
from decision.inputs.sheets import load_sheets  # noqa: E402
from decision.inputs.table_import import load_mapping  # noqa: E402
from tests.fuzzing import crashes, mutants  # noqa: E402


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    rules_dir = REPO / "rules"
    rulebook = load_rulebook(rules_dir)
    ids = [p.id for p in load_profiles([REPO / "domains"], rulebook)]
    total_docs = total_crashes = 0
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        rules_copy = folder / "rules"
        shutil.copytree(rules_dir, rules_copy)
        sheets = folder / "sheets"
        sheets.mkdir()

        def profile(text: str, path=folder / "p.yaml"):
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
            return load_profiles([path], rulebook)

        def rules(name: str):
            def check(text: str):
                (rules_copy / name).write_text(text, encoding="utf-8", errors="surrogatepass")
                return load_rulebook(rules_copy)

            return check

        def sheet(text: str, path=sheets / "an.yaml"):
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
            return load_sheets(sheets, rulebook, ids)

        def mapping(text: str, path=folder / "m.yaml"):
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
            return load_mapping(path, rulebook)

        cases = [(f"profile {p.name}", profile, p, count) for p in sorted((REPO / "domains").glob("*.yaml"))[:4]] + [
            (
                "profile technologies/semiconductors.yaml",
                profile,
                REPO / "domains/technologies/semiconductors.yaml",
                count,
            ),
            ("sheet an.yaml", sheet, REPO / "examples/workshop-sheets/an.yaml", count),
            ("import mapping", mapping, REPO / "docs/examples/ceps-import-mapping.yaml", count),
        ]
        cases += [
            (f"rules {n}", rules(n), rules_dir / n, max(1, count // 20)) for n in ("tree.yaml", "thresholds.yaml")
        ]
        for label, check, source, size in cases:
            start = time.perf_counter()
            documents = mutants(source.read_text(encoding="utf-8"), size, seed)
            found = crashes(check, documents, (DecisionError,))
            if label.startswith("rules"):
                shutil.copy(source, rules_copy / source.name)
            total_docs += size
            total_crashes += len(found)
            print(f"{label}: {size} mutants, {len(found)} crashes ({time.perf_counter() - start:.1f} s)")
            for line in found[:5]:
                print(f"  {line}")
    print(f"all: {total_docs} mutants, {total_crashes} crashes ({100 * total_crashes / total_docs:.2f}%)")


if __name__ == "__main__":
    main()
