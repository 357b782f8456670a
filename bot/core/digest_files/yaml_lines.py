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


@dataclass
class _Open:
    """A list or mapping being filled, with the key waiting for its value (mappings)."""

    value: dict[str, Any] | list[Any]
    path: tuple[str | int, ...]
    key: str | None = None
    key_line: int = 0


def _line(event: yaml.Event) -> int:
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
            assert parent.key is not None
            path = (*parent.path, parent.key)
            parent.value[parent.key] = value
            parent.key = None
        lines[path] = line
        return path

    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise fail(_line(event), "anchors and aliases (&name, *name) are not allowed in digest files")
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise fail(_line(event), "a digest file holds one document (found a second '---')")
                continue
            if not isinstance(event, yaml.ScalarEvent | yaml.SequenceStartEvent | yaml.MappingStartEvent):
                if isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                    stack.pop()
                continue
            values += 1
            if values > MAX_VALUES:
                raise fail(_line(event), f"too many values (more than {MAX_VALUES:,}): not a digest file")
            parent = stack[-1] if stack else None
            if isinstance(parent, _Open) and isinstance(parent.value, dict) and parent.key is None:
                # a mapping key: only plain text keys
                if not isinstance(event, yaml.ScalarEvent):
                    raise fail(_line(event), "a key must be plain text, not a list or a mapping", parent.path)
                if event.value in parent.value:
                    raise fail(_line(event), "duplicate key", (*parent.path, event.value))
                parent.key, parent.key_line = event.value, _line(event)
                continue
            if isinstance(event, yaml.ScalarEvent):
                # a plain empty or null scalar is None
                place(None if event.style is None and event.value in _NULLS else event.value, _line(event))
                continue
            if len(stack) >= MAX_DEPTH:
                raise fail(_line(event), f"nested more than {MAX_DEPTH} levels deep: not a digest file")
            container: dict[str, Any] | list[Any] = [] if isinstance(event, yaml.SequenceStartEvent) else {}
            path = place(container, _line(event))
            stack.append(_Open(container, path))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise fail(mark.line + 1 if mark else None, f"not valid YAML: {problem}") from None
    if documents == 0 or root is None:
        raise DigestFileError(file, 1, "", "the file is empty")
    return root, Located(file, lines)
