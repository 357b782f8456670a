"""Canonical speakers (people, governments, organisations, outlets) and forgiving lookup.

The curated registry is `summaries/speakers.yaml`; the extractor may add speakers to the
store as drafts. Lookup folds case, accents and punctuation, knows aliases in other scripts
and transliterations (Peskov, Dmitri Peskov, Песков), then forgives typos with rapidfuzz.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from bot.core.db import Store, upsert
from bot.core.models import SpeakerInfo
from bot.core.textnorm import fold

KINDS = ("person", "government", "organisation", "outlet")
FUZZY_CUTOFF = 80


@dataclass(frozen=True, slots=True)
class Speaker:
    id: str
    name: str
    kind: str = "person"
    role: str = ""
    aliases: tuple[str, ...] = ()
    draft: bool = False

    def info(self) -> SpeakerInfo:
        return SpeakerInfo(id=self.id, name=self.name, role=self.role, kind=self.kind)


@dataclass(frozen=True, slots=True)
class SpeakerMatch:
    speaker: Speaker
    matched: str
    exact: bool


class SpeakerRegistryError(ValueError):
    pass


class SpeakerRegistry:
    def __init__(self, speakers: list[Speaker]):
        self.by_id: dict[str, Speaker] = {}
        self._keys: dict[str, tuple[str, str]] = {}  # folded alias -> (speaker id, alias)
        for s in speakers:
            self.add(s)

    def add(self, speaker: Speaker) -> None:
        self.by_id[speaker.id] = speaker
        for alias in (speaker.name, speaker.id.replace("-", " "), *speaker.aliases):
            key = fold(alias)
            if key and key not in self._keys:
                self._keys[key] = (speaker.id, alias)

    def __contains__(self, speaker_id: str) -> bool:
        return speaker_id in self.by_id

    def __len__(self) -> int:
        return len(self.by_id)

    def get(self, speaker_id: str) -> Speaker | None:
        return self.by_id.get(speaker_id)

    def display_name(self, speaker_id: str) -> str:
        s = self.by_id.get(speaker_id)
        return s.name if s else speaker_id

    def resolve(self, query: str) -> SpeakerMatch | None:
        key = fold(query)
        if not key:
            return None
        if query.strip() in self.by_id:
            s = self.by_id[query.strip()]
            return SpeakerMatch(s, s.name, True)
        if key in self._keys:
            sid, alias = self._keys[key]
            return SpeakerMatch(self.by_id[sid], alias, True)
        hit = process.extractOne(key, list(self._keys), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        if hit is None:
            # "peskov" inside "dmitry peskov" style partial matches, only for longer queries.
            if len(key) >= 4:
                hit = process.extractOne(key, list(self._keys), scorer=fuzz.partial_ratio, score_cutoff=90)
            if hit is None:
                return None
        sid, alias = self._keys[hit[0]]
        return SpeakerMatch(self.by_id[sid], alias, False)

    def suggest(self, query: str, limit: int = 5) -> list[str]:
        key = fold(query)
        if not key:
            return []
        out: list[str] = []
        for k, _score, _ in process.extract(key, list(self._keys), scorer=fuzz.WRatio, limit=limit * 4):
            name = self.by_id[self._keys[k][0]].name
            if name not in out:
                out.append(name)
            if len(out) == limit:
                break
        return out

    def complete(self, prefix: str, limit: int = 25) -> list[tuple[str, str]]:
        key = fold(prefix)
        out: list[tuple[str, str]] = []
        seen: set[str] = set()
        # Canonical names first (alphabetical), then aliases, so "Peskov" shows "Dmitry Peskov".
        ordered = sorted(self._keys.items(), key=lambda kv: (fold(self.by_id[kv[1][0]].name) != kv[0], kv[0]))
        for k, (sid, alias) in ordered:
            if key and not (k.startswith(key) or f" {key}" in k):
                continue
            if sid in seen:
                continue
            seen.add(sid)
            s = self.by_id[sid]
            label = s.name if fold(alias) == fold(s.name) else f"{s.name} ({alias})"
            out.append((label[:100], sid[:100]))
            if len(out) >= limit:
                break
        return out


def read_registry_file(path: Path) -> list[Speaker]:
    data = yaml.safe_load(path.read_text("utf-8")) or {}
    out = []
    for i, row in enumerate(data.get("speakers", [])):
        if not isinstance(row, dict) or not row.get("id") or not row.get("name"):
            raise SpeakerRegistryError(f"{path}: speaker #{i + 1} needs an id and a name")
        if row.get("kind", "person") not in KINDS:
            raise SpeakerRegistryError(f"{path}: speaker {row['id']}: kind must be one of {', '.join(KINDS)}")
        out.append(
            Speaker(
                id=str(row["id"]),
                name=str(row["name"]),
                kind=row.get("kind", "person"),
                role=str(row.get("role") or ""),
                aliases=tuple(str(a) for a in row.get("aliases") or ()),
            )
        )
    return out


def speakers_to_rows(speakers: list[Speaker]) -> list[dict]:
    return [
        {"id": s.id, "name": s.name, "kind": s.kind, "role": s.role, "aliases": list(s.aliases), "draft": int(s.draft)}
        for s in speakers
    ]


def save_speakers(store: Store, speakers: list[Speaker]) -> None:
    """Add or update speakers in the store (the curated registry, and drafts the extractor adds)."""
    rows = [row | {"aliases": json.dumps(row["aliases"])} for row in speakers_to_rows(speakers)]
    if rows:
        with store.transaction() as db:
            upsert(db.conn, "speakers", rows, pk="id")


def load_registry(store: Store) -> SpeakerRegistry:
    """The registry as stored (curated speakers loaded from speakers.yaml, plus drafts)."""
    speakers = [
        Speaker(
            id=r["id"],
            name=r["name"],
            kind=r["kind"] or "person",
            role=r["role"] or "",
            aliases=tuple(json.loads(r["aliases"] or "[]")),
            draft=bool(r["draft"]),
        )
        for r in store.rows("SELECT * FROM speakers")
    ]
    return SpeakerRegistry(speakers)
