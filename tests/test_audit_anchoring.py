"""Self-contained records and anchored history: replay after the files are gone, every
kind of tampering (with and without a checkpoint), signatures, one-domain proofs, export,
old stores, concurrent writers and killed writers.

Every store and file lives under tmp_path; tampering goes through sqlite3 directly, as an
attacker holding the file would, and restores the guard triggers afterwards.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from decision.audit import merkle
from decision.audit.store import GENESIS_HASH, canonical_json, chain_hash, open_store, run_content
from decision.engine.walk import classify_all
from decision.inputs.profiles import load_profiles
from tests.conftest import DOMAINS_DIR, REPO
from tests.test_audit import _classify, _db, _restore_guards, _rewritten_content, _set_score, _writer


@pytest.fixture
def workspace(tmp_path):
    shutil.copytree(DOMAINS_DIR, tmp_path / "domains")
    shutil.copytree(REPO / "rules", tmp_path / "rules")
    shutil.copytree(REPO / "examples" / "workshop-sheets", tmp_path / "sheets")
    return tmp_path


@pytest.fixture
def cli(run_cli, workspace):
    def run(*args: str, cwd: Path | None = None):
        return run_cli(*args, cwd=cwd or workspace)

    return run


def _store(workspace: Path) -> Path:
    return workspace / "audit.sqlite"


def _recompute_chain(path: Path, start: int) -> None:
    """Recompute every hash from run ``start`` on and the meta head, as the recipe in the
    module docstring says: the chain alone then holds."""
    db = _db(path)
    rows = db.execute("SELECT run_id, content FROM runs ORDER BY run_id").fetchall()
    prev = GENESIS_HASH
    for run_id, content in rows:
        if run_id >= start:
            digest = chain_hash(prev, content)
            db.execute("UPDATE runs SET prev_hash = ?, hash = ? WHERE run_id = ?", (prev, digest, run_id))
        prev = db.execute("SELECT hash FROM runs WHERE run_id = ?", (run_id,)).fetchone()[0]
    db.execute("UPDATE meta SET value = ? WHERE key = 'last_hash'", (prev,))
    db.execute("UPDATE meta SET value = ? WHERE key = 'last_run'", (str(rows[-1][0]),))
    db.close()
    _restore_guards(path)


def _checkpoint(cli, name: str = "cp.txt", *extra: str):
    result = cli("audit", "checkpoint", "--store", "audit.sqlite", "--out", name, *extra)
    assert result.exit_code == 0, result.stderr
    return result


# ----------------------------------------------------------------------------- replay


def test_replay_needs_neither_the_files_nor_the_folder(cli, workspace, run_cli, tmp_path_factory):
    _classify(cli, "--threshold", "science=4.5")
    assert (
        cli(
            "whatif",
            "semiconductors",
            "domains",
            "--rules",
            "rules",
            "--set",
            "economic=4",
            "--record",
            "--store",
            "audit.sqlite",
        ).exit_code
        == 0
    )
    workshop = cli(
        "workshop", "--sheets", "sheets", "domains", "--rules", "rules", "--record", "--store", "audit.sqlite"
    )
    assert workshop.exit_code == 0, workshop.stderr
    # Months later: the profiles, rules and sheets are gone, and the store sits elsewhere.
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    shutil.move(str(_store(workspace)), elsewhere / "audit.sqlite")
    for folder in ("domains", "rules", "sheets"):
        shutil.rmtree(workspace / folder)
    result = run_cli("audit", "verify", "--store", "audit.sqlite", cwd=elsewhere)
    assert result.exit_code == 0, result.stdout
    assert result.stdout.count("reproduced from its stored inputs") == 3
    assert "domains/semiconductors.yaml is gone" in result.stdout
    assert "the files now cannot be run" in result.stdout
    assert "verify passed: chain intact, 3 runs reproduced" in result.stdout


def test_a_record_that_does_not_reproduce_from_its_own_inputs_fails(cli, workspace):
    _classify(cli)
    _classify(cli)
    db = _db(_store(workspace))
    db.execute("UPDATE runs SET content = ? WHERE run_id = 2", (_rewritten_content(db, 2),))
    db.close()
    _recompute_chain(_store(workspace), 2)
    result = cli("audit", "verify", "--store", "audit.sqlite")
    # The chain was recomputed, so it holds; the replay from the run's stored inputs does not.
    assert "chain: intact" in result.stdout
    assert result.exit_code == 1
    assert "it-programming: recorded strong (VL06), the replay gives moonshot (VL06)" in result.stdout
    assert "verify FAILED: outcomes not reproduced in run(s) 2" in result.stderr


def test_identical_runs_are_replayed_once(workspace, monkeypatch, cli):
    from decision.audit import replay

    for _ in range(4):
        _classify(cli)
    calls = []
    real = replay._replay_stored
    monkeypatch.setattr(
        replay, "_replay_stored", lambda store, record: calls.append(record.run_id) or real(store, record)
    )
    with open_store(_store(workspace)) as store:
        replayer = replay.Replayer(store)
        reports = [replayer.reproduce(r) for r in store.records()]
    assert [r.status for r in reports] == ["reproduced"] * 4
    assert calls == [1]


def test_unchanged_files_are_stored_once(cli, workspace):
    _classify(cli)
    with sqlite3.connect(_store(workspace)) as db:
        blobs_after_one = db.execute("SELECT COUNT(*) FROM blobs").fetchone()[0]
    _classify(cli)
    _classify(cli)
    with sqlite3.connect(_store(workspace)) as db:
        assert db.execute("SELECT COUNT(*) FROM blobs").fetchone()[0] == blobs_after_one
    _set_score(workspace / "domains" / "semiconductors.yaml", "economic", 4)
    _classify(cli)
    with sqlite3.connect(_store(workspace)) as db:
        # The edited profile, its new result, the new manifest and the new results list.
        assert db.execute("SELECT COUNT(*) FROM blobs").fetchone()[0] == blobs_after_one + 4


# ----------------------------------------------------------------------------- checkpoints


def test_a_rewritten_history_passes_without_a_checkpoint_and_fails_with_one(cli, workspace):
    for _ in range(3):
        _classify(cli)
    _checkpoint(cli)
    # Rewrite who made run 2 (a history that never happened, yet one that replays) and
    # recompute every hash after it.
    db = _db(_store(workspace))
    (original,) = db.execute("SELECT content FROM runs WHERE run_id = 2").fetchone()
    data = json.loads(original)
    data["by"] = "mallory"
    db.execute("UPDATE runs SET content = ?, run_by = 'mallory' WHERE run_id = 2", (canonical_json(data),))
    db.close()
    _recompute_chain(_store(workspace), 2)
    # The documented limit: the chain and the replay alone cannot see it.
    alone = cli("audit", "verify", "--store", "audit.sqlite")
    assert alone.exit_code == 0, alone.stdout
    assert "(not anchored: see `decision audit checkpoint`)" in alone.stdout
    anchored = cli("audit", "verify", "--store", "audit.sqlite", "--checkpoint", "cp.txt")
    assert anchored.exit_code == 1
    assert "checkpoint cp.txt: NOT EXTENDED" in anchored.stdout
    assert "a run before the checkpoint was rewritten, or the store forked" in anchored.stdout
    assert "the store does not extend the checkpoint" in anchored.stderr


def test_appending_after_a_checkpoint_passes(cli, workspace):
    _classify(cli)
    _classify(cli)
    _checkpoint(cli)
    _classify(cli)
    result = cli("audit", "verify", "--store", "audit.sqlite", "--checkpoint", "cp.txt")
    assert result.exit_code == 0, result.stdout
    assert "extended; runs 1-2 unchanged" in result.stdout and "1 run appended since" in result.stdout
    text = (workspace / "cp.txt").read_text()
    assert text.splitlines()[0] == "decision audit checkpoint 1" and "\nruns 2\n" in text


def test_a_truncated_store_fails_against_its_checkpoint(cli, workspace):
    for _ in range(3):
        _classify(cli)
    _checkpoint(cli)
    db = _db(_store(workspace))
    db.execute("DELETE FROM runs WHERE run_id = 3")
    db.close()
    _recompute_chain(_store(workspace), 1)  # meta made to agree: the chain alone holds
    assert cli("audit", "verify", "--store", "audit.sqlite", "--chain-only").exit_code == 0
    result = cli("audit", "verify", "--store", "audit.sqlite", "--checkpoint", "cp.txt")
    assert result.exit_code == 1
    assert "the checkpoint counts 3 runs, the store holds 2 (truncated)" in result.stdout


def test_a_forked_store_fails_against_the_other_branch(cli, workspace):
    _classify(cli)
    shutil.copy(_store(workspace), workspace / "fork.sqlite")
    _classify(cli)
    _checkpoint(cli)
    assert (
        cli(
            "classify",
            "domains",
            "--rules",
            "rules",
            "--record",
            "--store",
            "fork.sqlite",
            "--threshold",
            "science=4.5",
        ).exit_code
        == 0
    )
    result = cli("audit", "verify", "--store", "fork.sqlite", "--checkpoint", "cp.txt")
    assert result.exit_code == 1
    assert "run 2 has hash" in result.stdout


def test_a_checkpoint_of_another_store_fails(cli, workspace):
    _classify(cli)
    _checkpoint(cli)
    assert cli("classify", "domains", "--rules", "rules", "--record", "--store", "other.sqlite").exit_code == 0
    result = cli("audit", "verify", "--store", "other.sqlite", "--checkpoint", "cp.txt")
    assert result.exit_code == 1
    assert "the checkpoint is of store" in result.stdout


def test_signed_checkpoints_and_forged_signatures(cli, workspace):
    _classify(cli)
    keygen = cli("audit", "keygen", "--out", "key")
    assert keygen.exit_code == 0, keygen.stderr
    assert (workspace / "key").stat().st_mode & 0o777 == 0o600
    assert (workspace / "key.pub").read_text().startswith("ed25519 ")
    assert cli("audit", "keygen", "--out", "key").exit_code == 2  # never overwritten without --force
    _checkpoint(cli, "signed.txt", "--key", "key")
    good = cli("audit", "verify", "--store", "audit.sqlite", "--checkpoint", "signed.txt", "--public-key", "key.pub")
    assert good.exit_code == 0, good.stdout
    assert "signature by key" in good.stdout and "checked" in good.stdout
    # A forged line: the run count claims one more run was anchored.
    text = (workspace / "signed.txt").read_text()
    (workspace / "forged.txt").write_text(text.replace("\nruns 1\n", "\nruns 0\n"))
    forged = cli("audit", "verify", "--store", "audit.sqlite", "--checkpoint", "forged.txt", "--public-key", "key.pub")
    assert forged.exit_code == 1
    assert "the signature does not match its lines (forged or edited)" in forged.stdout
    # Another key: signed, but not by the key the auditor trusts.
    assert cli("audit", "keygen", "--out", "other").exit_code == 0
    wrong = cli("audit", "verify", "--store", "audit.sqlite", "--checkpoint", "signed.txt", "--public-key", "other.pub")
    assert wrong.exit_code == 1 and "not by the given key" in wrong.stdout
    unsigned_with_key = _checkpoint(cli, "plain.txt")
    assert unsigned_with_key.exit_code == 0
    plain = cli("audit", "verify", "--store", "audit.sqlite", "--checkpoint", "plain.txt", "--public-key", "key.pub")
    assert plain.exit_code == 1 and "not signed" in plain.stdout


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hello\n", "not a decision audit checkpoint"),
        ("decision audit checkpoint 1\nstore x\nruns many\nhead a\nroot b\ntime t\n", "runs: not a count"),
        ("decision audit checkpoint 1\nstore x\nruns 1\n", "missing head, root, time"),
    ],
)
def test_a_bad_checkpoint_file_is_one_line_and_exit_2(cli, workspace, text, message):
    _classify(cli)
    (workspace / "bad.txt").write_text(text)
    result = cli("audit", "verify", "--store", "audit.sqlite", "--checkpoint", "bad.txt")
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.splitlines()) == 1


# ----------------------------------------------------------------------------- proofs


def test_one_domain_proven_without_the_store(cli, workspace, tmp_path_factory):
    for _ in range(3):
        _classify(cli)
    _checkpoint(cli)
    assert (
        cli(
            "audit",
            "prove",
            "2",
            "semiconductors",
            "--checkpoint",
            "cp.txt",
            "--out",
            "proof.json",
            "--store",
            "audit.sqlite",
        ).exit_code
        == 0
    )
    proof = json.loads((workspace / "proof.json").read_text())
    # Of the other domains the proof holds hashes only.
    text = (workspace / "proof.json").read_text()
    assert "it-programming" not in text and "pharma" not in text
    # The federation holds the proof and its own copy of the checkpoint, not the store.
    federation = tmp_path_factory.mktemp("federation")
    shutil.copy(workspace / "proof.json", federation)
    shutil.copy(workspace / "cp.txt", federation)
    checked = cli("audit", "check-proof", "proof.json", "--checkpoint", "cp.txt", cwd=federation)
    assert checked.exit_code == 0, checked.stderr
    assert "proof holds: run 2 recorded semiconductors as ecosystem-gap (VL05)" in checked.stdout
    assert "run 2 is in the checkpoint's 3 runs" in checked.stdout
    # An edited outcome in the proof breaks it.
    proof["result"]["category"] = "strong"
    (federation / "edited.json").write_text(json.dumps(proof))
    edited = cli("audit", "check-proof", "edited.json", "--checkpoint", "cp.txt", cwd=federation)
    assert edited.exit_code == 1 and "the result does not hash to result_sha256 (edited)" in edited.stderr
    # So does a proof checked against another checkpoint.
    _classify(cli)
    _checkpoint(cli, "later.txt")
    shutil.copy(workspace / "later.txt", federation)
    other = cli("audit", "check-proof", "proof.json", "--checkpoint", "later.txt", cwd=federation)
    assert other.exit_code == 1 and "this one counts 4" in other.stderr


def test_merkle_inclusion_proofs_hold_for_every_leaf_and_no_other():
    leaves = [bytes([i]) * 32 for i in range(13)]
    for size in range(1, 14):
        root = merkle.root(leaves[:size])
        for index in range(size):
            path = merkle.inclusion_proof(leaves[:size], index)
            assert merkle.root_from_proof(leaves[index], index, size, path) == root
            if size > 1:
                assert merkle.root_from_proof(leaves[(index + 1) % size], index, size, path) != root
    # The root of a prefix does not change when leaves are appended to the tree.
    assert merkle.root(leaves[:8]) == merkle.root(leaves[:8])


# ----------------------------------------------------------------------------- inputs, export


def test_show_inputs_and_export_rerun_exactly_what_was_decided(cli, workspace):
    _classify(cli, "--threshold", "science=4.5")
    shown = cli("audit", "show", "1", "--inputs", "--store", "audit.sqlite")
    assert shown.exit_code == 0, shown.stderr
    assert "Run 1 stored 21 input files" in shown.stdout  # 12 profiles, 9 rules files
    assert "profile  domains/semiconductors.yaml  sha256 " in shown.stdout
    assert "--threshold science=4.5" in shown.stdout
    _set_score(workspace / "domains" / "semiconductors.yaml", "economic", 4)  # edited since
    exported = cli("audit", "export", "1", "--out", "run1", "--store", "audit.sqlite")
    assert exported.exit_code == 0, exported.stderr
    assert (workspace / "run1" / "rules" / "tree.yaml").is_file()
    rerun = (workspace / "run1" / "RERUN.txt").read_text()
    assert "  decision classify domains --threshold science=4.5 --rules rules\n" in rerun
    assert cli("audit", "export", "1", "--out", "run1", "--store", "audit.sqlite").exit_code == 2
    again = cli(
        "classify", "domains", "--rules", "rules", "--threshold", "science=4.5", "-f", "json", cwd=workspace / "run1"
    )
    assert again.exit_code == 0, again.stderr
    with open_store(_store(workspace)) as store:
        recorded = {r.id: (r.category, r.variant) for r in store.get(1).results}
    assert {r["id"]: (r["category"], r["variant"]) for r in json.loads(again.stdout)} == recorded


def test_reports_are_bound_to_their_record(cli, workspace):
    result = cli("report", "domains", "--rules", "rules", "--out", "report.md", "--record", "--store", "audit.sqlite")
    assert result.exit_code == 0, result.stderr
    with open_store(_store(workspace)) as store:
        record = store.get(1)
    text = (workspace / "report.md").read_text()
    assert f"run 1 in audit.sqlite, record hash {record.hash}" in text
    assert "**checkpoint:** checkpoint of store " in text and "1 runs, head " in text
    html = cli("report", "domains", "--rules", "rules", "--out", "report.html", "--record", "--store", "audit.sqlite")
    assert html.exit_code == 0
    assert "run 2 in audit.sqlite, record hash" in (workspace / "report.html").read_text()
    md = cli("classify", "domains", "--rules", "rules", "-f", "markdown", "--record", "--store", "audit.sqlite")
    assert "run 3 in audit.sqlite, record hash" in md.stdout
    verify = cli("audit", "verify", "--store", "audit.sqlite")
    assert verify.exit_code == 0, verify.stdout


# ----------------------------------------------------------------------------- consistency


def test_a_result_whose_category_and_leaf_disagree_is_flagged(cli, workspace, rulebook, monkeypatch):
    from decision.analyses.margins import with_fragility

    monkeypatch.chdir(workspace)
    profiles = load_profiles([Path("domains")], rulebook)
    results = with_fragility(rulebook, profiles, classify_all(profiles, rulebook))
    index = next(i for i, r in enumerate(results) if r.leaf is not None and r.category != "moonshot")
    bad = results[index].model_copy(update={"category": "moonshot"})
    results[index] = bad
    content, blobs = run_content(
        command="classify", args=[], params={}, rulebook=rulebook, profiles=profiles, results=results, by="x"
    )
    with open_store(_store(workspace), create=True) as store:
        store.append(content, blobs)
    result = cli("audit", "verify", "--store", "audit.sqlite")
    assert result.exit_code == 1
    assert f"INCONSISTENT: {bad.id}: category moonshot, but its leaf {bad.leaf.code} gives" in result.stdout


def test_missing_guard_triggers_are_reported(cli, workspace):
    _classify(cli)
    db = sqlite3.connect(_store(workspace), isolation_level=None)
    db.execute("DROP TRIGGER blobs_no_delete")
    db.close()
    result = cli("audit", "verify", "--store", "audit.sqlite", "--chain-only")
    assert result.exit_code == 1
    assert "store: the guard triggers blobs_no_delete are missing" in result.stdout
    assert "chain broken at the store itself" in result.stderr


def test_an_edited_blob_is_caught(cli, workspace):
    import zlib

    _classify(cli)
    db = _db(_store(workspace))
    db.execute("DROP TRIGGER blobs_no_update")
    (sha, content) = db.execute("SELECT sha256, content FROM blobs WHERE size > 1000 LIMIT 1").fetchone()
    edited = zlib.decompress(content).replace(b"economic", b"economix")
    db.execute("UPDATE blobs SET content = ? WHERE sha256 = ?", (zlib.compress(edited), sha))
    db.close()
    _restore_guards(_store(workspace))
    result = cli("audit", "verify", "--store", "audit.sqlite", "--chain-only")
    assert result.exit_code == 1
    assert "does not match its hash (edited)" in result.stdout


# ----------------------------------------------------------------------------- old stores


def _schema_one_store(path: Path, workspace: Path, rulebook) -> None:
    """A store as the previous version wrote it: schema 1, results inline, files by hash."""
    from decision.audit.store import _SCHEMA, file_sha256

    db = sqlite3.connect(path, isolation_level=None)
    for statement in _SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)
    from decision.analyses.margins import with_fragility

    profiles = load_profiles([Path("domains")], rulebook)
    results = with_fragility(rulebook, profiles, classify_all(profiles, rulebook))
    content = {
        "run_id": 1,
        "created_at": "2026-11-23T10:00:00.000000Z",
        "by": "alice",
        "command": "classify",
        "args": ["domains", "--rules", "rules"],
        "params": {"paths": ["domains"], "rules": "rules"},
        "tool_version": "0.1.0",
        "cwd": str(workspace),
        "inputs": [{"path": str(workspace / p.file), "sha256": file_sha256(workspace / p.file)} for p in profiles],
        "rules": [{"path": str(workspace / "rules" / n), "sha256": d} for n, d in rulebook.file_digests.items()],
        "rules_dir": str(workspace / "rules"),
        "thresholds": {
            n: {
                "value": t.value,
                "op": t.op,
                "origin": t.origin,
                "meaning": t.meaning,
                "interpretation": t.interpretation,
            }
            for n, t in rulebook.thresholds.items()
        },
        "results": [r.model_dump(mode="json", exclude={"engine"}) for r in results],
        "hypothetical": [],
        "sheets": [],
        "sheets_dir": None,
    }
    text = canonical_json(content)
    digest = chain_hash(GENESIS_HASH, text)
    db.execute(
        "INSERT INTO runs VALUES (1, ?, 'alice', 'classify', ?, ?, ?)",
        (content["created_at"], text, GENESIS_HASH, digest),
    )
    db.executemany(
        "INSERT INTO meta VALUES (?, ?)",
        [
            ("application", "decision-audit"),
            ("schema_version", "1"),
            ("created_at", "2026-11-23T09:00:00Z"),
            ("created_by_tool", "decision 0.1.0"),
            ("last_run", "1"),
            ("last_hash", digest),
        ],
    )
    db.execute("PRAGMA user_version = 1")
    db.close()


def test_a_schema_one_store_is_read_then_migrated(cli, workspace, monkeypatch):
    from decision.inputs.rulebook import load_rulebook

    monkeypatch.chdir(workspace)
    rules = load_rulebook(workspace / "rules")
    _schema_one_store(_store(workspace), workspace, rules)
    before = _store(workspace).read_bytes()
    log = cli("audit", "log", "--store", "audit.sqlite")
    assert log.exit_code == 0, log.stderr
    old = cli("audit", "verify", "--store", "audit.sqlite")
    assert old.exit_code == 0, old.stdout
    assert "reproduced on the files now (schema 1 record)" in old.stdout
    assert _store(workspace).read_bytes() == before  # reading never migrates
    _classify(cli)  # recording migrates in place
    with sqlite3.connect(_store(workspace)) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2
    after = cli("audit", "verify", "--store", "audit.sqlite")
    assert after.exit_code == 0, after.stdout
    assert "run 1 (classify" in after.stdout and "run 2 (classify" in after.stdout
    assert "reproduced from its stored inputs" in after.stdout


# ----------------------------------------------------------------------------- concurrency, faults


@pytest.mark.slow
def test_eight_writers_ten_runs_each(tmp_path, rulebook):
    from tests.test_audit import classify_content

    content, blobs = classify_content(rulebook, by="w")
    path = str(tmp_path / "audit.sqlite")
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    names = [f"w{i}" for i in range(8)]
    writers = [context.Process(target=_writer, args=(path, {**content, "by": n}, blobs, 10, start)) for n in names]
    for writer in writers:
        writer.start()
    start.set()
    for writer in writers:
        writer.join(180)
        assert writer.exitcode == 0
    with open_store(path) as store:
        records = store.records()
        assert store.check_chain().ok
    assert [r.run_id for r in records] == list(range(1, 81))
    assert sorted(r.by for r in records) == sorted(f"{n}-{i}" for n in names for i in range(10))


KILLED_WRITER = """
import sys
from decision.audit.store import open_store
path, content_file = sys.argv[1], sys.argv[2]
import json
content, blobs = json.load(open(content_file))
blobs = {k: bytes.fromhex(v) for k, v in blobs.items()}
n = 0
while True:
    n += 1
    # A fresh blob each run, large enough that the writing transaction takes a while.
    extra = (str(n) * 200000).encode()
    import hashlib
    sha = hashlib.sha256(extra).hexdigest()
    with open_store(path, create=True) as store:
        store.append({**content, "params": {"n": n, "extra": sha}}, {**blobs, sha: extra})
"""


@pytest.mark.slow
def test_a_writer_killed_at_any_moment_leaves_a_store_that_opens_and_verifies(tmp_path, rulebook, run_cli):
    profiles = load_profiles([DOMAINS_DIR], rulebook)
    content, blobs = run_content(
        command="classify",
        args=[],
        params={},
        rulebook=rulebook,
        profiles=profiles,
        results=classify_all(profiles, rulebook),
        by="k",
    )
    content_file = tmp_path / "content.json"
    content_file.write_text(json.dumps([content, {k: v.hex() for k, v in blobs.items()}]))
    script = tmp_path / "writer.py"
    script.write_text(KILLED_WRITER)
    path = tmp_path / "audit.sqlite"
    counts = []
    for attempt in range(6):
        writer = subprocess.Popen([sys.executable, str(script), str(path), str(content_file)], cwd=REPO)
        time.sleep(0.4 + 0.13 * attempt)
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        # A read-only command right after the kill: it must open, and the chain must hold.
        result = run_cli("audit", "verify", "--chain-only", "--store", str(path), cwd=tmp_path)
        assert result.exit_code == 0, (attempt, result.stdout, result.stderr)
        with open_store(path) as store:
            records = store.records()  # every run present is complete: its blobs all load
            counts.append(len(records))
            assert [r.run_id for r in records] == list(range(1, len(records) + 1))
    assert counts == sorted(counts) and counts[-1] > 0
