"""decision: sorts strategic domains into the categories of VARIO's decision tree.

The package is a one-way pipeline; each stage is a subpackage and may import only the
stages below it (an import-linter contract in pyproject.toml checks this in CI):

    cli          the typer app, shared options, one module per command group
    renderers    every output format, the report, tree drawings, generated docs
    audit, ceps  the audit store and diffs; CEPS quadrants, chart and comparison
    analyses     what-if, margins, counterfactuals, robustness, disagreements, portfolio
    engine       the durable-rules walk, the scalar and vectorised evaluators, the proof
    inputs       YAML with positions, the rules folder, profiles, indicators, sheets
    model        the result model and its plain-language wording
    output_file, errors   cross-cutting: atomic output, the exception types
"""

import functools


@functools.cache
def tool_version() -> str:
    """This installation's version of decision, or "unknown" when it runs from a checkout
    that was never installed. Looked up once per process: reading the package metadata
    takes a few milliseconds, and a recorded run asks for it more than once."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("decision")
    except PackageNotFoundError:
        return "unknown"
