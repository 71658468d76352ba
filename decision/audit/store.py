"""The audit trail: an append-only, hash-chained record of runs in one SQLite file.

``decision classify|explain|whatif|workshop --record`` appends one :class:`RunRecord` per
run: the tool version, the command and its arguments, the path and SHA-256 of every
input file and rules file, the thresholds in force with their origin, every domain's full
result (the JSON contract), who ran it and when. ``decision audit log|show|verify`` read
it back; ``decision diff`` reads it through the library API below.

Library API (stable: other commands build on it)
------------------------------------------------
``open_store(path, *, create=False) -> AuditStore``
    Open an existing store read-only (never creating or changing the file), or with
    ``create=True`` open it for appending, creating it on first use. A missing, corrupt
    or foreign file, or a store written by a newer schema, raises :class:`AuditStoreError`
    (a :class:`~decision.errors.DecisionError`; the CLI prints one line and exits 2).
    The store is a context manager; ``close()`` releases the file.
``AuditStore.records() -> list[RunRecord]``
    Every run, oldest first (ascending ``run_id``).
``AuditStore.get(run_id) -> RunRecord``
    One run; :class:`AuditStoreError` when there is none with that id.
``AuditStore.check_chain(upto=None) -> ChainReport``
    Recompute every hash and link; ``ChainReport.ok`` and one :class:`ChainProblem`
    (run id, message) per problem found.
``RunRecord``
    ``run_id`` (1, 2, 3 ...), ``created_at`` (UTC ISO-8601), ``by``, ``command``
    (``classify``, ``explain``, ``whatif``, ``workshop``), ``args`` (the command's
    arguments as a list of strings, defaults left out), ``params`` (the parsed
    parameters by name), ``tool_version``, ``cwd`` (the working folder: the result's
    ``file`` and ``location`` fields are relative to it), ``inputs`` (profile files:
    ``path`` (absolute), ``sha256``), ``rules`` (rules files, same shape), ``rules_dir``,
    ``thresholds`` (per score: ``value``, ``op``, ``origin`` (``rules`` or
    ``--threshold``), ``meaning``, ``interpretation``), ``results`` (one
    :class:`~decision.model.result.DomainResult` per domain, at most one per id: the outcome
    under the recorded inputs), ``hypothetical`` (``whatif`` only: the result with the
    ``--set`` scores), ``sheets`` and ``sheets_dir`` (``workshop`` only: the
    participants' sheet files), ``prev_hash``, ``hash``. ``RunRecord.result(id)`` finds
    one domain's result.

File format (schema version 1)
------------------------------
``PRAGMA user_version`` = 1 and a ``meta`` table (``application`` =
``decision-audit``, ``schema_version``, ``last_run``, ``last_hash``). Table ``runs``
holds one row per run: ``run_id`` (the sequence number), ``content`` (the canonical JSON
of every field above except ``prev_hash`` and ``hash``: keys sorted, no whitespace,
UTF-8, no NaN), ``prev_hash`` and ``hash``, plus copies of ``created_at``, ``run_by`` and
``command`` for queries. ``hash = sha256(prev_hash + content)`` over the UTF-8 bytes,
hex; the first run's ``prev_hash`` is 64 zeros. The stored ``content`` text is what is
hashed, so verification never depends on re-serialising it. Triggers refuse UPDATE and
DELETE on ``runs``; ``meta.last_run``/``last_hash`` make a deleted last run visible.

Writes happen in one ``BEGIN IMMEDIATE`` transaction that reads the last run, assigns
the next ``run_id`` and time, and inserts; a busy timeout makes a second writer wait
for the first instead of failing, so concurrent runs never lose a record or fork the
chain. The rollback journal (SQLite's default) keeps the store a single file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from decision.errors import DecisionError
from decision.model.result import DomainResult, ThresholdUsed

SCHEMA_VERSION = 1
APPLICATION = "decision-audit"
GENESIS_HASH = "0" * 64
DEFAULT_STORE = "decision-audit.sqlite"
# A writer waits this long for another one to finish before giving up.
BUSY_TIMEOUT_SECONDS = 60.0

_SCHEMA = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE runs (
    run_id     INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    run_by     TEXT NOT NULL,
    command    TEXT NOT NULL,
    content    TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE TRIGGER runs_no_update BEFORE UPDATE ON runs
BEGIN SELECT RAISE(ABORT, 'decision audit store: runs are append-only'); END;
CREATE TRIGGER runs_no_delete BEFORE DELETE ON runs
BEGIN SELECT RAISE(ABORT, 'decision audit store: runs are append-only'); END;
"""


class AuditStoreError(DecisionError):
    """The audit store is missing, corrupt, foreign, too new, or a run is not in it."""


class FileDigest(BaseModel):
    """One file a run read: its absolute path and the SHA-256 of its bytes then."""

    model_config = ConfigDict(frozen=True)

    path: str
    sha256: str


class RunRecord(BaseModel):
    """One recorded run (see the module docstring for every field)."""

    run_id: int
    created_at: str
    by: str
    command: str
    args: list[str]
    params: dict[str, Any] = {}
    tool_version: str
    cwd: str
    inputs: list[FileDigest]
    rules: list[FileDigest]
    rules_dir: str
    thresholds: dict[str, ThresholdUsed]
    results: list[DomainResult]
    hypothetical: list[DomainResult] = []
    sheets: list[FileDigest] = []
    sheets_dir: str | None = None
    prev_hash: str
    hash: str

    def result(self, domain_id: str) -> DomainResult | None:
        """This run's result for one domain (None when the run did not classify it)."""
        return next((r for r in self.results if r.id == domain_id), None)

    def command_line(self) -> str:
        """The run as a command line, e.g. ``decision classify domains --threshold science=4.5``."""
        return " ".join(["decision", self.command, *(_shell_word(a) for a in self.args)])

    def rules_by_name(self) -> dict[str, str]:
        """Rules file name -> SHA-256."""
        return {Path(f.path).name: f.sha256 for f in self.rules}


@dataclass(frozen=True)
class ChainProblem:
    """One broken link or edited run."""

    run_id: int
    message: str


@dataclass
class ChainReport:
    """The result of recomputing the chain: ``ok`` when no problem was found."""

    runs: int
    head_hash: str
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def broken_runs(self) -> list[int]:
        """The runs named by a problem, ascending, each once."""
        return sorted({p.run_id for p in self.problems})

    def problems_of(self, run_id: int) -> list[str]:
        return [p.message for p in self.problems if p.run_id == run_id]


@dataclass(frozen=True)
class _Row:
    run_id: int
    created_at: str
    run_by: str
    command: str
    content: str
    prev_hash: str
    hash: str


def canonical_json(data: Any) -> str:
    """The one JSON text of ``data`` that is hashed: keys sorted, no whitespace, UTF-8, no NaN."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def chain_hash(prev_hash: str, content: str) -> str:
    """``sha256(prev_hash + content)`` over UTF-8, as 64 hex digits."""
    return hashlib.sha256((prev_hash + content).encode("utf-8")).hexdigest()


def file_sha256(path: str | Path) -> str | None:
    """The SHA-256 of a file's bytes, or None when it cannot be read (missing, a folder...)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def utc_now() -> str:
    """The current time, UTC, ISO-8601 with microseconds: ``2026-11-23T20:50:01.123456Z``."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _shell_word(text: str) -> str:
    if text and re.fullmatch(r"[A-Za-z0-9_./=:+,@%-]+", text):
        return text
    return "'" + text.replace("'", "'\"'\"'") + "'"


def _sqlite_message(exc: sqlite3.Error) -> str:
    return str(exc).rstrip(".")


# ----------------------------------------------------------------------------- the store


def open_store(path: str | Path, *, create: bool = False) -> AuditStore:
    """Open the audit store at ``path`` (see the module docstring).

    Without ``create`` the file must exist and is opened read-only. With ``create`` a
    missing or empty file becomes a new store; an existing store is opened for appending.
    """
    path = Path(path)
    if path.is_dir():
        raise AuditStoreError(f"{path}: is a folder, not an audit store file")
    if not create and not path.is_file():
        raise AuditStoreError(f"{path}: no audit store here (record a run with --record, or pass --store PATH)")
    if create and not path.parent.is_dir():
        raise AuditStoreError(f"{path}: the folder {path.parent} does not exist")
    try:
        if create:
            connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        else:
            uri = path.resolve().as_uri() + "?mode=ro"
            connection = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    except sqlite3.Error as exc:
        raise AuditStoreError(f"{path}: cannot open the audit store: {_sqlite_message(exc)}") from None
    store = AuditStore(path, connection, writable=create)
    try:
        store._prepare(create)
    except AuditStoreError:
        connection.close()
        raise
    except sqlite3.DatabaseError as exc:
        connection.close()
        raise AuditStoreError(f"{path}: not a decision audit store ({_sqlite_message(exc)})") from None
    return store


class AuditStore:
    """An open audit store. Obtain one with :func:`open_store`."""

    def __init__(self, path: Path, connection: sqlite3.Connection, *, writable: bool):
        self.path = path
        self._db = connection
        self._writable = writable
        self._db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")

    def __enter__(self) -> AuditStore:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Release the file."""
        self._db.close()

    # -- opening

    def _tables(self) -> set[str]:
        return {name for (name,) in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def _prepare(self, create: bool) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        tables = self._tables()
        if not tables and version == 0:
            if not create:
                raise AuditStoreError(f"{self.path}: not a decision audit store (an empty file or database)")
            self._create_schema()
            return
        self._check_identity(version, tables)

    def _create_schema(self) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have created it while we waited for the lock.
            if self._tables() or db.execute("PRAGMA user_version").fetchone()[0] != 0:
                db.execute("ROLLBACK")
                self._check_identity(db.execute("PRAGMA user_version").fetchone()[0], self._tables())
                return
            for statement in _SCHEMA.split(";\n"):
                if statement.strip():
                    db.execute(statement)
            from importlib.metadata import PackageNotFoundError, version

            try:
                tool = version("decision")
            except PackageNotFoundError:
                tool = "unknown"
            db.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [
                    ("application", APPLICATION),
                    ("schema_version", str(SCHEMA_VERSION)),
                    ("created_at", utc_now()),
                    ("created_by_tool", f"decision {tool}"),
                    ("last_run", "0"),
                    ("last_hash", GENESIS_HASH),
                ],
            )
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def _check_identity(self, version: int, tables: set[str]) -> None:
        application = None
        if {"meta", "runs"} <= tables:
            try:
                row = self._db.execute("SELECT value FROM meta WHERE key = 'application'").fetchone()
                application = None if row is None else row[0]
            except sqlite3.DatabaseError:
                application = None
        if application != APPLICATION:
            listed = ", ".join(sorted(tables)) or "none"
            raise AuditStoreError(
                f"{self.path}: a SQLite database, but not a decision audit store (its tables: {listed})"
            )
        if version > SCHEMA_VERSION:
            raise AuditStoreError(
                f"{self.path}: written by a newer version of decision (audit schema {version}; "
                f"this version reads schema {SCHEMA_VERSION}): upgrade decision to read it"
            )
        if version != SCHEMA_VERSION:
            raise AuditStoreError(f"{self.path}: not a decision audit store (schema version {version})")

    # -- reading

    def _rows(self, upto: int | None = None) -> list[_Row]:
        query = "SELECT run_id, created_at, run_by, command, content, prev_hash, hash FROM runs"
        params: tuple = ()
        if upto is not None:
            query += " WHERE run_id <= ?"
            params = (upto,)
        try:
            return [_Row(*row) for row in self._db.execute(query + " ORDER BY run_id", params)]
        except sqlite3.Error as exc:
            raise AuditStoreError(f"{self.path}: cannot read the runs: {_sqlite_message(exc)}") from None

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    @staticmethod
    def _record(row: _Row, path: Path) -> RunRecord:
        try:
            data = json.loads(row.content)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            return RunRecord.model_validate({**data, "prev_hash": row.prev_hash, "hash": row.hash})
        except (ValueError, ValidationError) as exc:
            first = str(exc).splitlines()[0]
            raise AuditStoreError(f"{path}: run {row.run_id} cannot be read ({first})") from None

    def records(self) -> list[RunRecord]:
        """Every run, oldest first."""
        return [self._record(row, self.path) for row in self._rows()]

    def get(self, run_id: int) -> RunRecord:
        """One run by its id."""
        try:
            row = self._db.execute(
                "SELECT run_id, created_at, run_by, command, content, prev_hash, hash FROM runs WHERE run_id = ?",
                (run_id,),
            ).fetchone()
        except sqlite3.Error as exc:
            raise AuditStoreError(f"{self.path}: cannot read run {run_id}: {_sqlite_message(exc)}") from None
        if row is None:
            ids = [r[0] for r in self._db.execute("SELECT run_id FROM runs ORDER BY run_id")]
            have = f"runs {ids[0]}-{ids[-1]}" if ids else "no runs"
            raise AuditStoreError(f"{self.path}: no run {run_id} (the store holds {have})")
        return self._record(_Row(*row), self.path)

    def run_ids(self) -> list[int]:
        """The ids of every run, ascending."""
        return [r[0] for r in self._db.execute("SELECT run_id FROM runs ORDER BY run_id")]

    # -- writing

    def append(self, content: dict[str, Any]) -> RunRecord:
        """Append one run. ``content`` holds every RunRecord field except ``run_id``,
        ``created_at``, ``prev_hash`` and ``hash``, which are assigned here, inside the
        writing transaction."""
        if not self._writable:
            raise AuditStoreError(f"{self.path}: opened read-only")
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                last = db.execute("SELECT run_id, hash FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()
                run_id, prev_hash = (1, GENESIS_HASH) if last is None else (last[0] + 1, last[1])
                data = {**content, "run_id": run_id, "created_at": utc_now()}
                text = canonical_json(data)
                digest = chain_hash(prev_hash, text)
                # Never write what cannot be read back.
                record = RunRecord.model_validate({**json.loads(text), "prev_hash": prev_hash, "hash": digest})
                db.execute(
                    "INSERT INTO runs (run_id, created_at, run_by, command, content, prev_hash, hash)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (run_id, data["created_at"], data["by"], data["command"], text, prev_hash, digest),
                )
                db.executemany(
                    "UPDATE meta SET value = ? WHERE key = ?",
                    [(str(run_id), "last_run"), (digest, "last_hash")],
                )
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise AuditStoreError(f"{self.path}: cannot record the run: {_sqlite_message(exc)}") from None
        except ValidationError as exc:
            raise AuditStoreError(f"{self.path}: refusing an invalid run record: {exc}") from None
        return record

    # -- verifying

    def check_chain(self, upto: int | None = None) -> ChainReport:
        """Recompute every hash and link of runs 1..``upto`` (all when None).

        Finds an edited run (content or hash), a deleted run (a gap in the ids, a broken
        link, or fewer runs than ``meta.last_run`` says), and reordered rows (content
        naming another run id, broken links).
        """
        rows = self._rows(upto)
        problems: list[ChainProblem] = []
        expected_id, expected_prev = 1, GENESIS_HASH
        previous_id: int | None = None
        for row in rows:
            say = problems.append
            if row.run_id != expected_id:
                gone = (
                    f"run {expected_id} is"
                    if row.run_id == expected_id + 1
                    else f"runs {expected_id}-{row.run_id - 1} are"
                )
                say(ChainProblem(row.run_id, f"{gone} missing before it (deleted)"))
            if row.prev_hash != expected_prev:
                after = f"run {previous_id}" if previous_id is not None else "the start of the chain"
                say(
                    ChainProblem(
                        row.run_id,
                        f"its link is broken: prev_hash {row.prev_hash[:12]}... does not match {after} "
                        f"({expected_prev[:12]}...)",
                    )
                )
            if chain_hash(row.prev_hash, row.content) != row.hash:
                say(ChainProblem(row.run_id, "its content does not match its hash (content or hash edited)"))
            try:
                data = json.loads(row.content)
            except ValueError:
                data = None
            if not isinstance(data, dict):
                say(ChainProblem(row.run_id, "its content is not a JSON object"))
            else:
                if data.get("run_id") != row.run_id:
                    say(
                        ChainProblem(
                            row.run_id,
                            f"its content is that of run {data.get('run_id')} (rows reordered or copied)",
                        )
                    )
                columns = {"created_at": row.created_at, "by": row.run_by, "command": row.command}
                for key, value in columns.items():
                    if data.get(key) != value:
                        say(ChainProblem(row.run_id, f"its {key} column does not match its content"))
            expected_id, expected_prev, previous_id = row.run_id + 1, row.hash, row.run_id
        if upto is None:
            last_run, last_hash = self._meta("last_run"), self._meta("last_hash")
            last_id = rows[-1].run_id if rows else 0
            if last_run is not None and last_run.isdigit() and int(last_run) > last_id:
                problems.append(
                    ChainProblem(
                        int(last_run),
                        f"run {last_run} was recorded but the store ends at run {last_id} (the last runs were deleted)",
                    )
                )
            elif last_hash is not None and rows and last_run == str(last_id) and last_hash != rows[-1].hash:
                problems.append(ChainProblem(last_id, "its hash differs from the one recorded as the last hash"))
        head = rows[-1].hash if rows else GENESIS_HASH
        return ChainReport(runs=len(rows), head_hash=head, problems=problems)


# ----------------------------------------------------------------------------- recording


def run_content(
    *,
    command: str,
    args: Sequence[str],
    params: dict[str, Any],
    rulebook,
    profiles: Iterable,
    results: Iterable[DomainResult],
    by: str,
    hypothetical: Iterable[DomainResult] = (),
    sheets=None,
) -> dict[str, Any]:
    """What :meth:`AuditStore.append` stores for one run, hashing every file now.

    ``rulebook`` is the :class:`~decision.inputs.rulebook.Rulebook` in force (thresholds
    overridden), ``profiles`` the :class:`~decision.inputs.profiles.DomainProfile` objects read,
    ``sheets`` the :class:`~decision.inputs.sheets.Sheets` of a workshop run.
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        tool_version = version("decision")
    except PackageNotFoundError:
        tool_version = "unknown"

    def digests(paths: Iterable[str]) -> list[dict[str, str]]:
        out, seen = [], set()
        for raw in paths:
            path = os.path.abspath(raw)
            if path in seen:
                continue
            seen.add(path)
            sha = file_sha256(path)
            if sha is None:
                raise AuditStoreError(f"{raw}: cannot read the file to record its SHA-256")
            out.append({"path": path, "sha256": sha})
        return out

    rules_dir = Path(rulebook.directory)
    content: dict[str, Any] = {
        "by": by,
        "command": command,
        "args": list(args),
        "params": params,
        "tool_version": tool_version,
        "cwd": os.getcwd(),
        "inputs": digests(p.file for p in profiles),
        "rules": digests(str(rules_dir / name) for name in rulebook.file_digests),
        "rules_dir": os.path.abspath(rules_dir),
        "thresholds": {
            name: ThresholdUsed(
                value=t.value, op=t.op, origin=t.origin, meaning=t.meaning, interpretation=t.interpretation
            ).model_dump(mode="json")
            for name, t in rulebook.thresholds.items()
        },
        "results": [r.model_dump(mode="json") for r in results],
        "hypothetical": [r.model_dump(mode="json") for r in hypothetical],
        "sheets": [],
        "sheets_dir": None,
    }
    # The rules files as loaded must be the ones hashed now (a file edited in between is refused).
    for entry, sha in zip(content["rules"], rulebook.file_digests.values(), strict=True):
        if entry["sha256"] != sha:
            raise AuditStoreError(f"{entry['path']}: changed while the run was in progress; run it again")
    if sheets is not None:
        content["sheets"] = digests(sheet.file for sheet in sheets.sheets)
        content["sheets_dir"] = os.path.abspath(sheets.directory)
    return content


# ----------------------------------------------------------------------------- re-running


FileKind = Literal["profile", "rules", "sheet"]


class FileChange(BaseModel):
    """A recorded file whose bytes differ now (``now`` None: missing or unreadable; ``recorded``
    None: a file the run did not read but a run now would)."""

    kind: FileKind
    path: str
    recorded: str | None
    now: str | None


class DomainCheck(BaseModel):
    """One domain: the recorded outcome against the outcome now."""

    id: str
    recorded: str | None  # "ecosystem-gap (VL05)"; None for a domain only the re-run has
    now: str | None  # None when the re-run has no result for it
    same: bool
    differences: list[str]  # top-level result fields that differ ("category", "path", ...)


class Reproduction(BaseModel):
    """Re-running one recorded run under its recorded inputs, rules and thresholds."""

    run_id: int
    command: str
    status: Literal["reproduced", "reproduced, inputs changed", "differs", "cannot re-run"]
    changed_files: list[FileChange]
    domains: list[DomainCheck]
    error: str | None = None
    tool_version: str  # the one recorded
    tool_version_now: str

    @property
    def ok(self) -> bool:
        return self.status in ("reproduced", "reproduced, inputs changed")


def outcome_label(result: DomainResult | None) -> str | None:
    """'ecosystem-gap (VL05)', 'no-focus/partnership (VL11)', 'undetermined'."""
    if result is None:
        return None
    label = result.category if result.variant is None else f"{result.category}/{result.variant}"
    return f"{label} ({result.leaf.code})" if result.leaf else label


def _absolute(path: str, cwd: str) -> str:
    return os.path.normpath(os.path.join(cwd, path))


def _comparable(result: DomainResult, cwd: str) -> dict[str, Any]:
    """The result as JSON, with its file paths made absolute (they are shown relative to
    the working folder, which may differ between the run and the re-run)."""

    def absolute(location: str | None) -> str | None:
        if not location:
            return location
        match = re.fullmatch(r"(.*):(\d+)", location)
        return f"{_absolute(match[1], cwd)}:{match[2]}" if match else _absolute(location, cwd)

    data = result.model_dump(mode="json")
    # Which engine walked the tree is not part of the outcome: the engines are proven to
    # agree (decision rules check --engines), and a record made with durable-rules must
    # verify where only zen-engine runs.
    data.pop("engine", None)
    data["file"] = _absolute(data["file"], cwd)
    for group in ("scores", "factors"):
        for entry in data[group].values():
            entry["location"] = absolute(entry.get("location"))
            derivation = entry.get("derivation") or {}
            for figure in (*derivation.get("inputs", []), *derivation.get("unavailable", [])):
                figure["location"] = absolute(figure.get("location"))
    return data


def _rerun(record: RunRecord) -> tuple[list[DomainResult], list[DomainResult], dict[str, str]]:
    """The recorded command again, on the recorded files, rules folder and thresholds.
    Returns the results, the hypothetical results, and the rules files' digests now."""
    from decision.analyses.margins import with_fragility
    from decision.engine.walk import Engine, classify_all
    from decision.inputs.profiles import load_profiles
    from decision.inputs.rulebook import load_rulebook

    rulebook = load_rulebook(Path(record.rules_dir))
    by_origin: dict[str, dict[str, float]] = {}
    for name, threshold in record.thresholds.items():
        if threshold.origin != "rules":
            by_origin.setdefault(threshold.origin, {})[name] = threshold.value
    for origin, overrides in by_origin.items():
        rulebook = rulebook.with_thresholds(overrides, origin=origin)
    profiles = load_profiles([Path(f.path) for f in record.inputs], rulebook)
    params = record.params
    if record.command == "classify":
        return with_fragility(rulebook, profiles, classify_all(profiles, rulebook)), [], rulebook.file_digests
    if record.command in ("explain", "whatif"):
        domain_id = params.get("domain_id")
        matches = [p for p in profiles if p.id == domain_id]
        if not matches:
            raise DecisionError(f'no domain with id "{domain_id}" in the recorded files now')
        if record.command == "explain":
            result = with_fragility(rulebook, matches, [Engine(rulebook).classify(matches[0])])
            return result, [], rulebook.file_digests
        from decision.analyses.whatif import whatif
        from decision.inputs.overrides import parse_set_options

        answer = whatif(rulebook, matches[0], parse_set_options(params.get("set_"), rulebook))
        return [answer.before], [answer.after], rulebook.file_digests
    if record.command == "workshop":
        from decision.analyses.disagreements import analyse_workshop
        from decision.inputs.sheets import load_sheets

        if record.sheets_dir is None:
            raise DecisionError("the record names no sheets folder")
        loaded = load_sheets(Path(record.sheets_dir), rulebook, [p.id for p in profiles])
        domains = analyse_workshop(profiles, loaded, rulebook)
        return [d.result for d in domains], [], rulebook.file_digests
    raise DecisionError(f'cannot re-run the command "{record.command}"')


def _error_text(exc: DecisionError) -> str:
    lines = str(exc).splitlines() or [type(exc).__name__]
    more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
    return lines[0] + more


def reproduce(record: RunRecord) -> Reproduction:
    """Compare the recorded files' SHA-256 with the files now, re-run the record's command
    on them under its recorded rules folder and thresholds, and compare every result
    (all fields; paths compared as absolute paths)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        tool_now = version("decision")
    except PackageNotFoundError:
        tool_now = "unknown"
    changed: list[FileChange] = []
    for kind, entries in (("profile", record.inputs), ("rules", record.rules), ("sheet", record.sheets)):
        for entry in entries:
            now = file_sha256(entry.path)
            if now != entry.sha256:
                changed.append(FileChange(kind=kind, path=entry.path, recorded=entry.sha256, now=now))
    if record.sheets_dir is not None and Path(record.sheets_dir).is_dir():
        recorded_sheets = {f.path for f in record.sheets}
        for path in sorted(Path(record.sheets_dir).iterdir()):
            if path.is_file() and path.suffix in (".yaml", ".yml", ".csv") and str(path) not in recorded_sheets:
                changed.append(FileChange(kind="sheet", path=str(path), recorded=None, now=file_sha256(path)))
    base = {
        "run_id": record.run_id,
        "command": record.command,
        "changed_files": changed,
        "tool_version": record.tool_version,
        "tool_version_now": tool_now,
    }
    try:
        results, hypothetical, rules_now = _rerun(record)
    except DecisionError as exc:
        return Reproduction(**base, status="cannot re-run", domains=[], error=_error_text(exc))
    recorded_rules = record.rules_by_name()
    for name, sha in rules_now.items():
        if name not in recorded_rules:
            path = str(Path(record.rules_dir) / name)
            changed.append(FileChange(kind="rules", path=path, recorded=None, now=sha))
    cwd_now = os.getcwd()
    checks: list[DomainCheck] = []
    for label, recorded_list, now_list in (
        ("", record.results, results),
        ("hypothetical ", record.hypothetical, hypothetical),
    ):
        now_by_id = {r.id: r for r in now_list}
        for old in recorded_list:
            new = now_by_id.pop(old.id, None)
            if new is None:
                checks.append(
                    DomainCheck(
                        id=label + old.id, recorded=outcome_label(old), now=None, same=False, differences=["absent"]
                    )
                )
                continue
            before, after = _comparable(old, record.cwd), _comparable(new, cwd_now)
            differences = [key for key in before.keys() | after.keys() if before.get(key) != after.get(key)]
            checks.append(
                DomainCheck(
                    id=label + old.id,
                    recorded=outcome_label(old),
                    now=outcome_label(new),
                    same=not differences,
                    differences=sorted(differences),
                )
            )
        for new in now_by_id.values():
            checks.append(
                DomainCheck(id=label + new.id, recorded=None, now=outcome_label(new), same=False, differences=["new"])
            )
    same = all(c.same for c in checks)
    status = "differs" if not same else ("reproduced, inputs changed" if changed else "reproduced")
    return Reproduction(**base, status=status, domains=checks)


# ----------------------------------------------------------------------------- history


class ScoreMove(BaseModel):
    score: str
    before: float | None
    after: float | None


class ThresholdMove(BaseModel):
    score: str
    before: str  # ">= 4 (rules)"
    after: str


class DigestMove(BaseModel):
    file: str
    before: str | None
    after: str | None


class PathParting(BaseModel):
    """The first test the two paths answer differently (or the first node they differ at)."""

    node: str
    node_name: str
    before: str  # "economic 2 < 4 (fails) -> no"
    after: str


class Change(BaseModel):
    """What differs between two consecutive recorded results of one domain."""

    outcome_before: str
    outcome_after: str
    scores: list[ScoreMove]
    thresholds: list[ThresholdMove]
    rules_files: list[DigestMove]
    rules_dir: DigestMove | None
    profile_file: DigestMove | None
    tool_version: DigestMove | None
    parting: PathParting | None


class HistoryEntry(BaseModel):
    """One recorded result of a domain, and what changed it since the previous one."""

    run_id: int
    created_at: str
    by: str
    command: str
    outcome: str
    category: str
    variant: str | None
    leaf: str | None
    changed: bool  # the category (with variant) or the leaf differs from the previous entry
    change: Change | None  # None for the first entry and when nothing changed


def _threshold_key(threshold: ThresholdUsed | None) -> tuple | None:
    return None if threshold is None else (threshold.value, threshold.op, threshold.origin)


def _threshold_text(threshold: ThresholdUsed | None) -> str:
    if threshold is None:
        return "none"
    return f"{threshold.op} {threshold.value:g} ({threshold.origin})"


def _step_text(step) -> str:
    from decision.model.wording import reading_text

    joiner = " or " if step.combine == "any" else " and "
    return f"{joiner.join(reading_text(r) for r in step.readings)} -> {step.outcome}"


def _parting(before: DomainResult, after: DomainResult) -> PathParting | None:
    for old, new in zip(before.path, after.path, strict=False):
        if old.node != new.node:
            return PathParting(
                node=f"{old.node}/{new.node}", node_name=old.node_name, before=_step_text(old), after=_step_text(new)
            )
        if old.outcome != new.outcome:
            return PathParting(node=old.node, node_name=old.node_name, before=_step_text(old), after=_step_text(new))
    if len(before.path) != len(after.path):
        shorter, longer = sorted((before.path, after.path), key=len)
        step = longer[len(shorter)]
        text = _step_text(step)
        end = "(path ends)"
        return PathParting(
            node=step.node,
            node_name=step.node_name,
            before=text if longer is before.path else end,
            after=text if longer is after.path else end,
        )
    return None


def what_changed(old_record: RunRecord, old: DomainResult, new_record: RunRecord, new: DomainResult) -> Change:
    """Scores, thresholds, rules files, profile file, tool version and the path's parting
    between two recorded results of one domain."""
    scores = []
    for name in list(dict.fromkeys([*old.scores, *new.scores])):
        before = old.scores[name].value if name in old.scores else None
        after = new.scores[name].value if name in new.scores else None
        if before != after:
            scores.append(ScoreMove(score=name, before=before, after=after))
    thresholds = []
    for name in list(dict.fromkeys([*old.thresholds, *new.thresholds])):
        before_t, after_t = old.thresholds.get(name), new.thresholds.get(name)
        if _threshold_key(before_t) != _threshold_key(after_t):
            thresholds.append(
                ThresholdMove(score=name, before=_threshold_text(before_t), after=_threshold_text(after_t))
            )
    old_rules, new_rules = old_record.rules_by_name(), new_record.rules_by_name()
    rules_files = [
        DigestMove(file=name, before=old_rules.get(name), after=new_rules.get(name))
        for name in dict.fromkeys([*old_rules, *new_rules])
        if old_rules.get(name) != new_rules.get(name)
    ]

    def profile_sha(record: RunRecord, result: DomainResult) -> tuple[str, str | None]:
        path = _absolute(result.file, record.cwd)
        return path, next((f.sha256 for f in record.inputs if f.path == path), None)

    old_path, old_sha = profile_sha(old_record, old)
    new_path, new_sha = profile_sha(new_record, new)
    profile_file = None
    if (old_path, old_sha) != (new_path, new_sha):
        name = new_path if old_path == new_path else f"{old_path} -> {new_path}"
        profile_file = DigestMove(file=name, before=old_sha, after=new_sha)
    return Change(
        outcome_before=outcome_label(old) or "",
        outcome_after=outcome_label(new) or "",
        scores=scores,
        thresholds=thresholds,
        rules_files=rules_files,
        rules_dir=(
            DigestMove(file="rules folder", before=old_record.rules_dir, after=new_record.rules_dir)
            if old_record.rules_dir != new_record.rules_dir
            else None
        ),
        profile_file=profile_file,
        tool_version=(
            DigestMove(file="decision", before=old_record.tool_version, after=new_record.tool_version)
            if old_record.tool_version != new_record.tool_version
            else None
        ),
        parting=_parting(old, new),
    )


def domain_history(records: Sequence[RunRecord], domain_id: str) -> list[HistoryEntry]:
    """Every recorded result of one domain, oldest first, each with what changed it."""
    entries: list[HistoryEntry] = []
    previous: tuple[RunRecord, DomainResult] | None = None
    for record in records:
        result = record.result(domain_id)
        if result is None:
            continue
        changed, change = False, None
        if previous is not None:
            old_record, old = previous
            outcome_moved = (old.category, old.variant) != (result.category, result.variant)
            leaf_moved = (old.leaf.code if old.leaf else None) != (result.leaf.code if result.leaf else None)
            if outcome_moved or leaf_moved:
                changed, change = True, what_changed(old_record, old, record, result)
        entries.append(
            HistoryEntry(
                run_id=record.run_id,
                created_at=record.created_at,
                by=record.by,
                command=record.command,
                outcome=outcome_label(result) or "",
                category=result.category,
                variant=result.variant,
                leaf=result.leaf.code if result.leaf else None,
                changed=changed,
                change=change,
            )
        )
        previous = (record, result)
    return entries
