"""Command groups beyond the core ones, one module each, registered on the main app.

Each module defines ``register(app)`` and keeps heavy imports (numpy, pandas, the
engine) inside its command functions, so that start-up stays fast. They take shared
options from ``decision.cli.options``, never from ``decision.cli.app``.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer


def register_all(app: typer.Typer) -> None:
    """Import every module of this package and let it add its commands to ``app``."""
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        module.register(app)
