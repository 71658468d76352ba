"""``decision diff OLD NEW``: compare two profile sets, two rules folders or two run records
(``run:N``), domain by domain (see decision/audit/diffing.py).

What OLD and NEW are is read from them: ``run:N`` is a record of the audit store, a folder
holding ``tree.yaml`` is a rules folder, anything else is profiles. Both must be the same
kind. The exit code is 0 whether or not they differ, unless ``--exit-code`` asks for 1
when they do (as ``git diff --exit-code``).
"""

from __future__ import annotations

import json
import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from decision.cli.options import (
    EngineOption,
    ReadingOption,
    RulesOption,
    ThresholdOption,
    handles_errors,
    load_profile_paths,
    load_rules,
    new_console,
)
from decision.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Group

    from decision.audit.diffing import DiffKind, PortfolioDiff, RuleChange
    from decision.audit.store import RunRecord

EXIT_DIFFERENT = 1
RUN_PATTERN = re.compile(r"run:(\d+)")


class DiffFormat(StrEnum):
    text = "text"
    json = "json"


def kind_of(argument: str) -> DiffKind:
    """'runs' for run:N, 'rules' for a folder holding tree.yaml, else 'profiles'."""
    if argument.startswith("run:"):
        if not RUN_PATTERN.fullmatch(argument):
            raise UsageError(f'"{argument}": a run record is written run:N, with N the run number, e.g. run:3')
        return "runs"
    path = Path(argument)
    if path.is_dir() and (path / "tree.yaml").is_file():
        return "rules"
    return "profiles"


def _refuse(option: str, given: object, why: str) -> None:
    if given:
        raise UsageError(f"{option} {why}")


def _load_run(store: Path | None, argument: str) -> RunRecord:
    """The run record ``run:N`` of the audit store (default: the store in the working folder)."""
    from decision.audit.store import DEFAULT_STORE, open_store

    with open_store(store if store is not None else Path(DEFAULT_STORE)) as opened:
        return opened.get(int(argument.removeprefix("run:")))


def _run_rules_changes(old: RunRecord, new: RunRecord) -> list[RuleChange]:
    """Entry by entry when both recorded rules folders are still as recorded; else file by file."""
    from decision.audit.diffing import RuleChange, digest_changes, rules_changes
    from decision.errors import DecisionError
    from decision.inputs.rulebook import load_rulebook

    changes: list[RuleChange] = []
    if old.rules_dir != new.rules_dir:
        text = f"rules folder {old.rules_dir} -> {new.rules_dir}"
        changes.append(RuleChange(file="", item="rules_dir", change="changed", fields=[], text=text))
    if old.rules_by_name() == new.rules_by_name():
        return changes
    books = []
    for record in (old, new):
        try:
            book = load_rulebook(Path(record.rules_dir), record.readings())
        except DecisionError:
            book = None
        books.append(book if book is not None and book.file_digests == record.rules_by_name() else None)
    if books[0] is not None and books[1] is not None:
        return changes + rules_changes(books[0], books[1])
    return changes + digest_changes(old.rules_by_name(), new.rules_by_name())


def diff(
    old: Annotated[str, typer.Argument(metavar="OLD", help="Profiles, a rules folder, or run:N.")],
    new: Annotated[str, typer.Argument(metavar="NEW", help="The same kind as OLD.")],
    profiles: Annotated[
        list[Path] | None,
        typer.Option(
            "--profiles",
            metavar="PATH",
            help="Comparing rules folders: the profiles to classify under both (default: the shipped domains).",
            show_default=False,
        ),
    ] = None,
    store: Annotated[
        Path | None,
        typer.Option(
            "--store",
            metavar="PATH",
            help="Comparing run:N records: the audit store file (default: decision-audit.sqlite here).",
            show_default=False,
        ),
    ] = None,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit with 1 when the two sides differ (0 when they do not).")
    ] = False,
    format: Annotated[DiffFormat, typer.Option("--format", "-f", help="Output format.")] = DiffFormat.text,
    rules: RulesOption = None,
    reading: ReadingOption = None,
    threshold: ThresholdOption = None,
    engine: EngineOption = None,
) -> None:
    """Compare two portfolios: categories, leaves, where the paths part, scores, thresholds, rules.

    \b
    Examples:
      decision diff domains/semiconductors.yaml domains
      decision diff rules rules --profiles domains/technologies -f json
      decision diff run:1 run:2 --exit-code
    """
    from decision.audit.diffing import KIND_NOUNS, Side, diff_results, rules_changes, thresholds_of
    from decision.engine.walk import classify_all
    from decision.inputs.rulebook import parse_threshold_options

    kinds = kind_of(old), kind_of(new)
    if kinds[0] != kinds[1]:
        raise UsageError(
            f"cannot compare {KIND_NOUNS[kinds[0]]} ({old}) with {KIND_NOUNS[kinds[1]]} ({new}): "
            "give two profile paths, two rules folders (holding tree.yaml) or two run:N records"
        )
    kind = kinds[0]
    if kind != "rules":
        _refuse("--profiles", profiles, "applies only when OLD and NEW are rules folders")
    if kind != "runs":
        _refuse("--store", store, "applies only when OLD and NEW are run:N records")

    extra = {}
    if kind == "profiles":
        rulebook = load_rules(rules, threshold, engine, readings=reading)
        sides = []
        for argument in (old, new):
            results = classify_all(load_profile_paths([Path(argument)], rulebook), rulebook)
            sides.append((results, Side(label=argument, description="profiles", domains=len(results))))
        rules_dir = "the shipped rules" if rules is None else str(rules)
        description = f"under {rules_dir}"
    elif kind == "rules":
        _refuse("--rules", rules, "does not apply when OLD and NEW are rules folders")
        # The rules as their files give them (for the rules and threshold changes), and as
        # they apply in this run, --threshold included (for the classification).
        files = [load_rules(Path(argument), None) for argument in (old, new)]
        overrides = parse_threshold_options(threshold)
        books = [book.with_thresholds(overrides) for book in files]
        sides = []
        for argument, rulebook in zip((old, new), books, strict=True):
            results = classify_all(load_profile_paths(profiles, rulebook), rulebook)
            sides.append((results, Side(label=argument, description="rules folder", domains=len(results))))
        shown = ", ".join(str(p) for p in profiles) if profiles else "the shipped domains"
        description = f"classifying {shown}"
        in_force = thresholds_of(books[0])
        extra = {
            "old_thresholds": thresholds_of(files[0]),
            "new_thresholds": thresholds_of(files[1]),
            "overridden_thresholds": {name: in_force[name] for name in overrides},
            "changed_rules": rules_changes(files[0], files[1]),
        }
    else:
        _refuse("--rules", rules, "does not apply to run records: each holds its own results")
        _refuse("--threshold", threshold, "does not apply to run records: each holds its own results")
        records = [_load_run(store, argument) for argument in (old, new)]
        sides = [
            (
                list(record.results),
                Side(
                    label=argument,
                    description=f"{record.command_line()} ({record.created_at}, by {record.by})",
                    domains=len(record.results),
                ),
            )
            for argument, record in zip((old, new), records, strict=True)
        ]
        description = "as recorded"
        extra = {
            "old_thresholds": records[0].thresholds,
            "new_thresholds": records[1].thresholds,
            "changed_rules": _run_rules_changes(*records),
        }
    (old_results, old_side), (new_results, new_side) = sides
    answer = diff_results(old_results, new_results, kind=kind, old_side=old_side, new_side=new_side, **extra)
    if format is DiffFormat.json:
        sys.stdout.write(json.dumps(answer.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n")
    else:
        new_console().print(diff_view(answer, description))
    if exit_code and answer.different:
        raise typer.Exit(EXIT_DIFFERENT)


def _outcome(outcome: str, leaf: str | None, reachable: list[str]) -> str:
    """'ecosystem-gap (VL05)', 'ecosystem-gap (leaf open)', 'undetermined (strong or moonshot)'."""
    from decision.analyses.portfolio import label_text

    if outcome == "undetermined":
        return f"undetermined ({' or '.join(label_text(r) for r in reachable)})"
    return f"{label_text(outcome)} ({leaf or 'leaf open'})"


def diff_view(answer: PortfolioDiff, description: str) -> Group:
    """Header, summary, then one section per kind of difference (empty ones say 'none')."""
    from rich.console import Group
    from rich.text import Text

    from decision.model.wording import plural

    nouns = {"profiles": "profiles", "rules": "rules folders", "runs": "run records"}
    parts = []
    header = Text(f"Diff of {nouns[answer.kind]}: ", style="bold")
    old, new = answer.old, answer.new
    header.append(f"{old.label} ({plural(old.domains, 'domain')}) -> {new.label} ({plural(new.domains, 'domain')})")
    header.append(f", {description}")
    if answer.kind == "runs":
        header.append(f"\n  {old.label}: {old.description}\n  {new.label}: {new.description}")
    header.append("\nResult: ", style="bold")
    header.append(answer.summary if answer.different else f"no difference ({answer.summary})")
    parts.append(header)

    def section(title: str, lines: list[Text]) -> None:
        text = Text(f"{title}:", style="bold")
        if not lines:
            text.append(" none")
        for line in lines:
            text.append("\n  ")
            text.append_text(line)
        parts.append(text)

    changed = []
    for change in answer.changed:
        line = Text(f"{change.id}: ", style="bold")
        before = _outcome(change.before_outcome, change.before_leaf, change.before_reachable)
        line.append(f"{before} -> {_outcome(change.after_outcome, change.after_leaf, change.after_reachable)}")
        line.append(f" [{change.verdict}]", style="dim")
        parting = change.parting
        if parting is not None:
            line.append(f"\n    paths part at {parting.node} {parting.node_name} [{parting.criterion_key}]: ")
            line.append(parting.question)
            line.append(f"\n      old: {parting.before_text}")
            line.append(f"\n      new: {parting.after_text}")
        elif change.note:
            line.append(f"\n    {change.note}")
        added = [w.code for w in change.warnings_added]
        removed = [w.code for w in change.warnings_removed]
        for title, items in (
            ("actions that appear", [a.code for a in change.actions_added]),
            ("actions that vanish", [a.code for a in change.actions_removed]),
            ("warnings that appear", [code for code in added if code not in removed]),
            ("warnings that vanish", [code for code in removed if code not in added]),
            ("warnings reworded", [code for code in added if code in removed]),
        ):
            if items:
                line.append(f"\n    {title}: {' '.join(items)}")
        changed.append(line)
    section("Changed", changed)
    section("Added", [Text(f"{d.id}: {_outcome(d.outcome, d.leaf, d.reachable)}") for d in answer.added])
    section("Removed", [Text(f"{d.id}: {_outcome(d.outcome, d.leaf, d.reachable)}") for d in answer.removed])
    section(
        "Score changes",
        [
            Text(f"{d.id}: " + ", ".join([c.text for c in d.scores] + [f"factor {c.text}" for c in d.factors]))
            for d in answer.score_changes
        ],
    )
    section("Threshold changes", [Text(t.text) for t in answer.threshold_changes])
    if answer.kind != "profiles":
        section("Rules changes", [Text(f"{r.file}: {r.text}" if r.file else r.text) for r in answer.rules_changes])
    return Group(*parts)


def register(app: typer.Typer) -> None:
    """Add ``decision diff`` to the app."""
    app.command("diff")(handles_errors(diff))
