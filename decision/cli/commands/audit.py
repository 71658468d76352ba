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
from decision.model.wording import CATEGORY_ORDER

if TYPE_CHECKING:
    from decision.audit.replay import Reproduction
    from decision.audit.store import AuditStore, ChainReport, HistoryEntry, RunRecord


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
    """The recorded runs, newest first: when, who, what, outcomes per category, chain status.

    \b
    Examples:
      decision audit log
      decision audit log --domain semiconductors -f json
    """
    with _open(store) as audit:
        chain = audit.check_chain()
        records, unreadable = _readable(audit)
        path = audit.path
    if domain is not None:
        _domain_log(domain, records, chain, format, path)
        _fail_if_broken(chain)
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
        _fail_if_broken(chain)
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
    _fail_if_broken(chain)


def _fail_if_broken(chain: ChainReport, run: int | None = None) -> None:
    """A history read from a broken chain may never have happened: exit 1 after showing it."""
    broken = chain.problems_of(run) if run is not None else chain.problems
    if broken:
        typer.echo(
            "error: the chain is BROKEN: what is shown may have been edited; see `decision audit verify`", err=True
        )
        raise typer.Exit(EXIT_CHECK_FAILED)


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
    inputs: Annotated[
        bool, typer.Option("--inputs", help="List the inputs stored with the run (see `decision audit export`).")
    ] = False,
) -> None:
    """One recorded run; with ID, that domain's recorded result rendered like `explain`.

    \b
    Examples:
      decision audit show 1
      decision audit show 1 semiconductors
      decision audit show 1 --inputs
    """

    with _open(store) as audit:
        record = audit.get(run)
        # The whole chain: a run shown from a store whose history was cut or edited
        # elsewhere is still shown, but the command fails.
        chain = audit.check_chain()
    if inputs:
        _show_inputs(record, format)
    else:
        _show(record, chain, domain_id, format, run)
    _fail_if_broken(chain)


def _show_inputs(record: RunRecord, format: AuditFormat) -> None:
    entries = [
        {"kind": kind, "path": entry.path, "shown": entry.shown, "sha256": entry.sha256, "size": entry.size}
        for kind, entry in _stored_inputs(record)
    ]
    if format is AuditFormat.json:
        _json_out({"run_id": record.run_id, "stored": record.self_contained, "inputs": entries})
        return
    if not record.self_contained:
        lines = [f"Run {record.run_id} was recorded before inputs were stored (schema 1): paths and SHA-256 only"]
    else:
        lines = [f"Run {record.run_id} stored {len(entries)} input files (`decision audit export` writes them out):"]
    for entry in entries:
        size = "" if entry["size"] is None else f"  {entry['size']} bytes"
        lines.append(f"  {entry['kind']:8s} {entry['shown'] or _shown(entry['path'])}  sha256 {entry['sha256']}{size}")
    if record.params.get("set_"):
        lines.append(f"  --set {' '.join(record.params['set_'])}")
    overridden = [f"{n}={t.value:g}" for n, t in record.thresholds.items() if t.origin != "rules"]
    if overridden:
        lines.append(f"  --threshold {' '.join(overridden)}")
    lines.append(f"  decision {record.tool_version}")
    _print_lines(lines)


def _show(record: RunRecord, chain: ChainReport, domain_id: str | None, format: AuditFormat, run: int) -> None:
    from decision.errors import UsageError

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
        data = record.model_dump(mode="json", exclude={"content"})
        _json_out({**data, "chain": "broken" if chain.problems_of(run) else "ok"})
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
    source = "from its stored inputs" if rep.replayed_from == "stored inputs" else "on the files now (schema 1 record)"
    labels = {"reproduced": "reproduced", "differs": "OUTCOMES DIFFER", "cannot re-run": "CANNOT RE-RUN"}
    lines = [f"{record_line}: {labels[rep.status]} {source}"]
    if rep.status == "reproduced":
        lines[0] += f": {identical} of {plural(len(rep.domains), 'domain result')} identical"
    if rep.error is not None:
        lines.append(f"  {rep.error}")
    for problem in rep.consistency:
        lines.append(f"  INCONSISTENT: {problem}")
    if rep.tool_version != rep.tool_version_now:
        lines.append(f"  recorded with decision {rep.tool_version}, verified with {rep.tool_version_now}")
    for check in rep.domains:
        if check.same:
            continue
        if check.recorded is None:
            lines.append(f"  {check.id}: not in the record, the replay gives {check.now}")
        elif check.now is None:
            lines.append(f"  {check.id}: recorded {check.recorded}, absent from the replay")
        elif check.recorded != check.now:
            lines.append(f"  {check.id}: recorded {check.recorded}, the replay gives {check.now}")
        else:
            fields = ", ".join(check.differences)
            lines.append(f"  {check.id}: same outcome {check.now}, but {fields} differ")
    if rep.status != "reproduced" and rep.domains:
        lines.append(f"  {identical} of {len(rep.domains)} domain results identical")
    if rep.changed_files:
        lines.append(f"  since run {rep.run_id} (information only):")
        for change in rep.changed_files:
            if change.recorded is None:
                what = f"is new (sha256 {_short(change.now)})"
            elif change.now is None:
                what = "is gone"
            else:
                what = f"changed (sha256 {_short(change.recorded)} -> {_short(change.now)})"
            lines.append(f"    {change.kind} {_shown(change.path)} {what}")
        if rep.live_error is not None:
            lines.append(f"    the files now cannot be run: {rep.live_error}")
        moved = [o for o in rep.live_outcomes if o.recorded != o.now]
        if rep.live_outcomes and not moved:
            lines.append("    on the files now every outcome would be the same")
        for outcome in moved:
            now = outcome.now if outcome.now is not None else "absent"
            lines.append(f"    {outcome.id}: the outcome would now be {now} (recorded {outcome.recorded})")
    return lines


CheckpointOption = Annotated[
    Path | None,
    typer.Option(
        "--checkpoint",
        metavar="FILE",
        help="A checkpoint kept elsewhere: fail unless the store still extends it.",
        show_default=False,
    ),
]
PublicKeyOption = Annotated[
    Path | None,
    typer.Option(
        "--public-key",
        metavar="PUB",
        help="The public key the checkpoint must be signed with (from `decision audit keygen`).",
        show_default=False,
    ),
]


def _read_text(path: Path, what: str) -> str:
    from decision.errors import UsageError

    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such {what} file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the {what} file ({exc})") from None


def _load_checkpoint(path: Path, public_key: Path | None):
    """The checkpoint in ``path`` and the public key to check it with (None: not checked)."""
    from decision.audit.checkpoint import parse_checkpoint, read_public_key

    checkpoint = parse_checkpoint(_read_text(path, "checkpoint"), str(path))
    key = None if public_key is None else read_public_key(_read_text(public_key, "public key"), str(public_key))
    return checkpoint, key


def _anchor_lines(audit: AuditStore, checkpoint_file: Path, public_key: Path | None) -> tuple[list[str], list[str]]:
    """Lines saying whether the store extends the checkpoint, and the problems (fail)."""
    from decision.audit.checkpoint import check_signature, key_fingerprint
    from decision.errors import DecisionError
    from decision.model.wording import plural

    checkpoint, key = _load_checkpoint(checkpoint_file, public_key)
    problems = audit.extends(checkpoint)
    if key is not None:
        try:
            check_signature(checkpoint, key, str(checkpoint_file))
        except DecisionError as exc:
            problems.append(str(exc))
    if problems:
        return [f"checkpoint {checkpoint_file}: NOT EXTENDED", *(f"  {p}" for p in problems)], problems
    signed = ""
    if key is not None:
        signed = f", signature by key {key_fingerprint(key)} checked"
    elif checkpoint.signature is not None:
        signed = f", signed by key {key_fingerprint(checkpoint.key)} (not checked: pass --public-key)"
    later = audit.record_hashes()
    appended = len(later) - checkpoint.runs
    return [
        f"checkpoint {checkpoint_file} of {checkpoint.time}: extended; runs 1-{checkpoint.runs} unchanged"
        f" (root {checkpoint.root[:12]}...){signed}; {plural(appended, 'run')} appended since"
    ], []


def verify(
    run: Annotated[
        int | None, typer.Argument(metavar="[RUN]", help="Verify this run (and the chain up to it) only.")
    ] = None,
    store: ReadStoreOption = None,
    format: FormatOption = AuditFormat.text,
    chain_only: Annotated[
        bool, typer.Option("--chain-only", help="Check the hash chain only; do not replay the recorded runs.")
    ] = False,
    checkpoint: CheckpointOption = None,
    public_key: PublicKeyOption = None,
) -> None:
    """Check the hash chain, then replay each recorded run from the inputs it stored.

    Exit 0: chain intact, every run reproduced from its own stored inputs, and (with
    --checkpoint) the store extends the checkpoint. Files changed since a run are reported
    as information, with the outcome they would give now. Exit 1: chain broken, a run that
    does not reproduce from its stored inputs, a result whose category and leaf disagree,
    or a store that no longer extends the checkpoint.

    \b
    Examples:
      decision audit verify
      decision audit verify 1 --chain-only -f json
    """
    from decision.audit.replay import Replayer
    from decision.audit.store import AuditStoreError
    from decision.errors import UsageError

    if public_key is not None and checkpoint is None:
        raise UsageError("--public-key only applies with --checkpoint")
    reproductions: list[Reproduction] = []
    unreadable: dict[int, str] = {}
    anchor_lines: list[str] = []
    anchor_problems: list[str] = []
    with _open(store) as audit:
        if run is not None:
            audit.get(run)  # a run that is not there is bad input (exit 2)
        chain = audit.check_chain(upto=run)
        if checkpoint is not None:
            anchor_lines, anchor_problems = _anchor_lines(audit, checkpoint, public_key)
        ids = [run] if run is not None else audit.run_ids()
        records = {}
        for run_id in ids:
            try:
                records[run_id] = audit.get(run_id)
            except AuditStoreError as exc:
                unreadable[run_id] = str(exc).split(": ", 1)[-1]
        path = audit.path
        if not chain_only:
            replayer = Replayer(audit)
            reproductions = [replayer.reproduce(record) for record in records.values()]
    differing = [r.run_id for r in reproductions if not r.ok]
    changed_inputs = [r.run_id for r in reproductions if r.changed_files]
    ok = chain.ok and not differing and not unreadable and not anchor_problems
    if format is AuditFormat.json:
        _json_out(
            {
                "store": str(path),
                "ok": ok,
                "chain": _chain_json(chain),
                "checkpoint": None
                if checkpoint is None
                else {"file": str(checkpoint), "extended": not anchor_problems, "problems": anchor_problems},
                "unreadable": [{"run_id": k, "error": v} for k, v in sorted(unreadable.items())],
                "runs": [r.model_dump(mode="json") for r in reproductions],
            }
        )
    else:
        lines = []
        if chain.ok:
            lines.append(
                f"chain: intact, {chain.runs} runs, head hash {chain.head_hash}"
                + ("" if checkpoint is not None else " (not anchored: see `decision audit checkpoint`)")
            )
        else:
            lines.append(f"chain: BROKEN ({len(chain.problems)} problems)")
            lines.extend(f"  {'store' if p.run_id == 0 else f'run {p.run_id}'}: {p.message}" for p in chain.problems)
        lines.extend(anchor_lines)
        for run_id, message in sorted(unreadable.items()):
            lines.append(f"run {run_id}: UNREADABLE: {message}")
        for rep in reproductions:
            record = records[rep.run_id]
            lines.extend(_reproduction_lines(rep, f"run {rep.run_id} ({record.command}, {record.created_at})"))
        _print_lines(lines)
    if ok:
        what = "chain intact" if chain_only else f"chain intact, {len(reproductions)} runs reproduced"
        if checkpoint is not None:
            what += ", checkpoint extended"
        if changed_inputs:
            what += f" (files changed since run(s) {', '.join(map(str, changed_inputs))}: see above)"
        if format is AuditFormat.text:
            _print_lines([f"verify passed: {what}"])
        return
    reasons = []
    if not chain.ok:
        broken = chain.broken_runs()
        where = f"run(s) {', '.join(str(r) for r in broken if r)}" if any(broken) else ""
        if 0 in broken:
            where = f"{where} and in the store itself" if where else "the store itself"
        reasons.append(f"chain broken at {where}")
    if anchor_problems:
        reasons.append("the store does not extend the checkpoint")
    if unreadable:
        reasons.append(f"run(s) {', '.join(map(str, sorted(unreadable)))} unreadable")
    if differing:
        reasons.append(f"outcomes not reproduced in run(s) {', '.join(map(str, differing))}")
    typer.echo(f"verify FAILED: {'; '.join(reasons)}", err=True)
    raise typer.Exit(EXIT_CHECK_FAILED)


# ----------------------------------------------------------------------------- anchoring


def checkpoint(
    out: Annotated[Path, typer.Option("--out", metavar="FILE", help="Write the checkpoint here (atomically).")],
    store: ReadStoreOption = None,
    key: Annotated[
        Path | None,
        typer.Option("--key", metavar="KEYFILE", help="Sign it with this private key (`decision audit keygen`)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Allow --out to overwrite an existing file.")] = False,
) -> None:
    """Write a checkpoint of the store: its id, run count, head hash and Merkle root.

    Keep it outside the store (mail it, print it, commit it elsewhere): `decision audit
    verify --checkpoint FILE` later fails if any run it covers was changed, even with
    every hash recomputed.

    \b
    Examples:
      decision audit checkpoint --out checkpoint.txt --key audit.key
    """
    from decision.audit.checkpoint import sign
    from decision.errors import UsageError
    from decision.output_file import write_output

    with _open(store) as audit:
        chain = audit.check_chain()
        if not chain.ok:
            raise UsageError(f"{audit.path}: the chain is broken; a checkpoint would anchor a damaged store")
        made = audit.checkpoint()
    if key is not None:
        try:
            pem = key.read_bytes()
        except OSError as exc:
            raise UsageError(f"{key}: cannot read the key file ({exc.strerror})") from None
        made = sign(made, pem, str(key))
    write_output(out, made.text(), force=force)
    typer.echo(f"wrote {out}: {made.line()}", err=True)


def keygen(
    out: Annotated[
        Path, typer.Option("--out", metavar="KEYFILE", help="Private key file; the public key goes to KEYFILE.pub.")
    ],
    force: Annotated[bool, typer.Option("--force", help="Allow overwriting existing key files.")] = False,
) -> None:
    """Make an Ed25519 key pair for signing checkpoints (the private key file is owner-only).

    \b
    Examples:
      decision audit keygen --out audit.key
    """
    from decision.audit.checkpoint import generate_key, key_fingerprint, read_public_key
    from decision.errors import UsageError
    from decision.output_file import write_output

    public = out.with_name(out.name + ".pub")
    for path in (out, public):
        if path.exists() and not force:
            raise UsageError(f"{path}: already exists; pass --force to overwrite it")
    pem, pub = generate_key()
    write_output(public, pub, force=force)
    write_output(out, pem, force=force, mode=0o600)
    fingerprint = key_fingerprint(read_public_key(pub, str(public)))
    typer.echo(f"wrote {out} (private: keep it safe) and {public} (public: hand it out); key {fingerprint}", err=True)


def prove(
    run: RunArgument,
    domain_id: Annotated[str, typer.Argument(metavar="ID", help="The domain whose recorded result to prove.")],
    checkpoint: Annotated[
        Path, typer.Option("--checkpoint", metavar="FILE", help="The checkpoint to prove it against.")
    ],
    out: Annotated[Path, typer.Option("--out", metavar="FILE", help="Write the proof (JSON) here.")],
    store: ReadStoreOption = None,
    force: Annotated[bool, typer.Option("--force", help="Allow --out to overwrite an existing file.")] = False,
) -> None:
    """Write one domain's recorded result with a proof of its place in the store under a
    checkpoint; `decision audit check-proof` checks it without the store.

    \b
    Examples:
      decision audit prove 1 semiconductors --checkpoint checkpoint.txt \\
          --out proof.json
    """
    from decision.audit.proof import make_proof
    from decision.output_file import write_output

    made, _ = _load_checkpoint(checkpoint, None)
    with _open(store) as audit:
        proof = make_proof(audit, run, domain_id, made)
    import json

    write_output(out, json.dumps(proof, indent=2, ensure_ascii=False) + "\n", force=force)
    typer.echo(f"wrote {out}: run {run}, {domain_id}, against a checkpoint of {made.runs} runs", err=True)


def check_proof(
    proof_file: Annotated[Path, typer.Argument(metavar="PROOF.json", help="A proof from `decision audit prove`.")],
    checkpoint: Annotated[
        Path, typer.Option("--checkpoint", metavar="FILE", help="Your trusted copy of the checkpoint.")
    ],
    public_key: PublicKeyOption = None,
) -> None:
    """Check a proof of one domain's recorded result against a checkpoint, without the store.

    \b
    Examples:
      decision audit check-proof proof.json --checkpoint checkpoint.txt \\
          --public-key audit.key.pub
    """
    import json

    from decision.audit.proof import check_proof as check
    from decision.audit.store import outcome_label
    from decision.errors import UsageError
    from decision.model.result import DomainResult

    made, key = _load_checkpoint(checkpoint, public_key)
    try:
        proof = json.loads(_read_text(proof_file, "proof"))
    except ValueError as exc:
        raise UsageError(f"{proof_file}: not JSON ({exc})") from None
    result = check(proof, made, public_key=key, checkpoint_source=str(checkpoint))
    if not result.ok:
        for line in result.lines:
            typer.echo(f"  {line}", err=True)
        typer.echo(f"check-proof FAILED: {proof_file} does not hold against {checkpoint}", err=True)
        raise typer.Exit(EXIT_CHECK_FAILED)
    try:
        outcome = outcome_label(DomainResult.model_validate(proof["result"]))
    except Exception:  # the hashes hold, so the recorded result is shown as it was stored
        outcome = proof["result"].get("category")
    lines = [f"proof holds: run {proof['run_id']} recorded {proof['domain']} as {outcome}"]
    lines.extend(f"  {line}" for line in result.lines)
    _print_lines(lines)


# ----------------------------------------------------------------------------- inputs


def _stored_inputs(record: RunRecord) -> list[tuple[str, Any]]:
    return [
        *(("rules", f) for f in record.rules),
        *(("profile", f) for f in record.inputs),
        *(("sheet", f) for f in record.sheets),
    ]


def export(
    run: RunArgument,
    out: Annotated[Path, typer.Option("--out", metavar="DIR", help="A new folder to write the run's inputs into.")],
    store: ReadStoreOption = None,
) -> None:
    """Write a run's stored inputs back out as files, with the command that re-runs it.

    DIR/rules/ holds the rules files, the profiles and sheets keep their place relative to
    the run's working folder (files outside it go under DIR/outside/), and DIR/RERUN.txt
    says how to run `decision` on exactly what was decided.

    \b
    Examples:
      decision audit export 1 --out run-1
    """
    import os

    from decision.audit.store import _shell_word
    from decision.errors import UsageError

    if out.exists():
        raise UsageError(f"{out}: already exists; give a new folder")
    if not out.parent.is_dir():
        raise UsageError(f"{out}: folder {out.parent} does not exist")
    with _open(store) as audit:
        record = audit.get(run)
        if not record.self_contained:
            raise UsageError(f"run {run} was recorded before inputs were stored (schema 1): nothing to export")
        files = [(kind, entry, audit.blob(entry.sha256)) for kind, entry in _stored_inputs(record)]
    staging = out.with_name(f".{out.name}.partial")
    if staging.exists():
        raise UsageError(f"{staging}: left over from an interrupted export; remove it first")

    def place(kind: str, path: str, shown: str | None) -> Path:
        if kind == "rules":
            return Path("rules") / (shown or Path(path).name)
        relative = os.path.relpath(path, record.cwd)
        if relative.startswith(".."):
            return Path("outside") / Path(path).relative_to(Path(path).anchor)
        return Path(relative)

    written = []
    staging.mkdir()
    for kind, entry, data in files:
        target = staging / place(kind, entry.path, entry.shown)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(target)
    # The exported rules folder replaces whatever --rules the run named.
    args, skip = [], False
    for argument in record.args:
        if skip:
            skip = False
        elif argument == "--rules":
            skip = True
        elif not argument.startswith("--rules="):
            args.append(argument)
    rerun = [
        f"Run {record.run_id} of {audit.path}, recorded {record.created_at} by {record.by}:",
        f"  {record.command_line()}",
        f"in {record.cwd}, with the rules folder {record.rules_dir}.",
        "",
        "To run it again on exactly these files, from this folder:",
        f"  decision {record.command} {' '.join(_shell_word(a) for a in args)} --rules rules",
        "(the thresholds, --set values and sheets are in the command line above).",
        "",
        "Files (sha256):",
        *(f"  {place(kind, e.path, e.shown)}  {e.sha256}" for kind, e, _ in files),
    ]
    (staging / "RERUN.txt").write_text("\n".join(rerun) + "\n", encoding="utf-8")
    staging.rename(out)
    typer.echo(f"wrote {out}: {len(written)} files of run {run}; see {out / 'RERUN.txt'}", err=True)


# ----------------------------------------------------------------------------- registration


def register(app: typer.Typer) -> None:
    """Add ``decision audit ...`` to the app."""

    audit_app = typer.Typer(
        help="The audit trail: recorded runs (--record), their history, verification and anchoring.",
        no_args_is_help=True,
    )
    audit_app.command("log")(handles_errors(log))
    audit_app.command("show")(handles_errors(show))
    audit_app.command("verify")(handles_errors(verify))
    audit_app.command("checkpoint")(handles_errors(checkpoint))
    audit_app.command("keygen")(handles_errors(keygen))
    audit_app.command("prove")(handles_errors(prove))
    audit_app.command("check-proof")(handles_errors(check_proof))
    audit_app.command("export")(handles_errors(export))
    app.add_typer(audit_app, name="audit")
