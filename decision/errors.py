"""The exception types of decision; only the CLI turns them into messages and exit codes."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """'; did you mean "science"?' when one known name is close to ``word``, else ''.

    A misspelt score, id or reading is the commonest input mistake; naming the likely
    intended one saves reading the whole list of known names.
    """
    match = difflib.get_close_matches(str(word), [str(k) for k in known], n=1, cutoff=0.75)
    return f'; did you mean "{match[0]}"?' if match else ""


def unknown_name(kind: str, name: object, known: Iterable[str]) -> str:
    """'unknown score "sciense"; did you mean "science"? (known: economic, ...)': the one
    wording for a name a registry lacks. The known names keep the registry's own order
    (for scores, the order of the rules, as in every table), never a sorted copy."""
    names = [str(k) for k in known]
    return f'unknown {kind} "{name}"{did_you_mean(str(name), names)} (known: {", ".join(names)})'


def completed_unknown(message: str, known: Iterable[str]) -> str:
    """A validator's bare 'unknown score "sciense"' in :func:`unknown_name`'s words: the
    did-you-mean for the quoted name and the known names, in the registry's order."""
    quoted = re.search(r'"([^"]*)"', message)
    names = [str(k) for k in known]
    hint = did_you_mean(quoted.group(1), names) if quoted else ""
    return f"{message}{hint} (known: {', '.join(names)})"


@dataclass(frozen=True, order=True)
class Problem:
    """One located complaint about an input file: ``file:line:col: field: message``."""

    file: str
    line: int
    column: int
    field: str
    message: str

    def render(self) -> str:
        """The one-line form shown to users."""
        return f"{self.file}:{self.line}:{self.column}: {self.field}: {self.message}"


class DecisionError(Exception):
    """Base of every error decision raises on purpose."""


class ProblemsError(DecisionError):
    """Several located problems, reported together rather than stopping at the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        super().__init__("\n".join(p.render() for p in self.problems))


class RulesError(ProblemsError):
    """The rules folder is invalid: unknown names, broken references, bad values."""


class ProfileError(ProblemsError):
    """One or more domain profiles are invalid."""


class UsageError(DecisionError):
    """A command-line value is wrong (bad --threshold, unknown domain id, ...)."""


class EngineError(DecisionError):
    """The rules engine misbehaved: no rule matched, an action failed, a cycle."""


class FieldError(DecisionError):
    """A value in a mapping that came from no file (a request body) is invalid.

    ``field`` is the dotted path of the value (``scores.biotech.economic``), so a web
    client can point at the input that is wrong; the web server answers 4xx with both.
    """

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def _described(value: object) -> str:
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):  # YAML reads yes/no/on/off as true/false as well
        return f"the truth value {str(value).lower()}"
    if isinstance(value, float) and value != value:
        return "not a number (nan)"
    if isinstance(value, int | float):
        return f"the number {value:g}" if isinstance(value, float) else f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f'the text "{shown}"'
    if isinstance(value, dict):
        return "a mapping (key: value lines)"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


_EXPECTED = {
    "dict_type": "a mapping (key: value lines)",
    "model_type": "a mapping (key: value lines)",
    "model_attributes_type": "a mapping (key: value lines)",
    "list_type": "a list (- item lines, or [a, b])",
    "string_type": "text",
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "finite_number": "a finite number",
}


def plain_message(item: dict) -> str:
    """One validation error of pydantic (an item of ``ValidationError.errors()``) in plain
    words: what was expected and what was found, without pydantic's wording."""
    kind = item.get("type", "")
    message = str(item.get("msg", ""))
    found = item.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {_described(found)}"
    bounds = item.get("ctx") or {}
    for key, words in (("ge", "at least"), ("gt", "more than"), ("le", "at most"), ("lt", "less than")):
        if kind.startswith(("greater_than", "less_than")) and key in bounds:
            return f"must be {words} {bounds[key]}, got {_described(found)}"
    if kind in ("literal_error", "enum"):
        expected = (item.get("ctx") or {}).get("expected", "")
        return f"expected one of {expected}, got {_described(found)}"
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
