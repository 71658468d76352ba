"""``decision serve [PATH...]``: the workshop room, a local web page the whole room uses.

Thin: it loads the rules and profiles, opens the room's store, makes the two codes,
prints the addresses and runs uvicorn until Ctrl-C. Starlette and uvicorn (the ``serve``
extra) are imported only here.
"""

from __future__ import annotations

import ipaddress
import secrets
from pathlib import Path
from typing import Annotated

import typer

from decision.cli.options import (
    EngineOption,
    PathsArgument,
    ReadingOption,
    RulesOption,
    ThresholdOption,
    handles_errors,
    load_profile_paths,
    load_rules,
)
from decision.cli.recording import DEFAULT_STORE
from decision.errors import UsageError


def is_loopback(host: str) -> bool:
    """True when only this machine can reach ``host`` (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_listen(host: str, port: int) -> None:
    """Refuse a taken port or an unknown address before printing addresses nobody can open."""
    import socket

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            probe.bind((host, port))
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; try another --port or --host"
        ) from None


def serve(
    paths: PathsArgument = None,
    rules: RulesOption = None,
    reading: ReadingOption = None,
    threshold: ThresholdOption = None,
    engine: EngineOption = None,
    host: Annotated[
        str, typer.Option("--host", metavar="ADDRESS", help="Listen here; beyond loopback a room code is required.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="The port to listen on.")] = 8000,
    store: Annotated[
        Path | None,
        typer.Option(
            "--store",
            metavar="PATH",
            help=f"SQLite file keeping the room's sheets and rounds, and the audit runs it records "
            f"(default: {DEFAULT_STORE}).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the workshop room: a facilitator page for the projector and a sheet for every participant.

    \b
    Examples:
      decision serve
      decision serve domains/ --host 0.0.0.0 --store workshop.sqlite
    """
    try:
        import uvicorn

        from decision.web.app import create_app
        from decision.web.room import Room
    except ImportError as exc:
        raise UsageError(
            f"decision serve needs the web extra ({exc.name} is not installed): pip install 'decision[serve]'"
        ) from None
    rulebook = load_rules(rules, threshold, engine, readings=reading)
    profiles = load_profile_paths(paths, rulebook)
    _check_listen(host, port)
    room = Room(rulebook, profiles, store if store is not None else Path(DEFAULT_STORE))
    room_code = None if is_loopback(host) else secrets.token_urlsafe(6)
    facilitator_code = secrets.token_urlsafe(12)
    app = create_app(room, room_code=room_code, facilitator_code=facilitator_code)
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{port}"
    typer.echo(f"workshop room: {len(room.profiles)} domains, store {room.store}, round {room.current_round}")
    if room_code is None:
        typer.echo(f"participants: {base}/")
    else:
        typer.echo(f"participants: {base}/?code={room_code}  (room code {room_code})")
    typer.echo(f"facilitator:  {base}/facilitator?key={facilitator_code}  (keep this one to yourself)")
    typer.echo("stop with Ctrl-C")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    except SystemExit as exc:  # uvicorn exits when it cannot listen (the port is taken, the address unknown)
        if exc.code:
            raise UsageError(f"cannot listen on {shown}:{port} (see the line above); try another --port") from None
    finally:
        room.close()
    typer.echo("stopped", err=True)


def register(app: typer.Typer) -> None:
    app.command("serve")(handles_errors(serve))
