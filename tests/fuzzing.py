"""A seeded mutator over the shipped input files, shared by tests/test_fuzz_inputs.py (a
small run in every test run) and benchmarks/fuzz_inputs.py (a large one).

Each mutation is what a hurried person, a bad merge or a broken disk does to a file:
drop or repeat a character or a line, swap two lines, type a YAML token in the wrong
place, or replace a value with one of the scalars PyYAML resolves but cannot build. A
loader passes when every mutated document is either accepted or refused with one of the
project's own errors (``DecisionError``); anything else is a crash.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

# Tokens that change what YAML means: structure, tags, anchors, quotes, tabs.
TOKENS = [":", "- ", "\t", "!", "&a ", "*a", "[", "]", "{", "}", '"', "'", "#", "|", ">", "?", "%", "@", "`", "\n", "~"]
# Scalars that PyYAML resolves but cannot construct, or that a loader must refuse in words.
VALUES = [
    "2023-02-30",
    "!!timestamp abc",
    '!!int ""',
    "!!float abc",
    "!!bool maybe",
    "9" * 4301,
    "!!binary aGk=",
    "!!python/object/apply:os.system ['true']",
    ".nan",
    "-.inf",
    "1e308",
    "-",
    "--",
    "++",
    "~",
    "[]",
    "{}",
    "yes",
    "2024-01-31",
    "'4'",
    "3,5",
    "\u00e9\u00e8",
    "\x00",
    "<<: {a: 1}",
    "&x 1",
    "*x",
    "!!set {a}",
    "? [a]",
    "a" * 300,
]


@dataclass(frozen=True)
class Mutant:
    """One mutated document and how it was made (for the failure message)."""

    text: str
    how: str


def _replace_value(chooser: random.Random, lines: list[str]) -> tuple[list[str], str]:
    candidates = [i for i, line in enumerate(lines) if ":" in line and not line.lstrip().startswith("#")]
    if not candidates:
        return lines, "no value to replace"
    index = chooser.choice(candidates)
    key = lines[index].split(":", 1)[0]
    value = chooser.choice(VALUES)
    return [*lines[:index], f"{key}: {value}", *lines[index + 1 :]], f"line {index + 1}: value -> {value[:40]!r}"


def mutate(text: str, chooser: random.Random) -> Mutant:
    """One random mutation of ``text``."""
    lines = text.splitlines()
    kind = chooser.randrange(7)
    if kind == 0 and text:
        at = chooser.randrange(len(text))
        return Mutant(text[:at] + text[at + 1 :], f"deleted character {at}")
    if kind == 1:
        at = chooser.randrange(len(text) + 1)
        token = chooser.choice(TOKENS)
        return Mutant(text[:at] + token + text[at:], f"inserted {token!r} at {at}")
    if kind == 2 and lines:
        at = chooser.randrange(len(lines))
        return Mutant("\n".join([*lines[: at + 1], lines[at], *lines[at + 1 :]]) + "\n", f"repeated line {at + 1}")
    if kind == 3 and len(lines) > 1:
        a, b = sorted(chooser.sample(range(len(lines)), 2))
        lines[a], lines[b] = lines[b], lines[a]
        return Mutant("\n".join(lines) + "\n", f"swapped lines {a + 1} and {b + 1}")
    if kind == 4 and lines:
        at = chooser.randrange(len(lines))
        return Mutant("\n".join(lines[:at] + lines[at + 1 :]) + "\n", f"deleted line {at + 1}")
    if kind == 5 and lines:
        at = chooser.randrange(len(lines))
        return Mutant("\n".join([*lines[:at], "  " + lines[at], *lines[at + 1 :]]) + "\n", f"indented line {at + 1}")
    changed, how = _replace_value(chooser, lines)
    return Mutant("\n".join(changed) + "\n", how)


def mutants(text: str, count: int, seed: int) -> list[Mutant]:
    """``count`` mutants of ``text``; one or two mutations each, reproducible from ``seed``."""
    chooser = random.Random(seed)
    found = []
    for _ in range(count):
        mutant = mutate(text, chooser)
        if chooser.random() < 0.3:
            second = mutate(mutant.text, chooser)
            mutant = Mutant(second.text, f"{mutant.how}; {second.how}")
        found.append(mutant)
    return found


def corrupt_bytes(data: bytes, chooser: random.Random, flips: int = 4) -> bytes:
    """``data`` with a few random bytes overwritten (a broken disk or a bad copy)."""
    changed = bytearray(data)
    for _ in range(flips):
        changed[chooser.randrange(len(changed))] = chooser.randrange(256)
    return bytes(changed)


def crashes(
    check: Callable[[str], object], documents: list[Mutant], allowed: tuple[type[BaseException], ...]
) -> list[str]:
    """The mutants ``check`` crashes on: anything raised that is not one of ``allowed``."""
    found = []
    for mutant in documents:
        try:
            check(mutant.text)
        except allowed:
            continue
        except Exception as exc:  # the point: anything else is a crash to report
            found.append(f"{mutant.how}: {type(exc).__name__}: {str(exc)[:200]}")
    return found
