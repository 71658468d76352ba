"""Which engine walks the tree: durable-rules where it loads, zen-engine otherwise.

Precedence, highest first: the ``--engine`` option of a command; the ``DECISION_ENGINE``
environment variable; durable-rules if it can be imported, else zen-engine. Choosing
durable-rules where it cannot be imported is an error (never a silent fallback); the
automatic choice falls back and says so in one line, which the command line prints.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass

from decision.errors import EngineError

DURABLE = "durable-rules"
ZEN = "zen"
ENGINES = (DURABLE, ZEN)
ENVIRONMENT = "DECISION_ENGINE"

# The build that makes durable-rules' C extension load on Python 3.13 (measured): the
# function it calls was removed in 3.13 and has a drop-in replacement.
DURABLE_BUILD_313 = (
    "CPPFLAGS=-DPyEval_CallObject=PyObject_CallObject "
    "pip install --no-cache-dir --force-reinstall --no-deps durable-rules==2.0.28"
)


class EngineUnavailable(EngineError):
    """The requested engine cannot be loaded on this machine."""


@dataclass(frozen=True)
class EngineChoice:
    """The engine a run uses, and the note to show when it was not the one expected."""

    name: str
    note: str | None = None


# Two threads asking at once (the workshop room's server and its caller) must not race:
# while one thread's import of decision.engine.durable is failing, the half-made module
# sits in sys.modules, and a second thread's import could return it as if it had loaded.
_DURABLE_IMPORT = threading.Lock()


def durable_problem() -> str | None:
    """Why durable-rules cannot be used here, in one line with the fix; None if it can."""
    try:
        with _DURABLE_IMPORT:
            import decision.engine.durable  # noqa: F401
    except ImportError as exc:
        missing = isinstance(exc, ModuleNotFoundError) and (exc.name or "").startswith("durable")
        if missing:
            if sys.version_info >= (3, 13):
                fix = f"it has no wheels and needs this build on Python 3.13+: {DURABLE_BUILD_313}"
            else:
                fix = "install it with: pip install 'decision[durable]' (it builds from source: a C compiler is needed)"
            return f"durable-rules is not installed; {fix}"
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "PyEval_CallObject" in detail:
            return (
                f"durable-rules is installed but does not load on Python 3.13+ ({detail}); "
                f"rebuild it: {DURABLE_BUILD_313}"
            )
        return f"durable-rules is installed but does not load ({detail})"
    return None


def resolve_engine(requested: str | None = None) -> EngineChoice:
    """The engine for a run: ``requested`` (an option), else the environment, else the default."""
    source = "--engine"
    if requested is None:
        requested = os.environ.get(ENVIRONMENT) or None
        source = ENVIRONMENT
    if requested is not None:
        if requested not in ENGINES:
            raise EngineUnavailable(f'{source}: unknown engine "{requested}" (known: {", ".join(ENGINES)})')
        if requested == DURABLE:
            problem = durable_problem()
            if problem is not None:
                raise EngineUnavailable(f"{problem}; or choose --engine zen")
        return EngineChoice(requested)
    problem = durable_problem()
    if problem is None:
        return EngineChoice(DURABLE)
    return EngineChoice(
        ZEN,
        f"note: using zen-engine: {problem}. Pass --engine zen (or set {ENVIRONMENT}=zen) to silence this note.",
    )


def make_backend(name: str, rulebook):
    """The backend object of engine ``name`` for ``rulebook``."""
    if name == DURABLE:
        from decision.engine.durable import DurableRulesBackend

        return DurableRulesBackend(rulebook)
    if name == ZEN:
        from decision.engine.zen import ZenBackend

        return ZenBackend(rulebook)
    raise EngineUnavailable(f'unknown engine "{name}" (known: {", ".join(ENGINES)})')
