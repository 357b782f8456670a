"""Reader of PolNeAR-style attribution corpora (brat standoff), for training and benchmarks.

A split folder holds `text/NAME.txt` and `attributions/NAME_XXXX.ann`. As in the shared scorer,
where a document was annotated more than once the first .ann file in sorted order is used.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CharRange = tuple[int, int]


@dataclass(frozen=True, slots=True)
class GoldAttribution:
    source: tuple[CharRange, ...]
    cue: tuple[CharRange, ...]
    content: tuple[CharRange, ...]


@dataclass(frozen=True, slots=True)
class GoldDocument:
    name: str
    text: str
    attributions: tuple[GoldAttribution, ...]


def read_text(path: Path) -> str:
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


def _parse_ann(ann: str) -> list[GoldAttribution]:
    spans: dict[str, list[CharRange]] = {}
    events: list[list[str]] = []
    for line in ann.splitlines():
        fields = line.split("\t")
        if line.startswith("T") and len(fields) >= 2:
            _, _, offsets = fields[1].partition(" ")
            spans[fields[0]] = [(int(a), int(b)) for a, b in (part.split() for part in offsets.split(";"))]
        elif line.startswith("E") and len(fields) >= 2:
            events.append(fields[1].split())
    out: list[GoldAttribution] = []
    for roles in events:
        parts: dict[str, list[CharRange]] = {"source": [], "cue": [], "content": []}
        for role in roles:
            name, _, tid = role.partition(":")
            if tid not in spans:
                continue
            if name.startswith("Content"):
                parts["content"] += spans[tid]
            elif name == "Source":
                parts["source"] += spans[tid]
            elif name == "Cue":
                parts["cue"] += spans[tid]
        if parts["content"]:
            out.append(GoldAttribution(tuple(parts["source"]), tuple(parts["cue"]), tuple(sorted(parts["content"]))))
    return out


def read_split(folder: str | Path) -> Iterator[GoldDocument]:
    """Every annotated document of a split folder, in name order."""
    folder = Path(folder)
    seen: set[str] = set()
    for ann in sorted((folder / "attributions").glob("*.ann")):
        name = re.sub(r"_[0-9a-f]{4}$", "", ann.stem)
        if name in seen:
            continue
        seen.add(name)
        text = read_text(folder / "text" / f"{name}.txt")
        yield GoldDocument(name, text, tuple(_parse_ann(ann.read_text(encoding="utf-8"))))
