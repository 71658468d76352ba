"""Command groups beyond the core ones, one module each, registered on the main app.

Each module defines ``register(app)`` and keeps heavy imports (numpy, pandas, the
engine) inside its command functions, so that start-up stays fast. They take shared
options from ``decision.cli.options``, never from ``decision.cli.app``.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

# Which module adds each top-level command, so that a run imports only the module it
# needs. tests/test_help.py checks this table against what the modules register.
COMMAND_MODULES = {
    "audit": "audit",
    "compare-quadrants": "compare_quadrants",
    "counterfactual": "counterfactual",
    "diff": "diff",
    "import": "import_table",
    "indicators": "indicators",
    "margins": "margins",
    "plot": "plot",
    "portfolio": "portfolio",
    "readings": "readings",
    "report": "report",
    "robustness": "robustness",
    "workshop": "robustness",
    "serve": "serve",
    "whatif": "whatif",
}


def register_module(app: typer.Typer, name: str) -> None:
    """Import the command module ``name`` and let it add its commands to ``app``."""
    importlib.import_module(f"{__name__}.{name}").register(app)


def register_all(app: typer.Typer) -> None:
    """Import every module of this package and let it add its commands to ``app``."""
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        register_module(app, module_info.name)
