"""The ``--record`` wiring of classify, explain, whatif and workshop: the option types and
:func:`record_run`, which appends a run to the audit store.

Imported at start-up by the app for the option types, so nothing heavy is imported at
the top; the store itself (``decision.audit.store``) is imported only when recording.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

DEFAULT_STORE = "decision-audit.sqlite"  # the same as decision.audit.store.DEFAULT_STORE

RecordOption = Annotated[
    bool,
    typer.Option("--record", help="Append a record of this run to the audit store (see `decision audit`)."),
]
StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        metavar="PATH",
        help=f"Audit store file (default: {DEFAULT_STORE} in the working folder).",
        show_default=False,
    ),
]
ByOption = Annotated[
    str | None,
    typer.Option(
        "--by", metavar="NAME", help="Who runs it, for the record (default: the OS user).", show_default=False
    ),
]

# Parameters that say how to record, not what was run: left out of the record's arguments.
_RECORDING_PARAMS = ("record", "store", "by")


# ----------------------------------------------------------------------------- recording


def _who(by: str | None) -> str:
    from decision.errors import UsageError

    if by is not None:
        if not by.strip():
            raise UsageError("--by: give a name")
        return by.strip()
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):  # no user name in the environment or the password database
        return "unknown"


def _jsonable(value: Any) -> Any:
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _invocation() -> tuple[list[str], dict[str, Any]]:
    """The running command's arguments as given (defaults left out) and its parameters by name.

    Read from click's current context: typer 0.12-0.2x re-exports click, newer versions
    vendor it as ``typer._click``. tests/test_audit.py checks that both come out.
    """
    try:
        from typer._click.globals import get_current_context
    except ImportError:  # typer that depends on click instead of vendoring it
        from click import get_current_context

    ctx = get_current_context(silent=True)
    if ctx is None:
        return [], {}
    positional: list[str] = []
    options: list[str] = []
    params: dict[str, Any] = {}
    for param in ctx.command.params:
        if param.name in _RECORDING_PARAMS or param.name not in ctx.params:
            continue
        value = _jsonable(ctx.params[param.name])
        params[param.name] = value
        if param.param_type_name == "argument":
            positional.extend(str(v) for v in (value if isinstance(value, list) else [value] if value else []))
            continue
        if value is None or value == [] or value is False or value == _jsonable(param.default):
            continue
        flag = max(param.opts, key=len)
        if value is True:
            options.append(flag)
        else:
            for item in value if isinstance(value, list) else [value]:
                options.extend([flag, str(item)])
    return positional + options, params


def record_run(
    command: str,
    rulebook,
    profiles,
    results,
    *,
    record: bool,
    store: Path | None,
    by: str | None,
    hypothetical=(),
    sheets=None,
):
    """Append this run to the audit store when ``record`` is set; return where it is
    recorded (a :class:`~decision.model.result.RecordBinding`), or None.

    Call it once the results are known and before printing them, so that no recorded
    command prints an unrecorded result. Prints ``recorded run N in PATH`` to stderr.
    ``--store`` or ``--by`` without ``--record`` is a usage error.
    """
    from decision.errors import UsageError

    if not record:
        if store is not None or by is not None:
            given = [name for name, value in (("--store", store), ("--by", by)) if value is not None]
            verb = "applies" if len(given) == 1 else "apply"
            raise UsageError(f"{' and '.join(given)} only {verb} with --record")
        return None
    from decision.audit.store import open_store, run_content

    path = store if store is not None else Path(DEFAULT_STORE)
    args, params = _invocation()
    content, blobs = run_content(
        command=command,
        args=args,
        params=params,
        rulebook=rulebook,
        profiles=profiles,
        results=results,
        by=_who(by),
        hypothetical=hypothetical,
        sheets=sheets,
    )
    from decision.model.result import RecordBinding

    with open_store(path, create=True) as audit:
        saved = audit.append(content, blobs)
        checkpoint = audit.checkpoint()
    typer.echo(f"recorded run {saved.run_id} in {path}", err=True)
    return RecordBinding(run_id=saved.run_id, store=str(path), record_hash=saved.hash, checkpoint=checkpoint.line())
