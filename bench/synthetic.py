"""Synthetic war coverage in the seed's shapes, for benchmarks: N digest files (YAML + text).

Varied regions (all 27), speakers (the registry plus generated officials), outlets (200 by
default) and dates (a year), written through the same digest-file format the loader reads,
so loading them exercises the real validator and store.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path

import yaml

from bot.core.gazetteer import load_gazetteer

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


def outlets(n: int = 200) -> list[str]:
    return [f"Outlet {i:03d} News" for i in range(n)]


def article(
    i: int, rng: random.Random, regions: list[tuple[str, str]], people: list[dict], pubs: list[str]
) -> tuple[str, str, str]:
    """(id, yaml text, article text) of synthetic article i."""
    published = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(365))
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


def generate(n: int, seed: int = 0) -> Iterator[tuple[str, str, str]]:
    rng = random.Random(seed)
    g = load_gazetteer()
    regions = [(code, r.name) for code, r in sorted(g.regions.items())]
    people = speakers()
    pubs = outlets()
    for i in range(n):
        yield article(i, rng, regions, people, pubs)


def write_corpus(directory: Path, n: int, seed: int = 0) -> Path:
    """Write n synthetic digest files and a speakers.yaml into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    registry = yaml.safe_load(
        (Path(__file__).resolve().parent.parent / "summaries" / "speakers.yaml").read_text("utf-8")
    )
    registry["speakers"] += speakers()
    (directory / "speakers.yaml").write_text(yaml.safe_dump(registry, sort_keys=False, allow_unicode=True), "utf-8")
    for aid, doc, text in generate(n, seed):
        (directory / f"{aid}.yaml").write_text(doc, "utf-8")
        (directory / f"{aid}.txt").write_text(text, "utf-8")
    return directory
