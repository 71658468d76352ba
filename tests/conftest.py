"""Shared fixtures: the shipped rules, and a CLI runner with pinned width and no colour."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer.testing
from typer.testing import CliRunner

from decision.cli.app import app_for
from decision.engine.choice import ENVIRONMENT, ZEN, durable_problem
from decision.inputs.rulebook import load_rulebook

REPO = Path(__file__).resolve().parent.parent
RULES_DIR = REPO / "rules"
DOMAINS_DIR = REPO / "domains"
# Pinned so golden files do not depend on the terminal running the tests.
CLI_ENV = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb", "SOURCE_DATE_EPOCH": "1764633600"}
# Where durable-rules does not load (Python 3.13+), the CLI's default is zen-engine with a
# note on stderr; choosing zen explicitly picks the same engine without the note, so that
# stderr assertions hold on every Python. tests/test_engines.py tests the note itself.
DURABLE_PROBLEM = durable_problem()
if DURABLE_PROBLEM is not None and not os.environ.get(ENVIRONMENT):
    CLI_ENV[ENVIRONMENT] = ZEN
requires_durable = pytest.mark.skipif(DURABLE_PROBLEM is not None, reason=f"needs durable-rules: {DURABLE_PROBLEM}")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config):
    """No worker processes when the run names files or tests (pytest tests/test_x.py):
    starting the workers takes longer than such a run. A folder, as in the default run,
    is spread over the cores (pyproject.toml: -n auto)."""
    for arg in config.args:
        if not (config.invocation_params.dir / arg.split("::")[0]).is_dir():
            return 0
    return None


@pytest.fixture(scope="session")
def rulebook():
    """The shipped rulebook, loaded once."""
    return load_rulebook(RULES_DIR)


# Building the click command from a typer app (every option's type hints, for every
# command) took a quarter of the suite's time. Each test still runs the app the console
# script would build for its arguments (decision.cli.app.app_for), but each such app is
# built once per session.
_APPS: dict[str, typer.Typer] = {}
_COMMANDS: dict[int, tuple[typer.Typer, object]] = {}
_build_command = typer.testing._get_command


def _command_once(typer_app: typer.Typer):
    if id(typer_app) not in _COMMANDS:
        _COMMANDS[id(typer_app)] = (typer_app, _build_command(typer_app))
    return _COMMANDS[id(typer_app)][1]


typer.testing._get_command = _command_once


def cli_app(args: list[str]) -> typer.Typer:
    """The app ``decision ARGS`` runs, built once per command name."""
    name = args[0] if args and not args[0].startswith("-") else ""
    if name not in _APPS:
        _APPS[name] = app_for([name] if name else [])
    return _APPS[name]


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(monkeypatch):
    """Run the CLI in-process from the repository root; returns exit code, stdout, stderr."""

    def run(*args: str, cwd: Path = REPO) -> CliResult:
        for key, value in CLI_ENV.items():
            monkeypatch.setenv(key, value)
        monkeypatch.chdir(cwd)
        argv = [str(a) for a in args]
        result = CliRunner().invoke(cli_app(argv), argv, catch_exceptions=False)
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def rules_copy(tmp_path):
    """A writable copy of the shipped rules folder under tmp_path."""
    target = tmp_path / "rules"
    shutil.copytree(RULES_DIR, target)
    return target


def find_chromium() -> str | None:
    """Debian's chromium, which the browser tests drive (Playwright's download is not used)."""
    for candidate in (shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session, driven by Playwright (launching one is most
    of a browser test's time). Skips where Playwright or Chromium is missing; .ci/run
    installs Chromium."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    executable = find_chromium()
    if executable is None:
        pytest.skip("Chromium not found (neither `chromium` on PATH nor /usr/bin/chromium); .ci/run installs it")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


def write(path: Path, text: str) -> Path:
    """Write a test input file (always under tmp_path) and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


os.environ.setdefault("COLUMNS", CLI_ENV["COLUMNS"])
