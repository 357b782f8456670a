"""Synthetic war coverage in the seed's shapes, for benchmarks and tests: digest files (YAML + text).

Varied regions (all 27), speakers (generated officials, or the curated registry's), outlets
(200 by default) and dates (a year by default), written in the same digest-file format the
loader reads, so loading them (`bot.core.digest_files.load_dir`) exercises the real validator
and store. Tests add articles with chosen quotes on a chosen day (`Generator.article`,
`write_articles`). Deterministic for a given seed.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import yaml

from bot.core.digest_files import digest_files
from bot.core.gazetteer import load_gazetteer
from bot.settings import REPO_ROOT

FIRST = ["Olena", "Dmytro", "Serhiy", "Iryna", "Andriy", "Yulia", "Mykola", "Oksana", "Ivan", "Natalia"]
LAST = [
    "Kovalenko",
    "Bondarenko",
    "Tkachenko",
    "Shevchuk",
    "Melnyk",
    "Kravets",
    "Boyko",
    "Oliynyk",
    "Lysenko",
    "Savchuk",
]
ROLES = ["governor", "military spokesperson", "deputy minister", "regional official", "army commander"]
ACTORS = ["Russia", "Ukraine"]
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November"]
FIRST_DAY = dt.date(2023, 1, 1)
WAR_FIRST_DAY = dt.date(2022, 2, 24)  # the front ends' benchmarks: about 8 articles a day from here
ARTICLES_PER_DAY = 8
REGISTRY_FILE = REPO_ROOT / "summaries" / "speakers.yaml"

Article = tuple[str, str, str]  # (id, digest file YAML, article text)


def ukraine_regions() -> list[tuple[str, str]]:
    """(code, name) of Ukraine's 27 regions, the ones the synthetic coverage is about (the
    gazetteer also knows the neighbours', which the seed's shapes do not use)."""
    return [(code, r.name) for code, r in sorted(load_gazetteer().regions.items()) if code.startswith("UA-")]


def speakers(n: int = 200) -> list[dict]:
    out = []
    for i in range(n):
        first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
        name = f"{first} {last} {i}"
        out.append(
            {
                "id": f"official-{i}",
                "name": name,
                "kind": "person",
                "role": ROLES[i % len(ROLES)],
                "aliases": [f"{last} {i}"],
            }
        )
    return out


def registry_speakers() -> list[dict]:
    """The curated speaker registry (summaries/speakers.yaml), as the generated speakers' dicts."""
    return yaml.safe_load(REGISTRY_FILE.read_text("utf-8"))["speakers"]


def outlets(n: int = 200) -> list[str]:
    return [f"Outlet {i:03d} News" for i in range(n)]


def article(
    i: int,
    rng: random.Random,
    regions: list[tuple[str, str]],
    people: list[dict],
    pubs: list[str],
    *,
    first_day: dt.date = FIRST_DAY,
    days: int = 365,
    published: dt.date | None = None,
    quotes: Sequence[tuple[dict, str]] = (),
) -> Article:
    """(id, yaml text, article text) of synthetic article i, published on one of `days` days from
    `first_day` (or on `published`); `quotes` adds direct quotes as (speaker, words)."""
    day = first_day + dt.timedelta(days=rng.randrange(days))
    published = published or day
    publisher = pubs[rng.randrange(len(pubs))]
    r1, r2 = rng.sample(regions, 2)
    s1, s2 = rng.sample(people, 2)
    actor, other = rng.sample(ACTORS, 2)
    month = MONTHS[min(published.month - 1, len(MONTHS) - 1)] if published.month > 1 else "January"
    s1_last = s1["aliases"][0]
    sentences = {
        "lead": f"{actor} is done seizing territory in {r1[1]}, {s1['name']} said on Thursday.",
        "plans": f"{s1['role'].capitalize()} {s1['name']} said {actor} has no plans to seize territory in {r2[1]}.",
        "via": f"According to Reuters, {actor} instead will focus its efforts to hold {r1[1]}.",
        "withdrew": f"In {month}, {other} withdrew its forces from {r2[1]}, officials said.",
        "direct": f'"There is a lot of work ahead in {r2[1]}; the territories have to be liberated," {s1_last} said.',
        "control": f"{s2['name']} said {actor} controls {r1[1]} despite heavy losses.",
        "shelling": f"{r2[1]} has been subjected to shelling near the front lines this month.",
    }
    for n, (speaker, words) in enumerate(quotes):
        sentences[f"extra{n}"] = f'"{words}," {speaker["name"]} said.'
    text = "\n\n".join(sentences.values()) + "\n"
    aid = f"{published.isoformat()}-synthetic-{i}"
    doc = {
        "format": 1,
        "id": aid,
        "review": "reviewed",
        "article": {
            "title": f"{actor} says it is done in {r1[1]} ({i})",
            "publisher": publisher,
            "author": f"{FIRST[i % 10]} {LAST[i % 10]}",
            "published": published,
            "url": f"https://example.org/{publisher.split()[1]}/{aid}",
            "language": "en",
            "text_file": f"{aid}.txt",
        },
        "key_points": [{"id": "k1", "evidence": sentences["lead"]}, {"id": "k2", "evidence": sentences["withdrew"]}],
        "quotes": [
            {
                "id": "q1",
                "speaker": s1["id"],
                "mention": s1["name"],
                "role": s1["role"],
                "kind": "indirect",
                "cue": "said",
                "words": f"{actor} has no plans to seize territory in {r2[1]}",
            },
            {
                "id": "q2",
                "speaker": s1["id"],
                "mention": s1_last,
                "role": s1["role"],
                "kind": "direct",
                "cue": "said",
                "words": f"There is a lot of work ahead in {r2[1]}; the territories have to be liberated",
            },
            {
                "id": "q3",
                "speaker": s2["id"],
                "mention": s2["name"],
                "role": s2["role"],
                "kind": "indirect",
                "cue": "said",
                "words": f"{actor} controls {r1[1]} despite heavy losses",
            },
            *(
                {
                    "id": f"q{4 + n}",
                    "speaker": speaker["id"],
                    "mention": speaker["name"],
                    "role": speaker.get("role", ""),
                    "kind": "direct",
                    "cue": "said",
                    "words": words,
                }
                for n, (speaker, words) in enumerate(quotes)
            ),
        ],
        "claims": [
            {
                "id": "c1",
                "region": r1[0],
                "claim": "goal",
                "actor": actor,
                "asserted_by": "reuters",
                "via": "Reuters",
                "evidence": sentences["via"],
            },
            {
                "id": "c2",
                "region": r2[0],
                "claim": "withdrew",
                "actor": other,
                "asserted_by": "article",
                "evidence": sentences["withdrew"],
                "when": f"in {month}",
            },
            {
                "id": "c3",
                "region": r1[0],
                "claim": "controls",
                "actor": actor,
                "asserted_by": s2["id"],
                "evidence": sentences["control"],
            },
            {
                "id": "c4",
                "region": r2[0],
                "claim": "shelling",
                "actor": "Russia and Ukraine",
                "asserted_by": "article",
                "evidence": sentences["shelling"],
                "when": "this month",
            },
        ],
        "contradictions": [
            {
                "id": "x1",
                "a": f"{actor} is done seizing territory in {r1[1]}",
                "b": "the territories have to be liberated",
                "why": "Done seizing territory, yet more territory is to be taken.",
                "regions": [r1[0], r2[0]],
            },
        ],
    }
    return aid, yaml.dump(doc, Dumper=_DUMPER, sort_keys=False, allow_unicode=True, width=200), text


class Generator:
    """Synthetic articles from one random stream: the regions, speakers and outlets to draw from."""

    def __init__(
        self, seed: int = 0, *, quoted: str = "officials", first_day: dt.date = FIRST_DAY, days: int = 365
    ) -> None:
        self.rng = random.Random(seed)
        self.regions = ukraine_regions()
        # quoted: whom the articles quote, the generated officials or the curated registry's speakers
        self.people = {"officials": speakers, "registry": registry_speakers}[quoted]()
        self.known = {s["id"]: s for s in registry_speakers() + speakers()}
        self.pubs = outlets()
        self.first_day, self.days = first_day, days

    def article(self, i: int, *, published: dt.date | None = None, quotes: Sequence[tuple[str, str]] = ()) -> Article:
        """Article i; `quotes` adds direct quotes as (speaker id, words), e.g. for a test."""
        return article(
            i,
            self.rng,
            self.regions,
            self.people,
            self.pubs,
            first_day=self.first_day,
            days=self.days,
            published=published,
            quotes=[(self.known[speaker], words) for speaker, words in quotes],
        )


def generate(
    n: int, seed: int = 0, *, quoted: str = "officials", first_day: dt.date = FIRST_DAY, days: int = 365
) -> Iterator[Article]:
    """n synthetic articles (options as `Generator`'s)."""
    generator = Generator(seed, quoted=quoted, first_day=first_day, days=days)
    for i in range(n):
        yield generator.article(i)


def write_speakers(directory: Path) -> None:
    """speakers.yaml in `directory`: the curated registry plus the generated officials."""
    directory.mkdir(parents=True, exist_ok=True)
    registry = yaml.safe_load(REGISTRY_FILE.read_text("utf-8"))
    registry["speakers"] += speakers()
    (directory / "speakers.yaml").write_text(yaml.safe_dump(registry, sort_keys=False, allow_unicode=True), "utf-8")


def _write_each(directory: Path, articles: Iterable[Article]) -> Iterator[str]:
    write_speakers(directory)
    for aid, doc, text in articles:
        (directory / f"{aid}.yaml").write_text(doc, "utf-8")
        (directory / f"{aid}.txt").write_text(text, "utf-8")
        yield f"{aid}.yaml"


def write_articles(directory: Path, articles: Iterable[Article]) -> list[str]:
    """Write each article's digest file and text file (and speakers.yaml); returns the file names."""
    return list(_write_each(directory, articles))


def write_corpus(
    directory: Path,
    n: int,
    seed: int = 0,
    *,
    quoted: str = "officials",
    first_day: dt.date = FIRST_DAY,
    days: int = 365,
) -> Path:
    """Write n synthetic digest files and a speakers.yaml into `directory`, holding none of them
    (the benchmark's peak memory is the loader's, not the generator's)."""
    for _ in _write_each(directory, generate(n, seed, quoted=quoted, first_day=first_day, days=days)):
        pass
    return directory


def write_front_end_corpus(directory: Path, n: int, seed: int = 0) -> Path:
    """The front ends' benchmark corpus: the curated seed digest plus n synthetic articles that
    quote the registry's speakers (so /quote Peskov finds thousands), about 8 a day."""
    days = max(1, -(-n // ARTICLES_PER_DAY))
    write_corpus(directory, n, seed, quoted="registry", first_day=WAR_FIRST_DAY, days=days)
    for seed_file in digest_files(REPO_ROOT / "summaries"):
        shutil.copy(seed_file, directory)
        shutil.copy(seed_file.with_suffix(".txt"), directory)
    return directory
