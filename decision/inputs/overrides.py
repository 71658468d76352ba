"""Parsing of ``--set SCORE=VALUE`` options (``decision whatif``).

VALUE is a number on the scale, an ordinal symbol of ``rules/scales.yaml`` (e.g. ``++``),
or ``na`` (the score becomes missing). Every mistake is one line naming the option.
"""

from __future__ import annotations

import math

from decision.errors import UsageError, unknown_name
from decision.inputs.rulebook import Rulebook

MISSING = "na"


def parse_set_options(options: list[str] | None, rulebook: Rulebook) -> dict[str, float | None]:
    """Turn repeated ``SCORE=VALUE`` strings into ``{score: value}`` (None = missing)."""
    values: dict[str, float | None] = {}
    low, high = rulebook.scale.min, rulebook.scale.max
    for option in options or []:
        name, sep, raw = option.partition("=")
        name, raw = name.strip(), raw.strip()
        if not sep or not name or not raw:
            raise UsageError(f'--set "{option}": expected SCORE=VALUE, e.g. economic=4, economic=++ or economic=na')
        if name not in rulebook.scores:
            raise UsageError(f'--set "{option}": {unknown_name("score", name, rulebook.scores)}')
        if name in values:
            raise UsageError(f'--set "{option}": {name} is given more than once')
        if raw in rulebook.symbols:
            values[name] = rulebook.symbols[raw]
            continue
        if raw == MISSING:
            values[name] = None
            continue
        try:
            value = float(raw)
        except ValueError:
            symbols = ", ".join(f'"{s}"' for s in rulebook.symbols)
            raise UsageError(
                f'--set "{option}": "{raw}" is neither a number nor a symbol (symbols: {symbols}; na = missing)'
            ) from None
        if not math.isfinite(value):
            raise UsageError(f'--set "{option}": {raw} is not a finite number')
        if not low <= value <= high:
            raise UsageError(f'--set "{option}": {raw} is outside the scale {low:g}-{high:g}')
        values[name] = value
    return values
