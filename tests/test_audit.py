"""The audit trail: ``--record``, ``decision audit log|show|verify`` and the store's library API.

Every store, profile and rules folder lives under tmp_path; tampering goes through
sqlite3 directly, as an attacker with the file would.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import multiprocessing
import shutil
import sqlite3
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

import pytest

from decision.audit.store import (
    DEFAULT_STORE,
    GENESIS_HASH,
    SCHEMA_VERSION,
    AuditStoreError,
    RunRecord,
    canonical_json,
    chain_hash,
    open_store,
    run_content,
)
from decision.cli.commands import audit as audit_commands
from decision.engine.walk import classify_all
from decision.inputs.profiles import load_profiles
from decision.inputs.rulebook import load_rulebook
from tests.conftest import DOMAINS_DIR, REPO, RULES_DIR

SHEETS_DIR = REPO / "examples" / "workshop-sheets"


@pytest.fixture
def workspace(tmp_path):
    """A working folder with its own copies of the domains, rules and sheets."""
    shutil.copytree(DOMAINS_DIR, tmp_path / "domains")
    shutil.copytree(RULES_DIR, tmp_path / "rules")
    shutil.copytree(SHEETS_DIR, tmp_path / "sheets")
    return tmp_path


@pytest.fixture
def cli(run_cli, workspace):
    """Run the CLI inside the workspace, on its copies (never the repository's files)."""

    def run(*args: str):
        return run_cli(*args, cwd=workspace)

    return run


def _classify(cli, *extra: str, store: str = "audit.sqlite"):
    result = cli("classify", "domains", "--rules", "rules", "--record", "--store", store, *extra)
    assert result.exit_code == 0, result.stderr
    return result


def _db(path: Path) -> sqlite3.Connection:
    """A raw connection with the append-only triggers dropped, to tamper with the file."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("DROP TRIGGER IF EXISTS runs_no_update")
    connection.execute("DROP TRIGGER IF EXISTS runs_no_delete")
    return connection


def _restore_guards(path: Path) -> None:
    """Put the append-only triggers back, as a careful attacker would after editing."""
    from decision.audit.store import _BLOBS, _SCHEMA

    connection = sqlite3.connect(path, isolation_level=None)
    existing = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    for statement in (_SCHEMA + _BLOBS).split(";\n"):
        if "CREATE TRIGGER" in statement and statement.split()[2] not in existing:
            connection.execute(statement.strip() + ";" if not statement.strip().endswith("END") else statement)
    connection.close()


def _set_score(path: Path, score: str, value: float) -> None:
    """Change one score's value in a copied profile (the first `value:` under it)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.strip() == f"{score}:")
    index = next(i for i in range(start, len(lines)) if lines[i].strip().startswith("value:"))
    indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
    lines[index] = f"{indent}value: {value:g}\n"
    path.write_text("".join(lines), encoding="utf-8")


# ----------------------------------------------------------------------------- happy path


def test_record_log_show_verify(cli, workspace):
    first = _classify(cli, "--by", "alice")
    assert first.stderr.strip() == "recorded run 1 in audit.sqlite"
    assert "VARIO classification" in first.stdout
    for args in (
        ("explain", "semiconductors", "domains", "--rules", "rules"),
        ("whatif", "semiconductors", "domains", "--rules", "rules", "--set", "economic=4"),
        ("workshop", "--sheets", "sheets", "domains", "--rules", "rules"),
    ):
        result = cli(*args, "--record", "--store", "audit.sqlite", "--by", "bob")
        assert result.exit_code == 0, result.stderr
    assert result.stderr.strip() == "recorded run 4 in audit.sqlite"

    log = cli("audit", "log", "--store", "audit.sqlite")
    assert log.exit_code == 0, log.stderr
    assert "chain intact: 4 runs" in log.stdout
    rows = [line for line in log.stdout.splitlines() if line.startswith("│") and line.split("│")[1].strip()]
    assert [int(row.split("│")[1]) for row in rows] == [4, 3, 2, 1]  # newest first
    assert "alice" in log.stdout

    log_json = json.loads(cli("audit", "log", "--store", "audit.sqlite", "-f", "json").stdout)
    assert [r["run_id"] for r in log_json["runs"]] == [4, 3, 2, 1]
    assert log_json["chain"]["ok"] is True
    assert log_json["runs"][3]["counts"] == {
        "strong": 2,
        "ecosystem-gap": 4,
        "moonshot": 3,
        "no-focus": 1,
        "undetermined": 2,
    }
    assert log_json["runs"][3]["command_line"] == "decision classify domains --rules rules"
    assert log_json["runs"][0]["command_line"] == "decision workshop domains --sheets sheets --rules rules"
    assert [r["by"] for r in log_json["runs"]] == ["bob", "bob", "bob", "alice"]
    assert {r["chain"] for r in log_json["runs"]} == {"ok"}

    show = cli("audit", "show", "1", "--store", "audit.sqlite")
    assert show.exit_code == 0, show.stderr
    assert "Run 1, recorded" in show.stdout and "by alice" in show.stdout
    assert "thresholds: economic >= 4 (rules)" in show.stdout
    assert "VARIO classification" in show.stdout

    explained = cli("audit", "show", "2", "semiconductors", "--store", "audit.sqlite")
    assert explained.exit_code == 0, explained.stderr
    assert "Recorded in run 2" in explained.stdout
    assert "Semiconductors (semiconductors)" in explained.stdout
    assert "Category: ecosystem-gap" in explained.stdout
    assert "Path through the tree" in explained.stdout

    # The stored result is exactly `explain -f json` of the time.
    stored = json.loads(cli("audit", "show", "2", "semiconductors", "--store", "audit.sqlite", "-f", "json").stdout)
    now = json.loads(cli("explain", "semiconductors", "domains", "--rules", "rules", "-f", "json").stdout)
    assert stored == now

    verify = cli("audit", "verify", "--store", "audit.sqlite")
    assert verify.exit_code == 0, verify.stdout + verify.stderr
    assert "chain: intact, 4 runs" in verify.stdout
    assert "verify passed: chain intact, 4 runs reproduced" in verify.stdout
    for run_id in (1, 2, 3, 4):
        assert f"run {run_id} (" in verify.stdout
    assert "OUTCOMES DIFFER" not in verify.stdout


def test_record_keeps_json_stdout_clean(cli, workspace):
    plain = cli("classify", "domains", "--rules", "rules", "-f", "json")
    recorded = cli("classify", "domains", "--rules", "rules", "-f", "json", "--record", "--store", "audit.sqlite")
    assert recorded.exit_code == 0
    assert recorded.stdout == plain.stdout
    json.loads(recorded.stdout)
    assert recorded.stderr == "recorded run 1 in audit.sqlite\n"


def test_default_store_and_user(cli, workspace):
    result = cli("classify", "domains", "--rules", "rules", "--record")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.strip() == f"recorded run 1 in {DEFAULT_STORE}"
    assert audit_commands.DEFAULT_STORE == DEFAULT_STORE
    with open_store(workspace / DEFAULT_STORE) as store:
        assert store.get(1).by == getpass.getuser()
    assert cli("audit", "log").exit_code == 0  # reads the default store too


def test_store_and_by_need_record(cli, workspace):
    result = cli("classify", "domains", "--rules", "rules", "--store", "audit.sqlite")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: --store only applies with --record"
    assert not (workspace / "audit.sqlite").exists()
    both = cli("classify", "domains", "--rules", "rules", "--store", "audit.sqlite", "--by", "alice")
    assert both.stderr.strip() == "error: --store and --by only apply with --record"
    assert cli("classify", "domains", "--rules", "rules", "--record", "--by", " ").exit_code == 2


def test_record_content(cli, workspace, rulebook):
    _classify(cli, "--threshold", "science=4.5", "-f", "csv", "--by", "alice")
    whatif_args = ("whatif", "semiconductors", "domains", "--rules", "rules", "--set", "economic=4")
    assert cli(*whatif_args, "--record", "--store", "audit.sqlite").exit_code == 0
    with open_store(workspace / "audit.sqlite") as store:
        record, whatif = store.records()
        assert store.get(1) == record
    assert isinstance(record, RunRecord)
    assert record.run_id == 1 and record.by == "alice" and record.command == "classify"
    assert record.tool_version == version("decision")
    assert datetime.fromisoformat(record.created_at).utcoffset().total_seconds() == 0
    assert record.args == ["domains", "--format", "csv", "--rules", "rules", "--threshold", "science=4.5"]
    assert record.params["threshold"] == ["science=4.5"] and record.params["rules"] == "rules"
    assert record.cwd == str(workspace)
    assert len(record.inputs) == 12
    for entry in record.inputs:
        assert Path(entry.path).is_absolute()
        assert entry.sha256 == hashlib.sha256(Path(entry.path).read_bytes()).hexdigest()
    assert record.rules_dir == str(workspace / "rules")
    assert record.rules_by_name() == rulebook.file_digests
    assert record.thresholds["science"].value == 4.5 and record.thresholds["science"].origin == "--threshold"
    assert record.thresholds["economic"].origin == "rules"
    assert [r.id for r in record.results] == sorted(p.stem for p in (workspace / "domains").glob("*.yaml"))
    assert record.result("semiconductors").category == "ecosystem-gap"
    assert record.hypothetical == []
    assert whatif.params["set_"] == ["economic=4"] and whatif.params["domain_id"] == "semiconductors"
    assert [r.category for r in whatif.results] == ["ecosystem-gap"]
    assert [r.category for r in whatif.hypothetical] == ["strong"]

    # The chain: genesis, then each hash over the previous hash and the canonical content.
    assert record.prev_hash == GENESIS_HASH and whatif.prev_hash == record.hash
    connection = sqlite3.connect(workspace / "audit.sqlite")
    rows = connection.execute("SELECT content, prev_hash, hash FROM runs ORDER BY run_id").fetchall()
    for content, prev_hash, digest in rows:
        assert canonical_json(json.loads(content)) == content
        assert hashlib.sha256((prev_hash + content).encode()).hexdigest() == digest == chain_hash(prev_hash, content)
    data = json.loads(rows[0][0])
    assert set(data) == {
        *("schema", "run_id", "created_at", "by", "command", "args", "params", "tool_version", "cwd"),
        *("rules_dir", "sheets_dir", "thresholds", "manifest", "results", "results_root", "hypothetical"),
    }
    assert data["schema"] == 2
    # Self-contained: the bytes of every file read are in the store, under their hash.
    with open_store(workspace / "audit.sqlite") as store:
        for entry in [*record.inputs, *record.rules]:
            assert store.blob(entry.sha256) == Path(entry.path).read_bytes()
            assert entry.size == len(Path(entry.path).read_bytes())
        assert [r.id for r in record.results] == [
            json.loads(store.blob(h))["id"] for h in json.loads(store.blob(data["results"]))
        ]
    assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    meta = dict(connection.execute("SELECT key, value FROM meta"))
    assert meta["application"] == "decision-audit" and meta["last_run"] == "2" and meta["last_hash"] == whatif.hash
    # Append-only: the triggers refuse updates and deletes.
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        connection.execute("UPDATE runs SET run_by = 'mallory'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        connection.execute("DELETE FROM runs")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        connection.execute("UPDATE blobs SET size = 0")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        connection.execute("DELETE FROM blobs")


# ----------------------------------------------------------------------------- tampering


def _three_runs(cli) -> None:
    _classify(cli, "--threshold", "economic=3.5", "--format", "csv")
    _classify(cli)
    _classify(cli)


def _put_blob(db, data: bytes) -> str:
    import zlib

    sha = hashlib.sha256(data).hexdigest()
    db.execute("INSERT OR IGNORE INTO blobs VALUES (?, ?, ?)", (sha, len(data), zlib.compress(data)))
    return sha


def _blob(db, sha: str) -> bytes:
    import zlib

    return zlib.decompress(db.execute("SELECT content FROM blobs WHERE sha256 = ?", (sha,)).fetchone()[0])


def _rewritten_content(db, run_id: int, domain: str = "it-programming", category: str = "strong") -> str:
    """Run ``run_id``'s content with one domain's recorded category changed, the edited
    result and results list stored as proper blobs (as an attacker with the file would)."""
    from decision.audit.store import results_merkle_root

    (content,) = db.execute("SELECT content FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    data = json.loads(content)
    hashes = json.loads(_blob(db, data["results"]))
    for index, sha in enumerate(hashes):
        result = json.loads(_blob(db, sha))
        if result["id"] == domain:
            assert result["category"] == "moonshot"
            result["category"] = category
            hashes[index] = _put_blob(db, canonical_json(result).encode())
    data["results"] = _put_blob(db, canonical_json(hashes).encode())
    data["results_root"] = results_merkle_root(hashes)
    return canonical_json(data)


def _tamper_outcome(db):
    """Turn it-programming's recorded moonshot into strong in run 2."""
    db.execute("UPDATE runs SET content = ? WHERE run_id = 2", (_rewritten_content(db, 2),))


def _tamper_delete(db):
    db.execute("DELETE FROM runs WHERE run_id = 2")


def _tamper_reorder(db):
    rows = {r[0]: r[1:] for r in db.execute("SELECT run_id, content, prev_hash, hash FROM runs")}
    for target, source in ((2, 3), (3, 2)):
        db.execute("UPDATE runs SET content = ?, prev_hash = ?, hash = ? WHERE run_id = ?", (*rows[source], target))


def _tamper_hash(db):
    db.execute("UPDATE runs SET hash = ? WHERE run_id = 2", ("f" * 64,))


def _tamper_delete_last(db):
    db.execute("DELETE FROM runs WHERE run_id = 3")


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (_tamper_outcome, ["run 2: its content does not match its hash"]),
        (_tamper_delete, ["run 3: run 2 is missing before it (deleted)", "run 3: its link is broken"]),
        (
            _tamper_reorder,
            ["run 2: its content is that of run 3", "run 2: its link is broken", "run 3: its link is broken"],
        ),
        (_tamper_hash, ["run 2: its content does not match its hash", "run 3: its link is broken"]),
        (_tamper_delete_last, ["run 3: run 3 was recorded but the store ends at run 2"]),
    ],
    ids=["edited-outcome", "deleted-row", "reordered-rows", "edited-hash", "deleted-last-row"],
)
def test_verify_detects_tampering(cli, workspace, tamper, expected):
    _three_runs(cli)
    tamper(_db(workspace / "audit.sqlite"))
    _restore_guards(workspace / "audit.sqlite")
    result = cli("audit", "verify", "--store", "audit.sqlite")
    assert result.exit_code == 1, result.stdout
    assert "chain: BROKEN" in result.stdout
    for line in expected:
        assert line in result.stdout
    assert result.stderr.startswith("verify FAILED: chain broken at run(s) ")
    # What is listed from a broken chain may never have happened: log and show exit 1.
    log = cli("audit", "log", "--store", "audit.sqlite")
    assert log.exit_code == 1 and "chain BROKEN at run(s)" in log.stdout
    assert "the chain is BROKEN" in log.stderr
    assert cli("audit", "show", "1", "--store", "audit.sqlite").exit_code == 1


def test_edited_outcome_is_also_not_reproduced(cli, workspace):
    _three_runs(cli)
    _tamper_outcome(_db(workspace / "audit.sqlite"))
    _restore_guards(workspace / "audit.sqlite")
    result = cli("audit", "verify", "2", "--store", "audit.sqlite", "-f", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert [p["run_id"] for p in report["chain"]["problems"]] == [2]
    (run,) = report["runs"]
    assert run["status"] == "differs"
    (edited,) = [d for d in run["domains"] if not d["same"]]
    assert edited["id"] == "it-programming" and edited["differences"] == ["category"]
    assert (edited["recorded"], edited["now"]) == ("strong (VL06)", "moonshot (VL06)")


def test_verify_one_run_and_chain_only(cli, workspace):
    _three_runs(cli)
    one = cli("audit", "verify", "2", "--store", "audit.sqlite")
    assert one.exit_code == 0, one.stdout
    assert "chain: intact, 2 runs" in one.stdout and "run 2 (" in one.stdout and "run 3 (" not in one.stdout
    assert cli("audit", "verify", "9", "--store", "audit.sqlite").exit_code == 2
    chain = cli("audit", "verify", "--chain-only", "--store", "audit.sqlite")
    assert chain.exit_code == 0 and "verify passed: chain intact" in chain.stdout and "reproduced" not in chain.stdout


# ----------------------------------------------------------------------------- changed inputs


def test_changed_input_file_reported_with_outcome_now(cli, workspace):
    # The record reproduces from what it stored; the edit is information, with its effect.
    _classify(cli)
    _set_score(workspace / "domains" / "semiconductors.yaml", "economic", 4)
    result = cli("audit", "verify", "--store", "audit.sqlite")
    assert result.exit_code == 0, result.stdout
    assert "run 1 (classify" in result.stdout and "reproduced from its stored inputs: 12 of 12" in result.stdout
    assert "since run 1 (information only):" in result.stdout
    assert "profile domains/semiconductors.yaml changed (sha256 " in result.stdout
    assert "semiconductors: the outcome would now be strong (VL01) (recorded ecosystem-gap (VL05))" in result.stdout
    assert "verify passed: chain intact, 1 runs reproduced (files changed since run(s) 1: see above)" in result.stdout


def test_changed_input_with_same_outcome_passes_with_notice(cli, workspace):
    _classify(cli)
    path = workspace / "domains" / "pharma.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "# a comment added later\n", encoding="utf-8")
    result = cli("audit", "verify", "--store", "audit.sqlite")
    assert result.exit_code == 0, result.stdout
    assert "profile domains/pharma.yaml changed (sha256 " in result.stdout
    assert "on the files now every outcome would be the same" in result.stdout


def test_changed_rules_and_missing_file(cli, workspace):
    _classify(cli)
    thresholds = workspace / "rules" / "thresholds.yaml"
    thresholds.write_text(thresholds.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    (workspace / "domains" / "food.yaml").unlink()
    result = cli("audit", "verify", "--store", "audit.sqlite")
    assert result.exit_code == 0, result.stdout
    assert "reproduced from its stored inputs" in result.stdout
    assert "rules rules/thresholds.yaml changed (sha256 " in result.stdout
    assert "profile domains/food.yaml is gone" in result.stdout
    assert "the files now cannot be run:" in result.stdout and "no such file or folder" in result.stdout


# ----------------------------------------------------------------------------- domain history


def test_domain_history_threshold_and_score_changes(cli, workspace):
    _classify(cli, "--by", "alice")
    _classify(cli, "--threshold", "economic=3.5", "--by", "bob")  # it-programming: moonshot -> ecosystem-gap
    _set_score(workspace / "domains" / "semiconductors.yaml", "economic", 4)
    _classify(cli, "--by", "carol")  # semiconductors: ecosystem-gap -> strong

    history = cli("audit", "log", "--domain", "it-programming", "--store", "audit.sqlite")
    assert history.exit_code == 0, history.stderr
    text = history.stdout
    assert "History of it-programming" in text and "3 recorded runs, 2 changes" in text
    assert "CHANGED: moonshot (VL06) -> ecosystem-gap (VL02)" in text
    assert "threshold economic: >= 4 (rules) -> >= 3.5 (--threshold)" in text
    assert "CHANGED: ecosystem-gap (VL02) -> moonshot (VL06)" in text
    assert "paths part at VT03 focus.economic" in text
    assert text.index("run 3") < text.index("run 2") < text.index("run 1")  # newest first

    semis = json.loads(
        cli("audit", "log", "--domain", "semiconductors", "--store", "audit.sqlite", "-f", "json").stdout
    )
    newest, _, oldest = semis["history"]
    assert [e["changed"] for e in semis["history"]] == [True, False, False]
    change = newest["change"]
    assert (change["outcome_before"], change["outcome_after"]) == ("ecosystem-gap (VL05)", "strong (VL01)")
    assert change["scores"] == [{"score": "economic", "before": 2.0, "after": 4.0}]
    assert change["thresholds"] == [{"score": "economic", "before": ">= 3.5 (--threshold)", "after": ">= 4 (rules)"}]
    assert change["rules_files"] == []
    assert change["profile_file"]["file"].endswith("domains/semiconductors.yaml")
    assert change["parting"]["node"] == "VT03"
    assert "economic 2 < 3.5 [--threshold] (fails) -> no" in change["parting"]["before"]
    assert "economic 4 >= 4 (passes) -> yes" in change["parting"]["after"]
    assert newest["by"] == "carol" and oldest["by"] == "alice"

    text = cli("audit", "log", "--domain", "semiconductors", "--store", "audit.sqlite").stdout
    assert "score economic: 2 -> 4" in text
    assert "profile file domains/semiconductors.yaml: sha256 " in text


def test_domain_history_names_rules_file_changes(cli, workspace):
    _classify(cli)
    thresholds = workspace / "rules" / "thresholds.yaml"
    text = thresholds.read_text(encoding="utf-8")
    assert "    value: 4\n" in text
    thresholds.write_text(text.replace("    value: 4\n", "    value: 3.5\n", 1), encoding="utf-8")  # economic
    _classify(cli)
    out = cli("audit", "log", "--domain", "it-programming", "--store", "audit.sqlite").stdout
    assert "CHANGED: moonshot (VL06) -> ecosystem-gap (VL02)" in out
    assert "threshold economic: >= 4 (rules) -> >= 3.5 (rules)" in out
    assert "rules file thresholds.yaml: sha256 " in out


def test_unknown_domain_and_run(cli, workspace):
    _classify(cli)
    for args in (
        ("audit", "log", "--domain", "nope"),
        ("audit", "show", "7"),
        ("audit", "show", "1", "nope"),
    ):
        result = cli(*args, "--store", "audit.sqlite")
        assert result.exit_code == 2, args
        assert result.stderr.startswith("error: ") and len(result.stderr.splitlines()) == 1
    assert "no run 7 (the store holds runs 1-1)" in cli("audit", "show", "7", "--store", "audit.sqlite").stderr


# ----------------------------------------------------------------------------- bad stores


def _random_bytes(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 40)


def _foreign_database(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
    connection.commit()
    connection.close()


def _newer_schema(path: Path) -> None:
    open_store(path, create=True).close()
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.commit()
    connection.close()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_random_bytes, "not a decision audit store (file is not a database)"),
        (_foreign_database, "a SQLite database, but not a decision audit store (its tables: invoices)"),
        (
            _newer_schema,
            f"written by a newer version of decision (audit schema {SCHEMA_VERSION + 1}; "
            f"this version reads schema {SCHEMA_VERSION}): "
            "upgrade decision to read it",
        ),
    ],
    ids=["random-bytes", "foreign-database", "newer-schema"],
)
def test_bad_store_is_one_line_and_exit_2(cli, workspace, make, message):
    path = workspace / "bad.sqlite"
    make(path)
    before = path.read_bytes()
    for args in (
        ("audit", "log"),
        ("audit", "show", "1"),
        ("audit", "verify"),
        ("classify", "domains", "--rules", "rules", "-f", "json", "--record"),
    ):
        result = cli(*args, "--store", "bad.sqlite")
        assert result.exit_code == 2, (args, result.stderr)
        assert result.stderr == f"error: bad.sqlite: {message}\n", args
    assert path.read_bytes() == before  # a foreign file is never written to


def test_missing_store_and_folder(cli, workspace):
    result = cli("audit", "log", "--store", "none.sqlite")
    assert result.exit_code == 2 and "no audit store here" in result.stderr
    assert not (workspace / "none.sqlite").exists()  # reading never creates
    result = cli("classify", "domains", "--rules", "rules", "--record", "--store", "missing/audit.sqlite")
    assert result.exit_code == 2 and result.stderr.strip().startswith("error: missing/audit.sqlite")
    result = cli("audit", "log", "--store", "domains")
    assert result.exit_code == 2 and "is a folder" in result.stderr


def test_empty_store_log(cli, workspace):
    open_store(workspace / "audit.sqlite", create=True).close()
    result = cli("audit", "log", "--store", "audit.sqlite")
    assert result.exit_code == 0 and result.stdout.strip() == "no runs recorded in audit.sqlite"
    assert cli("audit", "verify", "--store", "audit.sqlite").exit_code == 0


def test_library_refuses_foreign_file(tmp_path):
    _foreign_database(tmp_path / "foreign.sqlite")
    with pytest.raises(AuditStoreError, match="not a decision audit store"):
        open_store(tmp_path / "foreign.sqlite", create=True)


# ----------------------------------------------------------------------------- concurrency


def _writer(path: str, content: dict, blobs: dict, count: int, start) -> None:
    start.wait()
    for index in range(count):
        with open_store(path, create=True) as store:
            store.append({**content, "by": f"{content['by']}-{index}"}, blobs)


def classify_content(rulebook, by: str = "writer"):
    """What a `classify` of the shipped domains appends to a store: (content, blobs)."""
    profiles = load_profiles([DOMAINS_DIR], rulebook)
    return run_content(
        command="classify",
        args=[],
        params={},
        rulebook=rulebook,
        profiles=profiles,
        results=classify_all(profiles, rulebook),
        by=by,
    )


@pytest.mark.slow  # two fresh Python processes (about 1 s); CI runs it (pytest -m slow)
def test_two_processes_writing_at_once(tmp_path, rulebook):
    content, blobs = classify_content(rulebook)
    path = str(tmp_path / "audit.sqlite")  # created by whichever writer comes first
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    writers = [
        context.Process(target=_writer, args=(path, {**content, "by": name}, blobs, 20, start)) for name in ("a", "b")
    ]
    for writer in writers:
        writer.start()
    start.set()
    for writer in writers:
        writer.join(120)
        assert writer.exitcode == 0
    with open_store(path) as store:
        records = store.records()
        report = store.check_chain()
    assert [r.run_id for r in records] == list(range(1, 41))
    assert sorted(r.by for r in records) == sorted(f"{n}-{i}" for n in "ab" for i in range(20))
    assert report.ok and report.runs == 40
    assert [r.created_at for r in records] == sorted(r.created_at for r in records)


# Rules files no recorded command reads: quadrants.yaml is loaded on its own by
# `decision plot quadrant` and `decision compare-quadrants`, and indicator_methods.yaml
# by `decision indicators`; none of them keeps a record.
NOT_IN_RECORDS = {"quadrants.yaml", "indicator_methods.yaml"}


def test_rulebook_digests_are_what_is_recorded(rulebook):
    # The record's rules list comes from Rulebook.file_digests; a rules file the loader
    # reads but does not digest would be missing from every record.
    assert set(rulebook.file_digests) == {p.name for p in RULES_DIR.glob("*.yaml")} - NOT_IN_RECORDS
    assert load_rulebook(RULES_DIR).file_digests == rulebook.file_digests


def test_verify_from_another_working_folder(run_cli, cli, workspace):
    _classify(cli)
    assert cli("workshop", "--sheets", "sheets", "domains", "--rules", "rules", "--record", "--store", "audit.sqlite")
    elsewhere = workspace / "elsewhere"
    elsewhere.mkdir()
    # Results show paths relative to the working folder; verify compares them as absolute paths.
    result = run_cli("audit", "verify", "--store", "../audit.sqlite", cwd=elsewhere)
    assert result.exit_code == 0, result.stdout
    assert "verify passed: chain intact, 2 runs reproduced" in result.stdout
