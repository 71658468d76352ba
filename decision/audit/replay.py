"""Replaying recorded runs: from their stored inputs, and against the files as they are now.

A schema-2 run is replayed from the bytes the store keeps of every file it read: they are
written to a temporary folder laid out as the run's working folder was, the command runs
there under the stored rules and the recorded thresholds, and every result must come out
identical (which engine walks the tree is left out of the comparison: the engines are
proven to agree). This depends neither on the working folder, nor on the install path,
nor on whether the original files still exist. Runs with the same stored inputs, command
and parameters are replayed once.

Separately, and only as information, the files are compared with the recorded ones where
they still are; when some changed, the run is repeated on them to say what the outcome
would be now. A schema-1 run (stored before inputs were kept) can only be re-run on the
files now, as before.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from decision import tool_version
from decision.audit.store import (
    AuditStore,
    RunRecord,
    _absolute,
    canonical_json,
    file_sha256,
    outcome_label,
    sha256_hex,
)
from decision.errors import DecisionError
from decision.model.result import DomainResult

FileKind = Literal["profile", "rules", "sheet"]


class FileChange(BaseModel):
    """A recorded file whose bytes differ now (``now`` None: missing or unreadable; ``recorded``
    None: a file the run did not read but a run now would)."""

    kind: FileKind
    path: str
    recorded: str | None
    now: str | None


class DomainCheck(BaseModel):
    """One domain: the recorded outcome against the replayed one."""

    id: str
    recorded: str | None  # "ecosystem-gap (VL05)"; None for a domain only the replay has
    now: str | None  # None when the replay has no result for it
    same: bool
    differences: list[str]  # top-level result fields that differ ("category", "path", ...)


class LiveOutcome(BaseModel):
    """What a domain's outcome would be on the files as they are now."""

    id: str
    recorded: str | None
    now: str | None


class Reproduction(BaseModel):
    """Replaying one recorded run, and what the files as they are now would give."""

    run_id: int
    command: str
    # "reproduced": identical from what the run itself recorded; "differs": not; "cannot
    # re-run": the replay failed (a schema-1 run whose files no longer load, say).
    status: Literal["reproduced", "differs", "cannot re-run"]
    replayed_from: Literal["stored inputs", "files now"]
    domains: list[DomainCheck]
    error: str | None = None
    tool_version: str  # the one recorded
    tool_version_now: str
    # Information: files changed since the run, and the outcomes they would give now.
    changed_files: list[FileChange] = []
    live_outcomes: list[LiveOutcome] = []
    live_error: str | None = None
    consistency: list[str] = []  # a result whose category and leaf disagree, and the like

    @property
    def ok(self) -> bool:
        return self.status == "reproduced" and not self.consistency


# ----------------------------------------------------------------------------- running a record


def _thresholds_rulebook(rulebook, record: RunRecord):
    by_origin: dict[str, dict[str, float]] = {}
    for name, threshold in record.thresholds.items():
        if threshold.origin != "rules":
            by_origin.setdefault(threshold.origin, {})[name] = threshold.value
    for origin, overrides in by_origin.items():
        rulebook = rulebook.with_thresholds(overrides, origin=origin)
    return rulebook


def _run(
    record: RunRecord, rules_dir: Path, profile_paths: list[Path], sheets_dir: Path | None
) -> tuple[list[DomainResult], list[DomainResult], dict[str, str]]:
    """The record's command again on the given files, under its thresholds.
    Returns the results, the hypothetical results, and the rules files' digests."""
    from decision.analyses.margins import with_fragility
    from decision.engine.walk import Engine, classify_all
    from decision.inputs.profiles import load_profiles
    from decision.inputs.rulebook import load_rulebook

    rulebook = _thresholds_rulebook(load_rulebook(rules_dir, record.readings()), record)
    profiles = load_profiles(profile_paths, rulebook)
    params = record.params
    if record.command in ("classify", "report"):
        return with_fragility(rulebook, profiles, classify_all(profiles, rulebook)), [], rulebook.file_digests
    if record.command in ("explain", "whatif"):
        domain_id = params.get("domain_id")
        matches = [p for p in profiles if p.id == domain_id]
        if not matches:
            raise DecisionError(f'no domain with id "{domain_id}" in the files')
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

        if sheets_dir is None:
            raise DecisionError("the record names no sheets folder")
        loaded = load_sheets(sheets_dir, rulebook, [p.id for p in profiles])
        domains = analyse_workshop(profiles, loaded, rulebook)
        return [d.result for d in domains], [], rulebook.file_digests
    raise DecisionError(f'cannot re-run the command "{record.command}"')


@contextlib.contextmanager
def _working_folder(path: Path) -> Iterator[None]:
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


@dataclass
class _Replayed:
    results: list[dict[str, Any]]
    hypothetical: list[dict[str, Any]]
    error: str | None = None


def _error_text(exc: DecisionError) -> str:
    lines = str(exc).splitlines() or [type(exc).__name__]
    more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
    return lines[0] + more


def _relabelled(data: Any, prefix: str) -> Any:
    """``data`` with every string under ``prefix`` (a stand-in folder) turned back into the
    absolute path it stands for."""
    if isinstance(data, str):
        return "/" + data[len(prefix) :] if data.startswith(prefix) else data
    if isinstance(data, list):
        return [_relabelled(item, prefix) for item in data]
    if isinstance(data, dict):
        return {key: _relabelled(value, prefix) for key, value in data.items()}
    return data


def _replay_stored(store: AuditStore, record: RunRecord) -> _Replayed:
    """Run the record's command on its stored files, in a folder laid out as its own was."""
    root = Path(tempfile.mkdtemp(prefix="decision-replay-")).resolve()
    try:
        cwd, outside, rules = root / "cwd", root / "outside", root / "rules"
        for folder in (cwd, outside, rules):
            folder.mkdir()

        def place(path: str) -> Path:
            relative = os.path.relpath(path, record.cwd)
            if relative != ".." and not relative.startswith(".." + os.sep) and not os.path.isabs(relative):
                return cwd / relative
            return outside / Path(path).relative_to(Path(path).anchor)

        def write(target: Path, sha: str) -> None:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(store.blob(sha))

        for entry in record.rules:
            write(rules / (entry.shown or Path(entry.path).name), entry.sha256)
        profile_paths = []
        for entry in record.inputs:
            target = place(entry.path)
            write(target, entry.sha256)
            profile_paths.append(Path(os.path.relpath(target, cwd)) if target.is_relative_to(cwd) else target)
        for entry in record.sheets:
            write(place(entry.path), entry.sha256)
        sheets_dir = place(record.sheets_dir) if record.sheets_dir is not None else None
        if sheets_dir is not None:
            sheets_dir.mkdir(parents=True, exist_ok=True)
            sheets_dir = Path(os.path.relpath(sheets_dir, cwd)) if sheets_dir.is_relative_to(cwd) else sheets_dir
        with _working_folder(cwd):
            try:
                results, hypothetical, _ = _run(record, rules, profile_paths, sheets_dir)
            except DecisionError as exc:
                return _Replayed([], [], error=_error_text(exc))
        prefix = str(outside) + os.sep
        return _Replayed(
            [_relabelled(r.model_dump(mode="json"), prefix) for r in results],
            [_relabelled(r.model_dump(mode="json"), prefix) for r in hypothetical],
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _replay_key(record: RunRecord) -> str:
    """Runs with this key replay to the same results: same stored files, command,
    parameters and thresholds, same working folder (results name files relative to it)."""
    content = json.loads(record.content) if record.content else {}
    return sha256_hex(
        canonical_json(
            {
                "manifest": content.get("manifest"),
                "command": record.command,
                "params": record.params,
                "thresholds": {k: v.model_dump(mode="json") for k, v in record.thresholds.items()},
                "cwd": record.cwd,
                "sheets_dir": record.sheets_dir,
            }
        ).encode("utf-8")
    )


# ----------------------------------------------------------------------------- comparing


def _comparable(data: dict[str, Any], cwd: str) -> dict[str, Any]:
    """A result's JSON with its file paths made absolute (results name files relative to
    the working folder), and without the engine that walked the tree: the engines are
    proven to agree (decision rules check --engines), and a record made with
    durable-rules must verify where only zen-engine runs."""
    import re

    def absolute(location: str | None) -> str | None:
        if not location:
            return location
        match = re.fullmatch(r"(.*):(\d+)", location)
        return f"{_absolute(match[1], cwd)}:{match[2]}" if match else _absolute(location, cwd)

    data = json.loads(json.dumps(data))
    data.pop("engine", None)
    data["file"] = _absolute(data["file"], cwd)
    for group in ("scores", "factors"):
        for entry in data[group].values():
            entry["location"] = absolute(entry.get("location"))
            derivation = entry.get("derivation") or {}
            for figure in (*derivation.get("inputs", []), *derivation.get("unavailable", [])):
                figure["location"] = absolute(figure.get("location"))
    return data


def _label(data: dict[str, Any] | None) -> str | None:
    if data is None:
        return None
    label = data["category"] if data.get("variant") is None else f"{data['category']}/{data['variant']}"
    leaf = data.get("leaf")
    return f"{label} ({leaf['code']})" if leaf else label


def _same_bytes(old: DomainResult, old_hash: str | None, new: dict[str, Any]) -> bool:
    """The fast path: the replayed result, stamped with the recorded engine, hashes to the
    recorded result's hash."""
    if old_hash is None:
        return False
    return sha256_hex(canonical_json({**new, "engine": old.engine}).encode("utf-8")) == old_hash


def _checks(
    recorded: list[DomainResult],
    now: list[dict[str, Any]],
    recorded_cwd: str,
    now_cwd: str,
    label: str,
    hashes: list[str] | None = None,
) -> list[DomainCheck]:
    checks: list[DomainCheck] = []
    now_by_id = {r["id"]: r for r in now}
    for index, old in enumerate(recorded):
        new = now_by_id.pop(old.id, None)
        if new is None:
            checks.append(
                DomainCheck(
                    id=label + old.id, recorded=outcome_label(old), now=None, same=False, differences=["absent"]
                )
            )
            continue
        if _same_bytes(old, hashes[index] if hashes else None, new):
            label_now = outcome_label(old)
            checks.append(DomainCheck(id=label + old.id, recorded=label_now, now=label_now, same=True, differences=[]))
            continue
        before = _comparable(old.model_dump(mode="json"), recorded_cwd)
        after = _comparable(new, now_cwd)
        differences = sorted(key for key in before.keys() | after.keys() if before.get(key) != after.get(key))
        checks.append(
            DomainCheck(
                id=label + old.id,
                recorded=outcome_label(old),
                now=_label(new),
                same=not differences,
                differences=differences,
            )
        )
    for new in now_by_id.values():
        checks.append(
            DomainCheck(id=label + new["id"], recorded=None, now=_label(new), same=False, differences=["new"])
        )
    return checks


def consistency_problems(record: RunRecord) -> list[str]:
    """Results that contradict themselves: a category its leaf does not give."""
    problems = []
    for result in [*record.results, *record.hypothetical]:
        leaf = result.leaf
        if result.category == "undetermined" and leaf is not None:
            problems.append(f"{result.id}: undetermined, yet leaf {leaf.code} is named")
        elif leaf is not None and (leaf.category, leaf.variant) != (result.category, result.variant):
            got = result.category if result.variant is None else f"{result.category}/{result.variant}"
            gives = leaf.category if leaf.variant is None else f"{leaf.category}/{leaf.variant}"
            problems.append(f"{result.id}: category {got}, but its leaf {leaf.code} gives {gives}")
    return problems


# ----------------------------------------------------------------------------- the files now


def _changed_files(record: RunRecord) -> list[FileChange]:
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
    return changed


def _run_on_files_now(record: RunRecord) -> _Replayed:
    try:
        results, hypothetical, _ = _run(
            record,
            Path(record.rules_dir),
            [Path(f.path) for f in record.inputs],
            Path(record.sheets_dir) if record.sheets_dir is not None else None,
        )
    except DecisionError as exc:
        return _Replayed([], [], error=_error_text(exc))
    return _Replayed([r.model_dump(mode="json") for r in results], [r.model_dump(mode="json") for r in hypothetical])


class Replayer:
    """Replays records of one store, each distinct set of stored inputs once."""

    def __init__(self, store: AuditStore, *, live: bool = True):
        self.store = store
        self.live = live
        self._stored: dict[str, _Replayed] = {}
        self._now: dict[str, tuple[list[FileChange], _Replayed | None]] = {}

    def reproduce(self, record: RunRecord) -> Reproduction:
        """Replay ``record`` and compare; add what the files now would give."""
        base = {
            "run_id": record.run_id,
            "command": record.command,
            "tool_version": record.tool_version,
            "tool_version_now": tool_version(),
            "consistency": consistency_problems(record),
        }
        key = _replay_key(record)
        if record.self_contained:
            if key not in self._stored:
                self._stored[key] = _replay_stored(self.store, record)
            replayed, replayed_from, now_cwd = self._stored[key], "stored inputs", record.cwd
        else:
            replayed, replayed_from, now_cwd = _run_on_files_now(record), "files now", os.getcwd()
        changed: list[FileChange] = []
        live_outcomes: list[LiveOutcome] = []
        live_error = None
        if self.live:
            if key not in self._now:
                files = _changed_files(record)
                self._now[key] = (files, _run_on_files_now(record) if files and record.self_contained else None)
            changed, now_run = self._now[key]
            if record.self_contained and now_run is not None:
                live_error = now_run.error
                by_id = {r["id"]: r for r in now_run.results}
                for old in record.results:
                    live_outcomes.append(
                        LiveOutcome(id=old.id, recorded=outcome_label(old), now=_label(by_id.get(old.id)))
                    )
            elif not record.self_contained and changed:
                live_error = "a schema-1 record keeps no copy of its files: it can only be re-run on the files now"
        if replayed.error is not None:
            return Reproduction(
                **base,
                status="cannot re-run",
                replayed_from=replayed_from,
                domains=[],
                error=replayed.error,
                changed_files=changed,
                live_outcomes=live_outcomes,
                live_error=live_error,
            )
        checks = _checks(record.results, replayed.results, record.cwd, now_cwd, "", record.result_hashes or None)
        checks += _checks(record.hypothetical, replayed.hypothetical, record.cwd, now_cwd, "hypothetical ")
        status = "reproduced" if all(c.same for c in checks) else "differs"
        return Reproduction(
            **base,
            status=status,
            replayed_from=replayed_from,
            domains=checks,
            changed_files=changed,
            live_outcomes=live_outcomes,
            live_error=live_error,
        )


def reproduce(record: RunRecord, store: AuditStore) -> Reproduction:
    """Replay one record (see :class:`Replayer`)."""
    return Replayer(store).reproduce(record)
