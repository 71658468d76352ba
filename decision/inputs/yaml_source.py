"""Safe YAML loading that remembers where every value stood in its file.

Analysts and auditors need every complaint to name a file, a line and a field, so the
loader keeps the position of each key and value. It refuses what a data file never
needs and what can hurt: object tags, anchors and aliases (an alias bomb cannot expand
here), duplicate keys, and files too large to be a profile or a rules file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from decision.errors import Problem
from decision.inputs.kept import Kept

# Profiles and rules are a few kilobytes; a file a thousand times that is a mistake.
MAX_FILE_BYTES = 5 * 1024 * 1024
# A profile nests five levels (domains, item, scores, score, value); rules files fewer.
MAX_NESTING = 50

PathKey = tuple[str | int, ...]


@dataclass
class YamlDocument:
    """Parsed YAML data plus the (line, column) of every key and value, 1-based."""

    path: Path
    data: Any
    value_positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def position(self, loc: PathKey, *, prefer_key: bool = False) -> tuple[int, int]:
        """Best known position for a location: the deepest known prefix of it."""
        loc = tuple(loc)
        while True:
            if prefer_key and loc in self.key_positions:
                return self.key_positions[loc]
            if loc in self.value_positions:
                return self.value_positions[loc]
            if loc in self.key_positions:
                return self.key_positions[loc]
            if not loc:
                return (1, 1)
            loc = loc[:-1]

    def problem(self, loc: PathKey, field_name: str, message: str, *, prefer_key=False) -> Problem:
        """A problem anchored at the position of ``loc`` in this document."""
        line, column = self.position(loc, prefer_key=prefer_key)
        return Problem(str(self.path), line, column, field_name, message)


class YamlLoadError(Exception):
    """Raised with a located problem when a file cannot be read as safe YAML."""

    def __init__(self, problem: Problem):
        super().__init__(problem.render())
        self.problem = problem


try:  # libyaml scans and parses about ten times faster; composing stays in Python
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml.parser import Parser as _Parser
    from yaml.reader import Reader as _Reader
    from yaml.scanner import Scanner as _Scanner

    class _Parser(_Reader, _Scanner, _Parser):  # type: ignore[no-redef]
        def __init__(self, stream):
            _Reader.__init__(self, stream)
            _Scanner.__init__(self)
            _Parser.__init__(self)


class _NoAliasLoader(Composer, _Parser, SafeConstructor, Resolver):
    """A safe loader that refuses anchors, aliases and absurd nesting while composing.

    The Python composer is kept (placed before the parser in the MRO) so that every
    node passes through ``compose_node`` and its guards.
    """

    def __init__(self, stream):
        _Parser.__init__(self, stream)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        Composer.__init__(self)

    _depth = 0

    def compose_node(self, parent, index):
        # Composing recurses once per level; refuse deep nesting before Python's stack does.
        if self._depth >= MAX_NESTING:
            raise yaml.composer.ComposerError(
                None, None, f"nested more than {MAX_NESTING} levels deep", self.peek_event().start_mark
            )
        self._depth += 1
        try:
            return self._compose_node(parent, index)
        finally:
            self._depth -= 1

    def _compose_node(self, parent, index):
        if self.check_event(yaml.events.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in decision files", event.start_mark
            )
        event = self.peek_event()
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise yaml.composer.ComposerError(
                None,
                None,
                f"anchors (&{anchor}) are not allowed in decision files",
                event.start_mark,
            )
        return super().compose_node(parent, index)


_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
# The scalars a decision file may hold, and how to name each in a message.
_SCALAR_KINDS = {
    "tag:yaml.org,2002:str": "text",
    "tag:yaml.org,2002:int": "a valid whole number",
    "tag:yaml.org,2002:float": "a valid number",
    "tag:yaml.org,2002:bool": "true or false",
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:timestamp": "a valid date",
    "tag:yaml.org,2002:binary": "valid base64",
}


def _position(node: Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def load_yaml_file(path: Path) -> YamlDocument:
    """Read ``path`` as one safe YAML document; raise YamlLoadError with its position."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise YamlLoadError(
                Problem(str(path), 1, 1, "file", f"file is {size} bytes; the limit is {MAX_FILE_BYTES}")
            )
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlLoadError(Problem(str(path), 1, 1, "file", f"not UTF-8 text ({exc.reason})")) from None
    except OSError as exc:
        raise YamlLoadError(Problem(str(path), 1, 1, "file", f"cannot read: {exc.strerror}")) from None
    return load_yaml_text(text, path)


# Composing YAML in Python is most of reading a file, and a process reads the same files
# again and again (decision.inputs.kept). Small documents are kept by their exact text and
# handed out as copies; large ones (a 100,000-domain file) are not kept, so memory stays
# proportional to what a run holds anyway.
_KEPT_MAX_TEXT = 64 * 1024
_parsed: Kept[YamlDocument] = Kept(512)


def _copied(value: Any) -> Any:
    # Parsed data is only dicts, lists and immutable scalars, so this is a deep copy.
    if type(value) is dict:
        return {key: _copied(item) for key, item in value.items()}
    if type(value) is list:
        return [_copied(item) for item in value]
    return value


def load_yaml_text(text: str, path: Path) -> YamlDocument:
    """Parse YAML text attributed to ``path`` (used for files and for tests)."""
    # Kept by text alone: a copy of the rules folder parses once, wherever it lies.
    kept = _parsed.get(text)
    if kept is None:
        kept = _parse(text, Path(path))
        if len(text) > _KEPT_MAX_TEXT:
            return kept
        _parsed.keep(text, kept)
    return YamlDocument(Path(path), _copied(kept.data), dict(kept.value_positions), dict(kept.key_positions))


def _parse(text: str, path: Path) -> YamlDocument:
    loader = _NoAliasLoader(text)
    try:
        root = loader.get_single_node()
        document = YamlDocument(path=Path(path), data=None)
        document.data = _construct(loader, root, (), document) if root is not None else None
        return document
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if "quoted scalar" in (exc.context or "") and exc.context_mark is not None:
            mark = exc.context_mark  # where the quote opens, not the end of the file
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = plain_yaml_message(exc, text)
        raise YamlLoadError(Problem(str(path), line, column, "yaml", message)) from None
    except yaml.YAMLError as exc:
        raise YamlLoadError(Problem(str(path), 1, 1, "yaml", str(exc))) from None
    finally:
        loader.dispose()


def plain_yaml_message(exc: yaml.MarkedYAMLError, text: str) -> str:
    """PyYAML's complaint in words a person editing a profile understands, with the fix.

    PyYAML describes its parser's state ("block sequence entries are not allowed in this
    context"); the commonest causes are few, and each is recognised from the text at the
    mark: an unquoted ordinal symbol starting with "-", a tab used for indenting, a quote
    never closed. Anything else keeps PyYAML's words, which name the problem exactly.
    """
    problem = exc.problem or str(exc)
    mark = exc.problem_mark or exc.context_mark
    lines = text.splitlines()
    here = lines[mark.line] if mark is not None and mark.line < len(lines) else ""
    after = here[mark.column :] if mark is not None else ""
    if "block sequence entries are not allowed" in problem or (
        "expected <block end>" in problem and after.lstrip().startswith("-")
    ):
        symbol = after.strip().split()[0] if after.strip() else "-"
        return (
            f'a value starting with "-" reads as a list item; put the symbol in quotes: "{symbol}" '
            "(scores also take a number, such as 2)"
        )
    if "cannot start any token" in problem and after.startswith("\t"):
        return "a tab character: YAML indents with spaces only; replace the tab with spaces"
    if "while scanning a quoted scalar" in (exc.context or "") and "end of stream" in problem:
        return "this quote is never closed: add the closing quote"
    if "mapping values are not allowed" in problem:
        return 'a ": " inside a value: put the whole value in quotes'
    if exc.context and "aliases" not in problem and "anchors" not in problem:
        return f"{exc.context}: {problem}"
    return problem


def _construct(loader: yaml.SafeLoader, node: Node, loc: PathKey, document: YamlDocument) -> Any:
    document.value_positions[loc] = _position(node)
    # Mappings and sequences are built here, not by the loader, so an explicit tag on one
    # (!!python/object/apply:..., !!set, !!omap, !custom) must be refused here too.
    plain_tag = {MappingNode: _MAP_TAG, SequenceNode: _SEQ_TAG}.get(type(node))
    if plain_tag is not None and node.tag != plain_tag:
        raise yaml.constructor.ConstructorError(
            None, None, f'tag "{node.tag}" is not allowed in decision files', node.start_mark
        )
    if isinstance(node, MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise yaml.constructor.ConstructorError(
                    None, None, "mapping keys must be plain text", key_node.start_mark
                )
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise yaml.constructor.ConstructorError(
                    None, None, "merge keys (<<) are not allowed", key_node.start_mark
                )
            key = loader.construct_object(key_node)
            if not isinstance(key, str):
                key = str(key)
            if key in result:
                raise yaml.constructor.ConstructorError(None, None, f'duplicate key "{key}"', key_node.start_mark)
            document.key_positions[(*loc, key)] = _position(key_node)
            result[key] = _construct(loader, value_node, (*loc, key), document)
        return result
    if isinstance(node, SequenceNode):
        return [_construct(loader, item, (*loc, index), document) for index, item in enumerate(node.value)]
    kind = _SCALAR_KINDS.get(node.tag)
    if kind is None:
        raise yaml.constructor.ConstructorError(
            None, None, f'tag "{node.tag}" is not allowed in decision files', node.start_mark
        )
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError):
        # PyYAML's constructors raise plain Python errors on scalars they resolved but
        # cannot build (2023-02-30, !!int "", a 5,000-digit integer): say which and where.
        shown = node.value if len(node.value) <= 40 else node.value[:37] + "..."
        hint = " (quote it to keep it as text)" if not node.style and node.tag == "tag:yaml.org,2002:timestamp" else ""
        raise yaml.constructor.ConstructorError(None, None, f'"{shown}" is not {kind}{hint}', node.start_mark) from None
