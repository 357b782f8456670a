"""YAML read into plain values that remember their line numbers, for located error messages.

The reader walks libyaml's event stream itself instead of composing a node tree: it builds
dicts, lists and strings (no implicit types: pydantic types them) with a stack instead of
recursion, refuses anchors and aliases (a digest file has no use for them, and they are how a
few bytes become gigabytes or a loop), and bounds nesting depth and the number of values. It
keeps a map from each value's path (`("quotes", 3, "words")`) to its line, so an error names
the line to fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from bot.core.digest_files.errors import DigestFileError

# The base loader resolves no implicit types (every scalar is a string): pydantic converts
# dates, numbers and booleans with located errors.
_Loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
_NULLS = {"", "~", "null", "Null", "NULL"}
MAX_DEPTH = 12  # a digest file nests four levels deep; anything far deeper is not one
MAX_VALUES = 100_000  # values (scalars, lists, mappings) in one file
_NODE_EVENTS = frozenset((yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent))


def field_name(path: tuple[str | int, ...]) -> str:
    """("quotes", 3, "words") -> 'quotes[3].words'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass
class Located:
    """Where each value of one file sits: `error(path, message)` names its line."""

    file: str
    lines: dict[tuple[str | int, ...], int]

    def error(self, path: tuple[str | int, ...], message: str) -> DigestFileError:
        line = None
        for n in range(len(path), -1, -1):
            if path[:n] in self.lines:
                line = self.lines[path[:n]]
                break
        return DigestFileError(self.file, line, field_name(path), message)


@dataclass(slots=True)
class _Open:
    """A list or mapping being filled, with the key waiting for its value (mappings)."""

    value: dict[str, Any] | list[Any]
    path: tuple[str | int, ...]
    is_mapping: bool
    key: str | None = None


def _line(event: Any) -> int:
    return int(getattr(event.start_mark, "line", 0)) + 1


def parse_yaml(text: str, file: str) -> tuple[Any, Located]:
    """The one document of `text` as plain values, and where each sits; DigestFileError when it
    is not valid YAML, holds an anchor or alias, or is too deep or too large."""
    lines: dict[tuple[str | int, ...], int] = {}
    stack: list[_Open] = []
    root: Any = None
    documents = values = 0

    def fail(line: int | None, message: str, path: tuple[str | int, ...] = ()) -> DigestFileError:
        return DigestFileError(file, line, field_name(path), message)

    def place(value: Any, line: int) -> tuple[str | int, ...]:
        """Put a finished or new value into its parent; returns the value's path."""
        nonlocal root
        if not stack:
            root = value
            lines[()] = line
            return ()
        parent = stack[-1]
        if isinstance(parent.value, list):
            path = (*parent.path, len(parent.value))
            parent.value.append(value)
        else:
            assert parent.key is not None  # a mapping's value comes after its key
            path = (*parent.path, parent.key)
            parent.value[parent.key] = value
            parent.key = None
        lines[path] = line
        return path

    # Events are read from libyaml's parser itself (`yaml.parse` wraps each in a generator step
    # and a check call) and told apart by exact class (libyaml makes only these; a chain of
    # isinstance() calls per event cost more than the parsing): half the reader's time before.
    # `event` is Any: type checkers do not follow the class tests.
    parser = _Loader(text)
    next_event = parser.get_event
    event: Any
    try:
        while (event := next_event()) is not None:
            kind = event.__class__
            if kind is yaml.AliasEvent or (kind in _NODE_EVENTS and event.anchor is not None):
                raise fail(_line(event), "anchors and aliases (&name, *name) are not allowed in digest files")
            if kind not in _NODE_EVENTS:
                if kind is yaml.SequenceEndEvent or kind is yaml.MappingEndEvent:
                    stack.pop()
                elif kind is yaml.DocumentStartEvent:
                    documents += 1
                    if documents > 1:
                        raise fail(_line(event), "a digest file holds one document (found a second '---')")
                continue
            values += 1
            line = event.start_mark.line + 1
            if values > MAX_VALUES:
                raise fail(line, f"too many values (more than {MAX_VALUES:,}): not a digest file")
            parent = stack[-1] if stack else None
            if parent is not None and parent.key is None and parent.is_mapping:
                # a mapping key: only plain text keys
                if kind is not yaml.ScalarEvent:
                    raise fail(line, "a key must be plain text, not a list or a mapping", parent.path)
                if event.value in parent.value:
                    raise fail(line, "duplicate key", (*parent.path, event.value))
                parent.key = event.value
                continue
            if kind is yaml.ScalarEvent:
                # a plain empty or null scalar is None
                place(None if event.style is None and event.value in _NULLS else event.value, line)
                continue
            if len(stack) >= MAX_DEPTH:
                raise fail(line, f"nested more than {MAX_DEPTH} levels deep: not a digest file")
            is_mapping = kind is yaml.MappingStartEvent
            container: dict[str, Any] | list[Any] = {} if is_mapping else []
            path = place(container, line)
            stack.append(_Open(container, path, is_mapping))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise fail(mark.line + 1 if mark else None, f"not valid YAML: {problem}") from None
    finally:
        parser.dispose()
    if documents == 0 or root is None:
        raise DigestFileError(file, 1, "", "the file is empty")
    return root, Located(file, lines)
