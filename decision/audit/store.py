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

File format (schema version 2)
------------------------------
``PRAGMA user_version`` = 2 and a ``meta`` table (``application`` =
``decision-audit``, ``schema_version``, ``store_id`` (a UUID naming the store in
checkpoints), ``last_run``, ``last_hash``). Table ``runs`` holds one row per run:
``run_id`` (the sequence number), ``content`` (canonical JSON: keys sorted, no
whitespace, UTF-8, no NaN), ``prev_hash`` and ``hash``, plus copies of ``created_at``,
``run_by`` and ``command`` for queries. ``hash = sha256(prev_hash + content)`` over the
UTF-8 bytes, hex; the first run's ``prev_hash`` is 64 zeros. The stored ``content`` text
is what is hashed, so verification never depends on re-serialising it.

Table ``blobs`` holds content by its SHA-256 (``sha256``, ``size``, ``content``
zlib-compressed): every profile, rules and sheet file a run read, byte for byte, each
domain's result (canonical JSON), and the lists that tie them to a run. A blob read by 20
runs is stored once. A schema-2 run's content names them by hash: ``manifest`` (the files
read: ``kind``, ``path`` (absolute), ``shown`` (as the results name it), ``sha256``),
``results`` and ``hypothetical`` (the result hashes, in order) and ``results_root``
(the Merkle root over the result hashes, for one-domain proofs). Since the hashes are in
the hashed content, the chain covers every blob a run names. Runs of schema 1 (before
inputs were stored) keep their content as it was: every result inline, files by path and
SHA-256 only.

Triggers refuse UPDATE and DELETE on ``runs`` and ``blobs``;
``meta.last_run``/``last_hash`` make a deleted last run visible. Opening a schema-1 store
for recording migrates it in place (adds ``blobs``, a ``store_id``, schema 2); its runs
and their hashes are untouched.

Writes happen in one ``BEGIN IMMEDIATE`` transaction that reads the last run, assigns
the next ``run_id`` and time, inserts the blobs and the run; a busy timeout makes a
second writer wait for the first instead of failing, so concurrent runs never lose a
record or fork the chain. The rollback journal (SQLite's default) keeps the store a
single file; a writer killed mid-run leaves a journal that the next opening rolls back
(the killed run is absent, never half there).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import uuid
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from decision import tool_version
from decision.errors import DecisionError
from decision.model.result import DomainResult, ThresholdUsed

SCHEMA_VERSION = 2
READABLE_SCHEMAS = (1, 2)
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
_BLOBS = """
CREATE TABLE blobs (
    sha256  TEXT PRIMARY KEY,
    size    INTEGER NOT NULL,
    content BLOB NOT NULL
);
CREATE TRIGGER blobs_no_update BEFORE UPDATE ON blobs
BEGIN SELECT RAISE(ABORT, 'decision audit store: blobs are append-only'); END;
CREATE TRIGGER blobs_no_delete BEFORE DELETE ON blobs
BEGIN SELECT RAISE(ABORT, 'decision audit store: blobs are append-only'); END;
"""
GUARD_TRIGGERS = ("runs_no_update", "runs_no_delete", "blobs_no_update", "blobs_no_delete")


class AuditStoreError(DecisionError):
    """The audit store is missing, corrupt, foreign, too new, or a run is not in it."""


class FileDigest(BaseModel):
    """One file a run read: its absolute path and the SHA-256 of its bytes then; for
    schema-2 runs also how results name it (``shown``) and its size (its bytes are a blob)."""

    model_config = ConfigDict(frozen=True)

    path: str
    sha256: str
    shown: str | None = None
    size: int | None = None


class RunRecord(BaseModel):
    """One recorded run (see the module docstring for every field)."""

    model_config = ConfigDict(populate_by_name=True)

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
    # Schema 2: the inputs' bytes are in the store; the result hashes, in order, and their root.
    schema_version: int = Field(1, alias="schema")
    result_hashes: list[str] = []
    results_root: str | None = None
    content: str = ""  # the hashed text of the run, as stored

    @property
    def self_contained(self) -> bool:
        """True when the run's input files are stored with it (schema 2)."""
        return self.schema_version >= 2

    def result(self, domain_id: str) -> DomainResult | None:
        """This run's result for one domain (None when the run did not classify it)."""
        return next((r for r in self.results if r.id == domain_id), None)

    def command_line(self) -> str:
        """The run as a command line, e.g. ``decision classify domains --threshold science=4.5``."""
        return " ".join(["decision", self.command, *(_shell_word(a) for a in self.args)])

    def rules_by_name(self) -> dict[str, str]:
        """Rules file name (relative to the rules folder, e.g. readings/x.yaml) -> SHA-256."""
        return {(f.shown or Path(f.path).name): f.sha256 for f in self.rules}

    def readings(self) -> list[str]:
        """The readings the run applied, in order (their files are among its rules)."""
        from decision.inputs.readings import readings_in_digests

        return readings_in_digests(self.rules_by_name())


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


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of bytes, hex."""
    return hashlib.sha256(data).hexdigest()


def result_bytes(result: DomainResult | dict[str, Any]) -> bytes:
    """The stored form of one domain's result: its canonical JSON, UTF-8."""
    data = result if isinstance(result, dict) else result.model_dump(mode="json")
    return canonical_json(data).encode("utf-8")


def results_merkle_root(result_hashes: Sequence[str]) -> str:
    """The Merkle root over a run's result hashes (leaves: the 32 bytes of each hash)."""
    from decision.audit.merkle import root

    return root([bytes.fromhex(h) for h in result_hashes]).hex()


def _shell_word(text: str) -> str:
    if text and re.fullmatch(r"[A-Za-z0-9_./=:+,@%-]+", text):
        return text
    return "'" + text.replace("'", "'\"'\"'") + "'"


def _sqlite_message(exc: sqlite3.Error | UnicodeDecodeError) -> str:
    if isinstance(exc, UnicodeDecodeError):
        # SQLite's own message about a damaged page can itself hold the damaged bytes.
        return "the file is damaged (SQLite reports bytes that are not text)"
    return str(exc).rstrip(".")


# ----------------------------------------------------------------------------- the store


def _decoded(data: bytes) -> str:
    return data.decode("utf-8", "replace")


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
            # Read-only commands never write, but open a writable file read-write: a writer
            # killed mid-run leaves a hot journal that only a read-write connection may roll
            # back; read-only, SQLite would refuse every read until the next writer came.
            writable = os.access(path, os.W_OK) and os.access(path.resolve().parent, os.W_OK)
            uri = path.resolve().as_uri() + ("?mode=rw" if writable else "?mode=ro")
            connection = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        raise AuditStoreError(f"{path}: cannot open the audit store: {_sqlite_message(exc)}") from None
    # A corrupted byte in a stored text must not surface as a UnicodeDecodeError from deep in
    # sqlite3: decoded with a replacement character, the text no longer matches its hash,
    # and the chain check reports the run as broken, in words.
    connection.text_factory = _decoded
    store = AuditStore(path, connection, writable=create)
    try:
        store._prepare(create)
    except AuditStoreError:
        connection.close()
        raise
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        connection.close()
        raise AuditStoreError(f"{path}: not a decision audit store ({_sqlite_message(exc)})") from None
    return store


class AuditStore:
    """An open audit store. Obtain one with :func:`open_store`."""

    def __init__(self, path: Path, connection: sqlite3.Connection, *, writable: bool):
        self.path = path
        self._db = connection
        self._writable = writable
        self.schema_version = SCHEMA_VERSION
        self._blob_cache: dict[str, bytes] = {}
        self._result_cache: dict[str, DomainResult] = {}
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
        # One read transaction, so both reads see the same state: another process may be
        # creating the schema at this moment, and seeing its tables but not yet its
        # version would make a new store look foreign.
        self._db.execute("BEGIN")
        try:
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            tables = self._tables()
        finally:
            self._db.execute("COMMIT")
        if not tables and version == 0:
            if not create:
                raise AuditStoreError(f"{self.path}: not a decision audit store (an empty file or database)")
            self._create_schema()
            return
        self._check_identity(version, tables)
        if create and version < SCHEMA_VERSION:
            self._migrate()

    def _create_schema(self) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have created it while we waited for the lock.
            if self._tables() or db.execute("PRAGMA user_version").fetchone()[0] != 0:
                db.execute("ROLLBACK")
                self._check_identity(db.execute("PRAGMA user_version").fetchone()[0], self._tables())
                return
            for statement in (_SCHEMA + _BLOBS).split(";\n"):
                if statement.strip():
                    db.execute(statement)
            tool = tool_version()
            db.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [
                    ("application", APPLICATION),
                    ("schema_version", str(SCHEMA_VERSION)),
                    ("created_at", utc_now()),
                    ("created_by_tool", f"decision {tool}"),
                    ("last_run", "0"),
                    ("last_hash", GENESIS_HASH),
                    ("store_id", str(uuid.uuid4())),
                ],
            )
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def _migrate(self) -> None:
        """Schema 1 -> 2, in place: add the blobs table and a store id. Runs are untouched."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version == 1:
                for statement in _BLOBS.split(";\n"):
                    if statement.strip():
                        db.execute(statement)
                db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('store_id', ?)", (str(uuid.uuid4()),))
                db.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
                )
                db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('migrated_at', ?)", (utc_now(),))
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
            except (sqlite3.DatabaseError, UnicodeDecodeError):
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
        if version not in READABLE_SCHEMAS:
            raise AuditStoreError(f"{self.path}: not a decision audit store (schema version {version})")
        self.schema_version = version

    # -- reading

    def _rows(self, upto: int | None = None) -> list[_Row]:
        query = "SELECT run_id, created_at, run_by, command, content, prev_hash, hash FROM runs"
        params: tuple = ()
        if upto is not None:
            query += " WHERE run_id <= ?"
            params = (upto,)
        try:
            return [_Row(*row) for row in self._db.execute(query + " ORDER BY run_id", params)]
        except (sqlite3.Error, UnicodeDecodeError) as exc:
            raise AuditStoreError(f"{self.path}: cannot read the runs: {_sqlite_message(exc)}") from None

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    # -- blobs

    def blob(self, sha256: str) -> bytes:
        """The bytes stored under ``sha256``, checked against it."""
        if sha256 in self._blob_cache:
            return self._blob_cache[sha256]
        try:
            row = self._db.execute("SELECT size, content FROM blobs WHERE sha256 = ?", (sha256,)).fetchone()
        except (sqlite3.Error, UnicodeDecodeError) as exc:
            raise AuditStoreError(f"{self.path}: cannot read blob {sha256[:12]}: {_sqlite_message(exc)}") from None
        if row is None:
            raise AuditStoreError(f"{self.path}: blob {sha256[:12]}... is missing (deleted?)")
        try:
            data = zlib.decompress(row[1])
        except (zlib.error, TypeError):
            raise AuditStoreError(f"{self.path}: blob {sha256[:12]}... is corrupt (cannot be decompressed)") from None
        if sha256_hex(data) != sha256 or len(data) != row[0]:
            raise AuditStoreError(f"{self.path}: blob {sha256[:12]}... does not match its hash (edited)")
        self._blob_cache[sha256] = data
        return data

    def _json_blob(self, sha256: str) -> Any:
        try:
            return json.loads(self.blob(sha256))
        except ValueError:
            raise AuditStoreError(f"{self.path}: blob {sha256[:12]}... is not JSON") from None

    def stored_result(self, sha256: str) -> DomainResult:
        """One stored domain result (parsed once per store, however many runs share it)."""
        if sha256 not in self._result_cache:
            try:
                self._result_cache[sha256] = DomainResult.model_validate(self._json_blob(sha256))
            except ValidationError as exc:
                first = str(exc).splitlines()[0]
                raise AuditStoreError(f"{self.path}: result {sha256[:12]}... cannot be read ({first})") from None
        return self._result_cache[sha256]

    # -- records

    def _record(self, row: _Row) -> RunRecord:
        try:
            data = json.loads(row.content)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            if data.get("schema", 1) >= 2:
                data = self._resolve(data)
            return RunRecord.model_validate(
                {**data, "prev_hash": row.prev_hash, "hash": row.hash, "content": row.content}
            )
        except (ValueError, ValidationError) as exc:
            first = str(exc).splitlines()[0]
            raise AuditStoreError(f"{self.path}: run {row.run_id} cannot be read ({first})") from None

    def _resolve(self, data: dict[str, Any]) -> dict[str, Any]:
        """A schema-2 content with its blob references replaced by what they name."""
        manifest = self._json_blob(data["manifest"])
        if not isinstance(manifest, list):
            raise ValueError("its manifest is not a list")
        files: dict[str, list[dict[str, Any]]] = {"profile": [], "rules": [], "sheet": []}
        for entry in manifest:
            files[entry["kind"]].append({k: entry[k] for k in ("path", "sha256", "shown", "size")})
        hashes = self._json_blob(data["results"])
        hypothetical = self._json_blob(data["hypothetical"])
        return {
            **data,
            "inputs": files["profile"],
            "rules": files["rules"],
            "sheets": files["sheet"],
            "results": [self.stored_result(h) for h in hashes],
            "hypothetical": [self.stored_result(h) for h in hypothetical],
            "result_hashes": hashes,
        }

    def records(self) -> list[RunRecord]:
        """Every run, oldest first."""
        return [self._record(row) for row in self._rows()]

    def get(self, run_id: int) -> RunRecord:
        """One run by its id."""
        try:
            row = self._db.execute(
                "SELECT run_id, created_at, run_by, command, content, prev_hash, hash FROM runs WHERE run_id = ?",
                (run_id,),
            ).fetchone()
        except (sqlite3.Error, UnicodeDecodeError) as exc:
            raise AuditStoreError(f"{self.path}: cannot read run {run_id}: {_sqlite_message(exc)}") from None
        if row is None:
            ids = [r[0] for r in self._db.execute("SELECT run_id FROM runs ORDER BY run_id")]
            have = f"runs {ids[0]}-{ids[-1]}" if ids else "no runs"
            raise AuditStoreError(f"{self.path}: no run {run_id} (the store holds {have})")
        return self._record(_Row(*row))

    def run_ids(self) -> list[int]:
        """The ids of every run, ascending."""
        return [r[0] for r in self._db.execute("SELECT run_id FROM runs ORDER BY run_id")]

    def store_id(self) -> str:
        """The store's name in checkpoints (a UUID; a schema-1 store read without
        migrating is named after its creation time)."""
        stored = self._meta("store_id")
        if stored:
            return stored
        return "schema1-" + sha256_hex((self._meta("created_at") or "").encode())[:16]

    # -- writing

    def append(self, content: dict[str, Any], blobs: dict[str, bytes] | None = None) -> RunRecord:
        """Append one run. ``content`` holds every field of the stored content except
        ``run_id`` and ``created_at``, which are assigned here, inside the writing
        transaction; ``blobs`` the bytes it names by hash (stored once each)."""
        if not self._writable:
            raise AuditStoreError(f"{self.path}: opened read-only")
        blobs = blobs or {}
        for sha, data in blobs.items():
            if sha256_hex(data) != sha:
                raise AuditStoreError(f"{self.path}: refusing a blob whose bytes do not match its hash")
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                last = db.execute("SELECT run_id, hash FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()
                run_id, prev_hash = (1, GENESIS_HASH) if last is None else (last[0] + 1, last[1])
                data = {**content, "run_id": run_id, "created_at": utc_now()}
                text = canonical_json(data)
                digest = chain_hash(prev_hash, text)
                for sha, raw in blobs.items():
                    # Most blobs of a repeated run are stored already: compressing them
                    # again only to be ignored was a fifth of the time of a record.
                    if db.execute("SELECT 1 FROM blobs WHERE sha256 = ?", (sha,)).fetchone() is None:
                        db.execute(
                            "INSERT INTO blobs (sha256, size, content) VALUES (?, ?, ?)",
                            (sha, len(raw), zlib.compress(raw, 6)),
                        )
                row = _Row(run_id, data["created_at"], data["by"], data["command"], text, prev_hash, digest)
                # Never write what cannot be read back.
                record = self._record(row)
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
        except (sqlite3.Error, UnicodeDecodeError) as exc:
            raise AuditStoreError(f"{self.path}: cannot record the run: {_sqlite_message(exc)}") from None
        return record

    # -- anchoring

    def record_hashes(self, upto: int | None = None) -> list[str]:
        """The stored hash of every run 1..``upto`` (all when None), in order."""
        return [row.hash for row in self._rows(upto)]

    def checkpoint(self):
        """A checkpoint of the store as it is now (see ``decision.audit.checkpoint``)."""
        from decision.audit.checkpoint import Checkpoint
        from decision.audit.merkle import root

        hashes = self.record_hashes()
        return Checkpoint(
            store=self.store_id(),
            runs=len(hashes),
            head=hashes[-1] if hashes else GENESIS_HASH,
            root=root([bytes.fromhex(h) for h in hashes]).hex(),
            time=utc_now(),
        )

    def extends(self, checkpoint) -> list[str]:
        """Why the store does not extend ``checkpoint`` (empty when it does): the first
        ``checkpoint.runs`` runs must have the same head and Merkle root."""
        from decision.audit.merkle import root

        problems = []
        if checkpoint.store != self.store_id():
            problems.append(f"the checkpoint is of store {checkpoint.store}, this store is {self.store_id()}")
        hashes = self.record_hashes(checkpoint.runs)
        if len(hashes) < checkpoint.runs:
            problems.append(f"the checkpoint counts {checkpoint.runs} runs, the store holds {len(hashes)} (truncated)")
            return problems
        head = hashes[-1] if hashes else GENESIS_HASH
        if head != checkpoint.head:
            problems.append(f"run {checkpoint.runs} has hash {head[:12]}..., the checkpoint {checkpoint.head[:12]}...")
        got = root([bytes.fromhex(h) for h in hashes]).hex()
        if got != checkpoint.root:
            problems.append(
                f"the root over runs 1-{checkpoint.runs} is {got[:12]}..., the checkpoint's {checkpoint.root[:12]}... "
                "(a run before the checkpoint was rewritten, or the store forked)"
            )
        return problems

    # -- verifying

    def check_chain(self, upto: int | None = None) -> ChainReport:
        """Recompute every hash and link of runs 1..``upto`` (all when None).

        Finds an edited run (content or hash), a deleted run (a gap in the ids, a broken
        link, or fewer runs than ``meta.last_run`` says), and reordered rows (content
        naming another run id, broken links).
        """
        rows = self._rows(upto)
        problems: list[ChainProblem] = self._store_problems()
        checked: set[str] = set()
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
                if data.get("schema", 1) >= 2:
                    for message in self._blob_problems(data, checked):
                        say(ChainProblem(row.run_id, message))
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

    def _store_problems(self) -> list[ChainProblem]:
        """Problems of the store as a whole (run 0): guards removed, schema marks that disagree."""
        problems = []
        triggers = {name for (name,) in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        expected = GUARD_TRIGGERS if self.schema_version >= 2 else GUARD_TRIGGERS[:2]
        missing = [name for name in expected if name not in triggers]
        if missing:
            problems.append(
                ChainProblem(0, f"the guard triggers {', '.join(missing)} are missing: rows could be edited unseen")
            )
        recorded = self._meta("schema_version")
        if recorded != str(self.schema_version):
            problems.append(
                ChainProblem(0, f"the schema version says {self.schema_version}, the meta table {recorded}")
            )
        return problems

    def _blob_problems(self, data: dict[str, Any], checked: set[str]) -> list[str]:
        """What is wrong with the blobs a schema-2 run names (each blob checked once)."""
        problems: list[str] = []

        def check(sha: Any, what: str) -> bytes | None:
            if not isinstance(sha, str):
                problems.append(f"its {what} is not a hash")
                return None
            try:
                data_bytes = self.blob(sha)
            except AuditStoreError as exc:
                problems.append(f"its {what}: {str(exc).split(': ', 1)[-1]}")
                return None
            checked.add(sha)
            return data_bytes

        lists = {}
        for name in ("manifest", "results", "hypothetical"):
            raw = check(data.get(name), name)
            try:
                lists[name] = json.loads(raw) if raw is not None else None
            except ValueError:
                problems.append(f"its {name} is not JSON")
                lists[name] = None
        for entry in lists.get("manifest") or []:
            sha = entry.get("sha256") if isinstance(entry, dict) else None
            if sha not in checked:
                check(sha, f"stored file {entry.get('shown') or entry.get('path')}")
        for name in ("results", "hypothetical"):
            for sha in lists.get(name) or []:
                if sha not in checked:
                    check(sha, "stored result")
        if lists.get("results") is not None and data.get("results_root") != results_merkle_root(lists["results"]):
            problems.append("its results_root does not match its results")
        return problems


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
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """What :meth:`AuditStore.append` stores for one run: its content and the blobs it
    names, reading every input file now.

    ``rulebook`` is the :class:`~decision.inputs.rulebook.Rulebook` in force (thresholds
    overridden), ``profiles`` the :class:`~decision.inputs.profiles.DomainProfile` objects read,
    ``sheets`` the :class:`~decision.inputs.sheets.Sheets` of a workshop run.
    """
    blobs: dict[str, bytes] = {}

    def keep(data: bytes) -> str:
        sha = sha256_hex(data)
        blobs[sha] = data
        return sha

    manifest: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()

    def read(kind: str, raw: str, shown: str) -> str:
        path = os.path.abspath(raw)
        if (kind, path) in seen:
            return ""
        seen.add((kind, path))
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise AuditStoreError(f"{raw}: cannot read the file to record it ({exc.strerror})") from None
        sha = keep(data)
        manifest.append({"kind": kind, "path": path, "shown": shown, "sha256": sha, "size": len(data)})
        return sha

    for profile in profiles:
        read("profile", profile.file, profile.file)
    rules_dir = Path(rulebook.directory)
    for name, loaded in rulebook.file_digests.items():
        # The rules files as loaded must be the ones stored now (a file edited in between is refused).
        if read("rules", str(rules_dir / name), name) != loaded:
            raise AuditStoreError(f"{rules_dir / name}: changed while the run was in progress; run it again")
    sheets_dir = None
    if sheets is not None:
        sheets_dir = os.path.abspath(sheets.directory)
        for sheet in sheets.sheets:
            read("sheet", sheet.file, sheet.file)
    result_hashes = [keep(result_bytes(r)) for r in results]
    hypothetical_hashes = [keep(result_bytes(r)) for r in hypothetical]
    content: dict[str, Any] = {
        "schema": 2,
        "by": by,
        "command": command,
        "args": list(args),
        "params": params,
        "tool_version": tool_version(),
        "cwd": os.getcwd(),
        "rules_dir": os.path.abspath(rules_dir),
        "sheets_dir": sheets_dir,
        "thresholds": {
            name: ThresholdUsed(
                value=t.value, op=t.op, origin=t.origin, meaning=t.meaning, interpretation=t.interpretation
            ).model_dump(mode="json")
            for name, t in rulebook.thresholds.items()
        },
        "manifest": keep(canonical_json(manifest).encode("utf-8")),
        "results": keep(canonical_json(result_hashes).encode("utf-8")),
        "results_root": results_merkle_root(result_hashes),
        "hypothetical": keep(canonical_json(hypothetical_hashes).encode("utf-8")),
    }
    return content, blobs


# ----------------------------------------------------------------------------- labels


def outcome_label(result: DomainResult | None) -> str | None:
    """'ecosystem-gap (VL05)', 'no-focus/partnership (VL11)', 'undetermined'."""
    if result is None:
        return None
    label = result.category if result.variant is None else f"{result.category}/{result.variant}"
    return f"{label} ({result.leaf.code})" if result.leaf else label


def _absolute(path: str, cwd: str) -> str:
    return os.path.normpath(os.path.join(cwd, path))


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
