"""``decision audit log|show|verify``: read the audit store and check it.

The ``--record`` wiring of the other commands is in ``decision.cli.recording``; the store
itself is ``decision.audit.store``, imported inside the commands to keep start-up fast.
"""

from __future__ import annotations

import sys
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from decision.cli.options import EXIT_CHECK_FAILED, handles_errors, new_console
from decision.cli.recording import DEFAULT_STORE

if TYPE_CHECKING:
    from decision.audit.store import AuditStore, ChainReport, HistoryEntry, Reproduction, RunRecord

CATEGORY_ORDER = ("strong", "ecosystem-gap", "moonshot", "no-focus", "undetermined")

# ----------------------------------------------------------------------------- shared


class AuditFormat(StrEnum):
    text = "text"
    json = "json"


FormatOption = Annotated[AuditFormat, typer.Option("--format", "-f", help="text or json.")]
ReadStoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        metavar="PATH",
        help=f"Audit store file to read (default: {DEFAULT_STORE} in the working folder).",
        show_default=False,
    ),
]
RunArgument = Annotated[int, typer.Argument(metavar="RUN", help="The run id (see `decision audit log`).")]


def _open(store: Path | None) -> AuditStore:
    from decision.audit.store import open_store

    return open_store(store if store is not None else Path(DEFAULT_STORE))


def _shown(path: str) -> str:
    """A recorded absolute path, relative to the working folder when it lies inside it."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path


def _json_out(data: Any) -> None:
    import json

    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _counts(record: RunRecord) -> dict[str, int]:
    found = Counter(r.category for r in record.results)
    return {c: found[c] for c in (*CATEGORY_ORDER, *sorted(set(found) - set(CATEGORY_ORDER))) if found[c]}


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.items()) or "no domains"


def _short(digest: str | None) -> str:
    return "missing" if digest is None else digest[:12]


def _print_lines(lines: list[str]) -> None:

    console = new_console()
    for line in lines:
        console.print(line, markup=False, highlight=False, soft_wrap=True)


# ----------------------------------------------------------------------------- log


def _readable(audit: AuditStore) -> tuple[list[RunRecord], dict[int, str]]:
    """Every run that can still be read, and for the others why not (a tampered store must
    still list what it can)."""
    from decision.audit.store import AuditStoreError

    records, unreadable = [], {}
    for run_id in audit.run_ids():
        try:
            records.append(audit.get(run_id))
        except AuditStoreError as exc:
            unreadable[run_id] = str(exc).split(": ", 1)[-1]
    return records, unreadable


def log(
    domain: Annotated[
        str | None,
        typer.Option("--domain", metavar="ID", help="One domain's history: each change and what caused it."),
    ] = None,
    store: ReadStoreOption = None,
    format: FormatOption = AuditFormat.text,
) -> None:
    """The recorded runs, newest first: when, who, what, outcomes per category, chain status."""
    with _open(store) as audit:
        chain = audit.check_chain()
        records, unreadable = _readable(audit)
        path = audit.path
    if domain is not None:
        _domain_log(domain, records, chain, format, path)
        return
    if format is AuditFormat.json:
        _json_out(
            {
                "store": str(path),
                "chain": _chain_json(chain),
                "runs": [
                    {
                        "run_id": r.run_id,
                        "created_at": r.created_at,
                        "by": r.by,
                        "command": r.command,
                        "command_line": r.command_line(),
                        "domains": len(r.results),
                        "counts": _counts(r),
                        "chain": "broken" if chain.problems_of(r.run_id) else "ok",
                    }
                    for r in reversed(records)
                ],
                "unreadable": [{"run_id": k, "error": v} for k, v in sorted(unreadable.items(), reverse=True)],
            }
        )
        return
    from rich.table import Table

    console = new_console()
    if not records and not unreadable:
        console.print(f"no runs recorded in {path}", markup=False)
        return
    table = Table(title=f"Recorded runs in {path}, newest first")
    table.add_column("run", justify="right", no_wrap=True)
    table.add_column("when (UTC)", no_wrap=True)
    table.add_column("by")
    table.add_column("command")
    table.add_column("outcomes")
    table.add_column("chain", no_wrap=True)
    rows = [(r.run_id, r) for r in records] + [(k, None) for k in unreadable]
    for run_id, record in sorted(rows, key=lambda item: item[0], reverse=True):
        status = "BROKEN" if chain.problems_of(run_id) else "ok"
        if record is None:
            table.add_row(str(run_id), "", "", f"(unreadable: {unreadable[run_id]})", "", status)
            continue
        table.add_row(
            str(run_id),
            record.created_at[:19] + "Z",  # to the second here; `audit show` and JSON give it in full
            record.by,
            record.command_line().removeprefix("decision "),
            _counts_text(_counts(record)),
            status,
        )
    console.print(table)
    console.print(_chain_summary(chain), markup=False, soft_wrap=True)


def _chain_json(chain: ChainReport) -> dict[str, Any]:
    return {
        "ok": chain.ok,
        "runs": chain.runs,
        "head_hash": chain.head_hash,
        "problems": [{"run_id": p.run_id, "message": p.message} for p in chain.problems],
    }


def _chain_summary(chain: ChainReport) -> str:
    if chain.ok:
        return f"chain intact: {chain.runs} runs, head hash {chain.head_hash}"
    runs = ", ".join(str(r) for r in chain.broken_runs())
    return f"chain BROKEN at run(s) {runs}: `decision audit verify` says why"


def _number(value: float | None) -> str:
    return "missing" if value is None else f"{value:g}"


def _change_lines(entry: HistoryEntry) -> list[str]:
    change = entry.change
    if change is None:
        return []
    lines = [f"  CHANGED: {change.outcome_before} -> {change.outcome_after}, because:"]
    causes = []
    for move in change.scores:
        causes.append(f"score {move.score}: {_number(move.before)} -> {_number(move.after)}")
    for move in change.thresholds:
        causes.append(f"threshold {move.score}: {move.before} -> {move.after}")
    for move in change.rules_files:
        causes.append(f"rules file {move.file}: sha256 {_short(move.before)} -> {_short(move.after)}")
    if change.rules_dir is not None:
        causes.append(f"rules folder: {change.rules_dir.before} -> {change.rules_dir.after}")
    if change.profile_file is not None:
        move = change.profile_file
        causes.append(f"profile file {_shown(move.file)}: sha256 {_short(move.before)} -> {_short(move.after)}")
    if change.tool_version is not None:
        causes.append(f"decision version: {change.tool_version.before} -> {change.tool_version.after}")
    if not causes:
        causes.append("no score, threshold, rules file, profile file or version change recorded")
    lines.extend(f"    {cause}" for cause in causes)
    if change.parting is not None:
        part = change.parting
        lines.append(f"    paths part at {part.node} {part.node_name}:")
        lines.append(f"      before: {part.before}")
        lines.append(f"      after:  {part.after}")
    return lines


def _domain_log(domain: str, records: list[RunRecord], chain: ChainReport, format: AuditFormat, path: Path) -> None:
    from decision.audit.store import domain_history
    from decision.errors import UsageError

    entries = domain_history(records, domain)
    if not entries:
        known = sorted({r.id for record in records for r in record.results})
        listed = f" (recorded: {', '.join(known)})" if known else ""
        raise UsageError(f'no recorded run in {path} classified a domain "{domain}"{listed}')
    if format is AuditFormat.json:
        _json_out(
            {
                "store": str(path),
                "domain": domain,
                "chain": _chain_json(chain),
                "history": [
                    {**e.model_dump(mode="json"), "chain": "broken" if chain.problems_of(e.run_id) else "ok"}
                    for e in reversed(entries)
                ],
            }
        )
        return
    from decision.model.wording import plural

    changes = plural(sum(e.changed for e in entries), "change")
    lines = [f"History of {domain} in {path}: {plural(len(entries), 'recorded run')}, {changes}, newest first"]
    for entry in reversed(entries):
        status = "BROKEN chain" if chain.problems_of(entry.run_id) else "chain ok"
        lines.append(
            f"run {entry.run_id}  {entry.created_at}  {entry.by}  {entry.command}: {entry.outcome}  ({status})"
        )
        lines.extend(_change_lines(entry))
    lines.append(_chain_summary(chain))
    _print_lines(lines)


# ----------------------------------------------------------------------------- show


def _record_header(record: RunRecord, chain: ChainReport) -> list[str]:
    status = "ok" if not chain.problems_of(record.run_id) else "BROKEN: " + "; ".join(chain.problems_of(record.run_id))
    lines = [
        f"Run {record.run_id}, recorded {record.created_at} by {record.by}",
        f"command: {record.command_line()}",
        f"decision {record.tool_version}, working folder {record.cwd}",
        f"rules: {record.rules_dir}",
    ]
    lines.extend(f"  {Path(f.path).name}  sha256 {f.sha256}" for f in record.rules)
    lines.append(f"inputs: {len(record.inputs)} profile files")
    lines.extend(f"  {_shown(f.path)}  sha256 {f.sha256}" for f in record.inputs)
    if record.sheets_dir is not None:
        lines.append(f"sheets: {_shown(record.sheets_dir)}")
        lines.extend(f"  {_shown(f.path)}  sha256 {f.sha256}" for f in record.sheets)
    thresholds = ", ".join(f"{n} {t.op} {t.value:g} ({t.origin})" for n, t in record.thresholds.items())
    lines.append(f"thresholds: {thresholds}")
    lines.append(f"chain: {status}; prev {record.prev_hash}, hash {record.hash}")
    return lines


def show(
    run: RunArgument,
    domain_id: Annotated[
        str | None, typer.Argument(metavar="[ID]", help="One domain: its recorded result, shown like `explain`.")
    ] = None,
    store: ReadStoreOption = None,
    format: FormatOption = AuditFormat.text,
) -> None:
    """One recorded run; with ID, that domain's recorded result rendered like `explain`."""
    from decision.errors import UsageError

    with _open(store) as audit:
        record = audit.get(run)
        chain = audit.check_chain(upto=run)
    if domain_id is not None:
        result = record.result(domain_id)
        if result is None:
            known = ", ".join(r.id for r in record.results)
            raise UsageError(f'run {run} has no domain "{domain_id}" (it classified: {known})')
        if format is AuditFormat.json:
            _json_out(result.model_dump(mode="json"))
            return
        from decision.renderers.rich_views import explanation

        header = f"Recorded in run {record.run_id}, {record.created_at} by {record.by}: {record.command_line()}"
        if chain.problems_of(run):
            header += "  (chain BROKEN at this run: `decision audit verify`)"
        _print_lines([header])
        # The stored result alone: the rules in force then may differ from today's.
        new_console().print(explanation(result, None))
        return
    if format is AuditFormat.json:
        _json_out({**record.model_dump(mode="json"), "chain": "broken" if chain.problems_of(run) else "ok"})
        return
    from decision.renderers.rich_views import portfolio_table

    _print_lines(_record_header(record, chain))
    if record.results:
        new_console().print(portfolio_table(record.results))
    for result in record.hypothetical:
        _print_lines([f"with --set ({result.id}): {result.category}{'/' + result.variant if result.variant else ''}"])


# ----------------------------------------------------------------------------- verify


def _reproduction_lines(rep: Reproduction, record_line: str) -> list[str]:
    from decision.model.wording import plural

    identical = sum(d.same for d in rep.domains)
    labels = {
        "reproduced": "reproduced",
        "reproduced, inputs changed": "reproduced, but input files changed since the run",
        "differs": "OUTCOMES DIFFER",
        "cannot re-run": "CANNOT RE-RUN",
    }
    lines = [f"{record_line}: {labels[rep.status]}"]
    if rep.status == "reproduced":
        lines[0] += f": {identical} of {plural(len(rep.domains), 'domain result')} identical; files unchanged"
    if rep.changed_files:
        lines.append("  files changed since the run:")
        for change in rep.changed_files:
            if change.recorded is None:
                what = f"new file, sha256 {_short(change.now)}"
            elif change.now is None:
                what = "missing now"
            else:
                what = f"sha256 {_short(change.recorded)} -> {_short(change.now)}"
            lines.append(f"    {change.kind} {_shown(change.path)}: {what}")
    if rep.error is not None:
        lines.append(f"  {rep.error}")
    if rep.tool_version != rep.tool_version_now:
        lines.append(f"  recorded with decision {rep.tool_version}, verified with {rep.tool_version_now}")
    for check in rep.domains:
        if check.same:
            continue
        if check.recorded is None:
            lines.append(f"  {check.id}: not in the record, now {check.now}")
        elif check.now is None:
            lines.append(f"  {check.id}: recorded {check.recorded}, now absent from the inputs")
        elif check.recorded != check.now:
            lines.append(f"  {check.id}: recorded {check.recorded}, now {check.now}")
        else:
            fields = ", ".join(check.differences)
            lines.append(f"  {check.id}: same outcome {check.now}, but {fields} differ")
    if rep.status != "reproduced" and rep.domains:
        lines.append(f"  {identical} of {len(rep.domains)} domain results identical")
    return lines


def verify(
    run: Annotated[
        int | None, typer.Argument(metavar="[RUN]", help="Verify this run (and the chain up to it) only.")
    ] = None,
    store: ReadStoreOption = None,
    format: FormatOption = AuditFormat.text,
    chain_only: Annotated[
        bool, typer.Option("--chain-only", help="Check the hash chain only; do not re-run the recorded inputs.")
    ] = False,
) -> None:
    """Check the hash chain, then re-run each recorded run on its recorded files and rules.

    Exit 0: chain intact and every outcome reproduced (files changed since the run are
    reported, but identical outcomes pass). Exit 1: chain broken, or an outcome differs,
    or a run cannot be re-run (its files or rules no longer load).
    """
    from decision.audit.store import AuditStoreError, reproduce

    reproductions: list[Reproduction] = []
    unreadable: dict[int, str] = {}
    with _open(store) as audit:
        if run is not None:
            audit.get(run)  # a run that is not there is bad input (exit 2)
        chain = audit.check_chain(upto=run)
        ids = [run] if run is not None else audit.run_ids()
        records = {}
        for run_id in ids:
            try:
                records[run_id] = audit.get(run_id)
            except AuditStoreError as exc:
                unreadable[run_id] = str(exc).split(": ", 1)[-1]
        path = audit.path
    if not chain_only:
        reproductions = [reproduce(record) for record in records.values()]
    differing = [r.run_id for r in reproductions if not r.ok]
    changed_inputs = [r.run_id for r in reproductions if r.status == "reproduced, inputs changed"]
    ok = chain.ok and not differing and not unreadable
    if format is AuditFormat.json:
        _json_out(
            {
                "store": str(path),
                "ok": ok,
                "chain": _chain_json(chain),
                "unreadable": [{"run_id": k, "error": v} for k, v in sorted(unreadable.items())],
                "runs": [r.model_dump(mode="json") for r in reproductions],
            }
        )
    else:
        lines = []
        if chain.ok:
            lines.append(
                f"chain: intact, {chain.runs} runs, head hash {chain.head_hash} "
                "(keep it elsewhere: it proves later that no run was rewritten)"
            )
        else:
            lines.append(f"chain: BROKEN ({len(chain.problems)} problems)")
            lines.extend(f"  run {p.run_id}: {p.message}" for p in chain.problems)
        for run_id, message in sorted(unreadable.items()):
            lines.append(f"run {run_id}: UNREADABLE: {message}")
        for rep in reproductions:
            record = records[rep.run_id]
            lines.extend(_reproduction_lines(rep, f"run {rep.run_id} ({record.command}, {record.created_at})"))
        _print_lines(lines)
    if ok:
        what = "chain intact" if chain_only else f"chain intact, {len(reproductions)} runs reproduced"
        if changed_inputs:
            what += f" (input files changed since run(s) {', '.join(map(str, changed_inputs))}; outcomes identical)"
        if format is AuditFormat.text:
            _print_lines([f"verify passed: {what}"])
        return
    reasons = []
    if not chain.ok:
        reasons.append(f"chain broken at run(s) {', '.join(map(str, chain.broken_runs()))}")
    if unreadable:
        reasons.append(f"run(s) {', '.join(map(str, sorted(unreadable)))} unreadable")
    if differing:
        reasons.append(f"outcomes not reproduced in run(s) {', '.join(map(str, differing))}")
    typer.echo(f"verify FAILED: {'; '.join(reasons)}", err=True)
    raise typer.Exit(EXIT_CHECK_FAILED)


# ----------------------------------------------------------------------------- registration


def register(app: typer.Typer) -> None:
    """Add ``decision audit log|show|verify`` to the app."""

    audit_app = typer.Typer(
        help="The audit trail: recorded runs (--record), their history, and their verification.",
        no_args_is_help=True,
    )
    audit_app.command("log")(handles_errors(log))
    audit_app.command("show")(handles_errors(show))
    audit_app.command("verify")(handles_errors(verify))
    app.add_typer(audit_app, name="audit")
