"""Fuzzing every kind of input with the seeded mutator of tests/fuzzing.py: each mutant is
accepted or refused with one of the project's errors, never a crash.

Small here (a few hundred documents, a few seconds) so it runs in every test run; the
large run, with crash rates, is `python benchmarks/fuzz_inputs.py`.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from decision.errors import DecisionError
from decision.inputs.profiles import load_profiles
from decision.inputs.rulebook import load_rulebook
from tests.conftest import DOMAINS_DIR, REPO, RULES_DIR
from tests.fuzzing import corrupt_bytes, crashes, mutants

PROFILES = [DOMAINS_DIR / "biotech.yaml", DOMAINS_DIR / "technologies" / "semiconductors.yaml"]
RULE_FILES = ["tree.yaml", "thresholds.yaml", "criteria.yaml", "indicators.yaml", "readings/feasibility-demotes.yaml"]


def _writer(path: Path):
    def write(text: str) -> Path:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        return path

    return write


@pytest.mark.parametrize("source", PROFILES, ids=lambda p: p.stem)
def test_mutated_profiles_never_crash_the_loader(rulebook, tmp_path, source):
    write = _writer(tmp_path / source.name)
    documents = mutants(source.read_text(encoding="utf-8"), 150, seed=13)
    assert crashes(lambda text: load_profiles([write(text)], rulebook), documents, (DecisionError,)) == []


@pytest.mark.parametrize("name", RULE_FILES)
def test_mutated_rules_never_crash_the_loader(tmp_path, name):
    folder = tmp_path / "rules"
    shutil.copytree(RULES_DIR, folder)
    write = _writer(folder / name)
    documents = mutants((RULES_DIR / name).read_text(encoding="utf-8"), 6, seed=17)
    readings = ["feasibility-demotes"] if name.startswith("readings/") else []
    assert crashes(lambda text: _rules(folder, write, text, readings), documents, (DecisionError,)) == []


def _rules(folder: Path, write, text: str, readings: list[str]):
    write(text)
    return load_rulebook(folder, readings)


@pytest.mark.parametrize("sheet", ["an.yaml", "bram.csv"])
def test_mutated_sheets_never_crash_the_loader(rulebook, tmp_path, sheet):
    from decision.inputs.sheets import load_sheets

    folder = tmp_path / "sheets"
    folder.mkdir()
    write = _writer(folder / sheet)
    ids = [p.id for p in load_profiles([DOMAINS_DIR], rulebook)]
    documents = mutants((REPO / "examples" / "workshop-sheets" / sheet).read_text(encoding="utf-8"), 100, seed=19)
    assert crashes(lambda text: (write(text), load_sheets(folder, rulebook, ids)), documents, (DecisionError,)) == []


def test_mutated_import_mappings_never_crash_the_loader(rulebook, tmp_path):
    from decision.inputs.table_import import load_mapping

    write = _writer(tmp_path / "mapping.yaml")
    documents = mutants(
        (REPO / "docs" / "examples" / "ceps-import-mapping.yaml").read_text(encoding="utf-8"), 100, seed=23
    )
    assert crashes(lambda text: load_mapping(write(text), rulebook), documents, (DecisionError,)) == []


def test_mutated_count_tables_never_crash_the_reader(tmp_path):
    from decision.inputs.count_table import read_counts

    write = _writer(tmp_path / "counts.csv")
    documents = mutants((REPO / "docs" / "examples" / "technology-counts.csv").read_text(encoding="utf-8"), 60, seed=29)
    assert crashes(lambda text: read_counts(write(text)), documents, (DecisionError,)) == []


def test_corrupted_audit_stores_are_refused_in_words(rulebook, tmp_path):
    from decision.audit.store import open_store
    from tests.test_audit import classify_content

    store = tmp_path / "audit.sqlite"
    for _ in range(2):
        content, blobs = classify_content(rulebook, by="fuzz")
        with open_store(store, create=True) as audit:
            audit.append(content, blobs)
    original = store.read_bytes()
    chooser = random.Random(31)
    found = []
    for attempt in range(40):
        broken = tmp_path / f"broken-{attempt}.sqlite"
        broken.write_bytes(corrupt_bytes(original, chooser, flips=chooser.choice([1, 4, 16])))
        try:
            with open_store(broken) as audit:
                audit.check_chain()
                for run_id in audit.run_ids():
                    record = audit.get(run_id)  # reads and validates the run's results as well
                    for sha in record.result_hashes:
                        audit.stored_result(sha)
        except DecisionError:
            continue
        except Exception as exc:
            found.append(f"attempt {attempt}: {type(exc).__name__}: {str(exc)[:200]}")
    assert found == []
