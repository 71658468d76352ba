"""The workshop room's state: the profiles and rules it started with, the thresholds the
facilitator set, the participants' sheets per round, and what the analyses say of them.

Everything the page and the JSON API show is computed here by the existing analyses
(the engine's walk, margins, counterfactuals, the workshop's disagreements); this module
only keeps state and hands their results on. Sheets and rounds live in SQLite tables
(``room_*``) inside the store file, next to the audit store's own tables, so a room
survives a restart and a closed round can be recorded in the same file.

Nothing here speaks HTTP: bad values raise :class:`~decision.errors.FieldError` (the
field and why), an unknown domain a FieldError on ``id``; the server turns them into 4xx.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from decision.analyses.counterfactual import Counterfactual, counterfactual, target_labels
from decision.analyses.counterfactual import to_json as counterfactual_json
from decision.analyses.disagreements import DomainWorkshop, analyse_workshop
from decision.analyses.margins import DomainMargins, domain_margins, with_fragility
from decision.engine.walk import Engine, classify_all
from decision.errors import DecisionError, FieldError, did_you_mean
from decision.inputs.profiles import DomainProfile
from decision.inputs.rulebook import Rulebook, check_engine_number
from decision.inputs.sheets import Sheet, Sheets, participant_name, score_entry, sheet_from_mapping
from decision.model.result import DomainResult, ScoreValue
from decision.model.wording import number

# Thresholds the facilitator sets carry this origin: shown in explanations and records.
ROOM_ORIGIN = "room"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS room_rounds (
    number INTEGER PRIMARY KEY,
    opened_at TEXT NOT NULL,
    closed_at TEXT,
    run_id INTEGER
);
CREATE TABLE IF NOT EXISTS room_sheets (
    round INTEGER NOT NULL,
    participant TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    scores TEXT NOT NULL,
    PRIMARY KEY (round, participant)
);
CREATE TABLE IF NOT EXISTS room_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
)
"""


class RoomStoreError(DecisionError):
    """The store file cannot hold a room, or what it holds is not a valid room."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class RoundInfo:
    """One round: when it opened and closed, and the audit run recording it (if any)."""

    number: int
    opened_at: str
    closed_at: str | None
    run_id: int | None

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "opened_at": self.opened_at, "closed_at": self.closed_at, "run_id": self.run_id}


@dataclass(frozen=True)
class Evaluation:
    """One domain as the page shows it: the result and its margins."""

    profile: DomainProfile
    result: DomainResult
    margins: DomainMargins
    changed: list[str]  # scores that differ from the profile

    def to_json(self, nearest: list[Counterfactual] | None = None) -> dict[str, Any]:
        """The object of ``explain --format json``, plus ``margins`` (and ``nearest`` when given)."""
        data = {**self.result.model_dump(mode="json"), "margins": self.margins.model_dump(mode="json")}
        if nearest is not None:
            data["nearest"] = [counterfactual_json(c) for c in nearest]
        return data


class Room:
    """One workshop: profiles and rules fixed at start, thresholds and sheets changing."""

    def __init__(self, rulebook: Rulebook, profiles: list[DomainProfile], store: Path):
        if not profiles:
            raise DecisionError("no domains to show: give profile files or folders")
        self.base = rulebook
        self.profiles = {p.id: p for p in profiles}
        self.store = Path(store)
        self._db = self._open(self.store)
        self._thresholds: dict[str, float] = {}
        self._cache: OrderedDict[tuple, Any] = OrderedDict()
        saved = self._setting("thresholds")
        if saved is not None:
            self.set_thresholds(saved, field="store room_settings.thresholds")
        if self._db.execute("SELECT COUNT(*) FROM room_rounds").fetchone()[0] == 0:
            self._db.execute("INSERT INTO room_rounds (number, opened_at) VALUES (1, ?)", (_now(),))
        # Read every stored sheet once now: a store edited by hand fails at start, not mid-workshop.
        for info in self.rounds():
            self.sheets(info.number)

    # -- the store

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        from decision.audit.store import open_store

        # The audit store's tables first (the file may be new): a round is recorded there.
        with open_store(path, create=True):
            pass
        try:
            connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            # A corrupted stored text is caught by re-checking each sheet, not by a decode crash.
            connection.text_factory = lambda data: data.decode("utf-8", "replace")
            connection.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise RoomStoreError(f"{path}: cannot keep the room's sheets in this file: {exc}") from None
        return connection

    def close(self) -> None:
        """Release the store file."""
        self._db.close()

    def _setting(self, key: str) -> Any:
        row = self._db.execute("SELECT value FROM room_settings WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            return json.loads(row[0])
        except ValueError:
            raise RoomStoreError(f"{self.store}: room_settings.{key} is not valid JSON") from None

    # -- thresholds

    @property
    def rulebook(self) -> Rulebook:
        """The rules with the facilitator's thresholds in force."""
        return self.base.with_thresholds(self._thresholds, origin=ROOM_ORIGIN)

    @property
    def thresholds_changed(self) -> dict[str, tuple[float, float]]:
        """Thresholds that differ from the rules folder: name -> (rules value, value in force)."""
        base = self.base.thresholds
        return {n: (base[n].value, v) for n, v in self._thresholds.items() if v != base[n].value}

    def _checked_thresholds(self, given: Any, field: str = "thresholds") -> dict[str, float]:
        if not isinstance(given, dict):
            raise FieldError(field, "expected a mapping of threshold name to number")
        checked: dict[str, float] = {}
        scale = self.base.scale
        for name, value in given.items():
            where = f"{field}.{name}"
            if isinstance(value, bool) or not isinstance(value, int | float):
                if name in self.base.thresholds:
                    raise FieldError(where, f"expected a number {scale.min:g}-{scale.max:g}")
                value = math.nan  # the name is reported first
            value = float(value)
            problem = self.base.threshold_problem(str(name), value)
            if problem is not None:
                raise FieldError(where, problem)
            try:
                check_engine_number(value)  # what the rules files refuse, the room refuses too
            except ValueError as exc:
                raise FieldError(where, str(exc)) from None
            checked[name] = value
        return checked

    def set_thresholds(self, given: Any, field: str = "thresholds") -> None:
        """Put the facilitator's thresholds in force (replacing earlier ones; {} resets to the rules)."""
        checked = self._checked_thresholds(given, field)
        self._thresholds = {n: v for n, v in checked.items() if v != self.base.thresholds[n].value}
        self._db.execute(
            "INSERT INTO room_settings (key, value) VALUES ('thresholds', ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (json.dumps(self._thresholds),),
        )

    def thresholds_json(self) -> dict[str, Any]:
        """The thresholds in force, each with the rules' own value beside it."""
        rulebook = self.rulebook
        return {
            name: {
                "value": t.value,
                "op": t.op,
                "origin": t.origin,
                "meaning": t.meaning,
                "rules": self.base.thresholds[name].value,
            }
            for name, t in rulebook.thresholds.items()
        }

    # -- the portfolio and one domain

    def _cached(self, key: tuple, compute):
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        value = compute()
        self._cache[key] = value
        while len(self._cache) > 64:
            self._cache.popitem(last=False)
        return value

    def _rulebook_for(self, thresholds: dict[str, float]) -> Rulebook:
        merged = {**self._thresholds, **thresholds}
        key = ("rulebook", tuple(sorted(merged.items())))
        return self._cached(key, lambda: self.base.with_thresholds(merged, origin=ROOM_ORIGIN))

    def portfolio(self) -> list[DomainResult]:
        """Every domain classified under the thresholds in force (fragile flag included)."""
        rulebook = self.rulebook
        profiles = list(self.profiles.values())
        key = ("portfolio", tuple(sorted(self._thresholds.items())))
        return self._cached(key, lambda: with_fragility(rulebook, profiles, classify_all(profiles, rulebook)))

    def profile(self, domain_id: Any, field: str = "id") -> DomainProfile:
        if not isinstance(domain_id, str) or domain_id not in self.profiles:
            hint = did_you_mean(str(domain_id), self.profiles)
            raise FieldError(field, f'unknown domain id "{domain_id}"{hint}')
        return self.profiles[domain_id]

    def changed_profile(self, profile: DomainProfile, scores: Any) -> tuple[DomainProfile, list[str]]:
        """The profile with the room's what-if scores; which of them differ from the file."""
        if not isinstance(scores, dict):
            raise FieldError("scores", "expected a mapping of score name to value")
        values = dict(profile.scores)
        changed = []
        for name, raw in scores.items():
            value, symbol = score_entry(self.base, name, raw, f"scores.{name}")
            if value == profile.value(name):
                continue
            changed.append(name)
            values[name] = ScoreValue(
                value=value,
                symbol=symbol,
                origin=ROOM_ORIGIN,
                note=f"set in the workshop room (the profile gives {number(profile.value(name))})",
            )
        return profile.model_copy(update={"scores": values}), [n for n in self.base.scores if n in changed]

    def _what_if(self, domain_id: Any, scores: Any, thresholds: Any) -> tuple[DomainProfile, list[str], Rulebook]:
        profile = self.profile(domain_id)
        extra = self._checked_thresholds(thresholds if thresholds is not None else {})
        profile, changed = self.changed_profile(profile, scores if scores is not None else {})
        return profile, changed, self._rulebook_for(extra)

    @staticmethod
    def _key(kind: str, profile: DomainProfile, rulebook: Rulebook) -> tuple:
        return (
            kind,
            profile.id,
            tuple((n, profile.value(n)) for n in rulebook.scores),
            tuple((n, t.value) for n, t in rulebook.thresholds.items()),
        )

    def evaluate(self, domain_id: Any, scores: Any = None, thresholds: Any = None) -> Evaluation:
        """One domain with some scores and thresholds changed for a look (nothing is stored)."""
        profile, changed, rulebook = self._what_if(domain_id, scores, thresholds)

        def compute() -> Evaluation:
            result = with_fragility(rulebook, [profile], [Engine(rulebook).classify(profile)])[0]
            return Evaluation(profile, result, domain_margins(rulebook, [profile])[0], changed)

        return self._cached(self._key("evaluate", profile, rulebook), compute)

    def nearest(self, domain_id: Any, scores: Any = None, thresholds: Any = None) -> list[Counterfactual]:
        """The smallest change of scores reaching each other category, fewest changes first.

        The counterfactual search is the slow part of a look at a domain (tens of
        milliseconds per category), so the page asks for it after the outcome."""
        profile, _, rulebook = self._what_if(domain_id, scores, thresholds)

        def compute() -> list[Counterfactual]:
            here = self.evaluate(domain_id, scores, thresholds).result.category
            found = []
            for target in target_labels(rulebook):
                if "/" in target or target == here:
                    continue
                answer = counterfactual(rulebook, profile, target)
                if answer.best is not None:
                    found.append(answer)
            return sorted(found, key=lambda a: (a.best.size, a.best.total))

        return self._cached(self._key("nearest", profile, rulebook), compute)

    # -- rounds and sheets

    def rounds(self) -> list[RoundInfo]:
        rows = self._db.execute("SELECT number, opened_at, closed_at, run_id FROM room_rounds ORDER BY number")
        return [RoundInfo(*row) for row in rows]

    @property
    def current_round(self) -> int:
        return self._db.execute("SELECT MAX(number) FROM room_rounds").fetchone()[0]

    def round_number(self, raw: Any, field: str = "round") -> int:
        """A round asked for (default: the open one), checked against the rounds there are."""
        if raw is None or raw == "":
            return self.current_round
        try:
            wanted = int(raw)
        except (TypeError, ValueError):
            raise FieldError(field, f'expected a round number, got "{str(raw)[:20]}"') from None
        if not 1 <= wanted <= self.current_round:
            raise FieldError(field, f"no round {wanted} (rounds 1-{self.current_round})")
        return wanted

    def submit(self, participant: Any, scores: Any) -> tuple[int, str]:
        """Keep a participant's sheet in the open round (a second submission replaces the first)."""
        name = participant_name(participant)
        round_number = self.current_round
        sheet_from_mapping(name, scores, self.base, self.profiles, self._sheet_file(round_number, name))
        kept = {d: {s: v for s, v in given.items() if v != "na"} for d, given in scores.items()}
        self._db.execute(
            "INSERT INTO room_sheets (round, participant, submitted_at, scores) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(round, participant) DO UPDATE SET submitted_at = excluded.submitted_at, "
            "scores = excluded.scores",
            (round_number, name, _now(), json.dumps(kept)),
        )
        return round_number, name

    def _sheet_file(self, round_number: int, participant: str) -> str:
        return f"{self.store}#round-{round_number}/{participant}"

    def sheets(self, round_number: int | None = None) -> Sheets:
        """The sheets of one round (default: the open one), re-checked as they are read."""
        round_number = self.current_round if round_number is None else round_number
        rows = self._db.execute(
            "SELECT participant, scores FROM room_sheets WHERE round = ? ORDER BY participant", (round_number,)
        ).fetchall()
        sheets: list[Sheet] = []
        for participant, raw in rows:
            where = f"{self.store}: room_sheets round {round_number}, participant {participant!r}"
            try:
                name = participant_name(participant)
                sheets.append(
                    sheet_from_mapping(
                        name, json.loads(raw), self.base, self.profiles, self._sheet_file(round_number, name)
                    )
                )
            except (ValueError, TypeError, FieldError) as exc:
                raise RoomStoreError(f"{where}: {exc}") from None
        return Sheets(f"{self.store}#round-{round_number}", tuple(sheets))

    def own_sheet(self, round_number: int, participant: str) -> Sheet | None:
        for sheet in self.sheets(round_number).sheets:
            if sheet.participant == participant:
                return sheet
        return None

    def workshop(self, round_number: int | None = None) -> tuple[Sheets, list[DomainWorkshop]]:
        """The round's sheets, the medians classified and the disagreements that matter."""
        round_number = self.current_round if round_number is None else round_number
        sheets = self.sheets(round_number)
        if not sheets.sheets:
            return sheets, []
        rulebook = self.rulebook
        key = ("workshop", round_number, tuple(sorted(self._thresholds.items())), _sheets_key(sheets))
        return self._cached(key, lambda: (sheets, analyse_workshop(list(self.profiles.values()), sheets, rulebook)))

    def room_shares(self, round_number: int | None = None) -> dict[str, dict[str, float]]:
        """Per domain the sheets score, the exact probability of each category when every
        score takes one participant's value (each equally likely, scores independent):
        how sure the room is, as ``decision robustness --sheets`` computes it."""
        from decision.analyses.robustness import domain_inputs, run_exact

        round_number = self.current_round if round_number is None else round_number
        sheets = self.sheets(round_number)
        if not sheets.sheets:
            return {}
        rulebook = self.rulebook
        key = ("shares", round_number, tuple(sorted(self._thresholds.items())), _sheets_key(sheets))

        def compute() -> dict[str, dict[str, float]]:
            inputs = domain_inputs(list(self.profiles.values()), rulebook, sheets)
            report = run_exact(inputs, rulebook, sheets=sheets)
            return {d.id: dict(d.categories) for d in report.domains}

        return self._cached(key, compute)

    def workshop_json(self, round_number: int | None = None) -> dict[str, Any]:
        """What ``decision workshop --format json`` prints, for the round (plus its number,
        and per domain ``room_shares``: the exact category probabilities of the sheets)."""
        round_number = self.current_round if round_number is None else round_number
        sheets, domains = self.workshop(round_number)
        shares = self.room_shares(round_number)
        return {
            "round": round_number,
            "sheets": sheets.directory,
            "participants": sheets.participants,
            "domains": [{**d.to_json(), "room_shares": shares.get(d.profile.id, {})} for d in domains],
        }

    # -- closing, recording, exporting

    def close_round(self, *, record: bool, by: str = "facilitator") -> dict[str, Any]:
        """Close the open round and open the next; with ``record``, the closed round becomes
        an audit run (command ``workshop``) whose sheets are files written beside the store."""
        closing = self.current_round
        sheets = self.sheets(closing)
        if record and not sheets.sheets:
            raise FieldError("record", f"round {closing} has no sheets to record")
        run_id = self._record(closing, by) if record else None
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.execute(
                "UPDATE room_rounds SET closed_at = ?, run_id = ? WHERE number = ?", (_now(), run_id, closing)
            )
            self._db.execute("INSERT INTO room_rounds (number, opened_at) VALUES (?, ?)", (closing + 1, _now()))
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return {"closed": closing, "opened": closing + 1, "recorded": run_id, "store": str(self.store)}

    def sheet_files(self, round_number: int) -> dict[str, bytes]:
        """The round's sheets as sheet files (YAML, one per participant): what
        ``decision workshop --sheets`` reads to give the page's numbers again."""
        files = {}
        for sheet in self.sheets(round_number).sheets:
            domains = []
            for domain_id, given in sheet.scores.items():
                scores = {n: (e.symbol if e.symbol is not None else e.value) for n, e in given.items()}
                domains.append({"id": domain_id, "scores": scores})
            header = f"# {sheet.participant}'s sheet, round {round_number} of the workshop room ({self.store.name}).\n"
            body = yaml.safe_dump({"domains": domains}, sort_keys=False, allow_unicode=True)
            files[f"{sheet.participant}.yaml"] = (header + body).encode("utf-8")
        return files

    def sheets_folder(self, round_number: int) -> Path:
        return self.store.parent / f"{self.store.stem}-sheets" / f"round-{round_number}"

    def _record(self, round_number: int, by: str) -> int:
        from decision.output_file import write_output

        folder = self.sheets_folder(round_number)
        if folder.exists() and any(folder.iterdir()):
            raise RoomStoreError(f"{folder}: already holds sheets; move it away to record round {round_number}")
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        try:
            for name, data in self.sheet_files(round_number).items():
                write_output(folder / name, data, force=False)
                written.append(folder / name)
            return self._append_record(round_number, by, folder)
        except BaseException:
            # Nothing half-done: a round that could not be recorded leaves no sheet files behind.
            for path in written:
                path.unlink(missing_ok=True)
            raise

    def _append_record(self, round_number: int, by: str, folder: Path) -> int:
        from decision.audit.store import open_store, run_content
        from decision.inputs.sheets import load_sheets

        rulebook = self.rulebook
        profiles = list(self.profiles.values())
        # Read back as any workshop run reads them, so the record replays from its files.
        loaded = load_sheets(folder, rulebook, self.profiles)
        domains = analyse_workshop(profiles, loaded, rulebook)
        thresholds = [f"{n}={v:g}" for n, v in sorted(self._thresholds.items())]
        args = ["--sheets", str(folder), *sorted({p.file for p in profiles})]
        for option in thresholds:
            args += ["--threshold", option]
        content, blobs = run_content(
            command="workshop",
            args=args,
            params={"sheets": str(folder), "round": round_number, "threshold": thresholds},
            rulebook=rulebook,
            profiles=profiles,
            results=[d.result for d in domains],
            by=by,
            sheets=loaded,
        )
        with open_store(self.store, create=True) as audit:
            saved = audit.append(content, blobs)
            audit.checkpoint()
        return saved.run_id


def _sheets_key(sheets: Sheets) -> tuple:
    return tuple(
        (s.participant, tuple((d, tuple((n, e.value) for n, e in g.items())) for d, g in s.scores.items()))
        for s in sheets.sheets
    )
