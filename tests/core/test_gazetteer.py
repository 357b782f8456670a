"""Regions, their spellings, and towns mapped to their region."""

from __future__ import annotations

import pycountry
import pytest

from bot.core.gazetteer import load_gazetteer

G = load_gazetteer()


def test_every_iso_subdivision_is_known() -> None:
    """Ukraine's 27, and every subdivision of the neighbours the war reaches."""
    for country, count in (("UA", 27), ("RU", 83), ("BY", 7), ("MD", 37)):
        codes = {s.code for s in pycountry.subdivisions.get(country_code=country)}
        assert len(codes) == count and codes == {c for c in G.regions if c.startswith(f"{country}-")}
    assert len(G.regions) == 27 + 83 + 7 + 37


@pytest.mark.parametrize(
    ("query", "code", "place"),
    [
        ("Kursk", "RU-KRS", "Kursk"),
        ("Kursk Oblast", "RU-KRS", None),
        ("Kursk region", "RU-KRS", None),
        ("Sudzha", "RU-KRS", "Sudzha"),
        ("Belgorod", "RU-BEL", "Belgorod"),
        ("Shebekino", "RU-BEL", "Shebekino"),
        ("Bryansk region", "RU-BRY", None),
        ("Rostov-on-Don", "RU-ROS", "Rostov-on-Don"),
        ("Chechnya", "RU-CE", None),
        ("Moscow", "RU-MOW", None),
        ("Transnistria", "MD-SN", None),
        ("Pridnestrovie", "MD-SN", None),
        ("Tiraspol", "MD-SN", "Tiraspol"),
        ("Gagauzia", "MD-GA", None),
        ("Minsk", "BY-HM", None),
        ("Gomel region", "BY-HO", None),
        ("Mozyr", "BY-HO", "Mazyr"),
    ],
)
def test_the_neighbours_regions_and_towns(query: str, code: str, place: str | None) -> None:
    match = G.resolve(query)
    assert match is not None and match.exact and match.region.code == code and match.place == place


@pytest.mark.parametrize(
    ("query", "where"),
    [
        ("New York", "New York City (United States)"),
        ("Paris", "Paris (France)"),
        ("London", "London (United Kingdom)"),
        ("Washington", "Washington (United States)"),
        ("Warsaw", "Warsaw (Poland)"),
    ],
)
def test_a_world_city_is_never_a_ukrainian_village(query: str, where: str) -> None:
    """'New York' was the Donetsk village Niu-York: a village's alternate name never stands for
    a world city; the city is known only to say it is outside what is covered."""
    assert G.resolve(query) is None
    assert G.outside(query) == where
    assert G.outside("Kharkiv") is None and G.outside("Kursk") is None


def test_a_neighbours_town_does_not_take_a_ukrainian_name() -> None:
    """Ukraine first: the Donetsk region, not the Russian town of Donetsk (Rostov Oblast)."""
    assert G.resolve("Donetsk").region.code == "UA-14"
    assert G.resolve("Pokrovsk").region.code == "UA-14"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("Donetsk", "UA-14"),
        ("donetska oblast", "UA-14"),
        ("Donetsk Oblast", "UA-14"),
        ("UA-14", "UA-14"),
        ("ua-14", "UA-14"),
        ("Kiev", "UA-30"),
        ("Kyiv", "UA-30"),
        ("Київ", "UA-30"),
        ("Kyiv Oblast", "UA-32"),
        ("Kharkov", "UA-63"),
        ("Kharkiv", "UA-63"),
        ("Zaporozhye", "UA-23"),
        ("Zaporizhzhia", "UA-23"),
        ("Lugansk", "UA-09"),
        ("Луганская область", "UA-09"),
        ("Crimea", "UA-43"),
        ("Sevastopol", "UA-40"),
        ("Kherson", "UA-65"),
        ("Odessa", "UA-51"),
    ],
)
def test_region_spellings(query: str, code: str) -> None:
    match = G.resolve(query)
    assert match is not None and match.region.code == code and match.exact


@pytest.mark.parametrize(
    ("town", "code"),
    [
        ("Izium", "UA-63"),
        ("Izyum", "UA-63"),
        ("Bakhmut", "UA-14"),
        ("Mariupol", "UA-14"),
        ("Avdiivka", "UA-14"),  # the town of Donetsk oblast, not the Chernihiv village
        ("Slovyansk", "UA-14"),
        ("Melitopol", "UA-23"),
        ("Robotyne", "UA-23"),  # below GeoNames' threshold: from the hand-kept data file
        ("Sievierodonetsk", "UA-09"),
        ("Nova Kakhovka", "UA-65"),
    ],
)
def test_towns_map_to_their_region(town: str, code: str) -> None:
    match = G.resolve(town)
    assert match is not None and match.region.code == code and match.place


def test_donbas_names_two_regions() -> None:
    match = G.resolve("Donbas")
    assert match is not None and {r.code for r in match.regions} == {"UA-14", "UA-09"}


def test_typos_are_forgiven_but_not_wildly() -> None:
    assert G.resolve("Donetks").region.code == "UA-14"
    assert G.resolve("Zaporizhia").region.code == "UA-23"
    fuzzy = G.resolve("Sewerodonezk")  # German spelling of Sievierodonetsk: Luhansk, never Donetsk
    assert fuzzy is None or fuzzy.region.code == "UA-09"
    assert G.resolve("Narnia") is None
    assert G.resolve("") is None and G.resolve("   ") is None


def test_suggestions_and_autocomplete() -> None:
    assert "Donetsk" in G.suggest("Donetzk")[:3]
    choices = G.complete("don")
    assert 0 < len(choices) <= 25
    assert ("Donetsk", "UA-14") in choices
    assert any(label.startswith("Donbas") for label, _ in choices)
    assert len(G.complete("")) == 25
    assert all(len(label) <= 100 and len(value) <= 100 for label, value in G.complete("k"))
    for _label, value in G.complete("iz"):
        assert G.resolve(value) is not None  # every value resolves back


def test_lookup_is_exact_and_resolve_forgives_a_typo() -> None:
    """Drafting scans every capitalised phrase with `lookup`, which never guesses; `resolve`, for
    what a user typed, falls back to the closest name and says it is not exact."""
    exact = G.lookup("donetska oblast")
    assert exact is not None and exact.exact and exact.region.code == "UA-14"
    assert G.lookup("Donetks") is None and G.lookup("Zelensky") is None and G.lookup("") is None
    guessed = G.resolve("Donetks")
    assert guessed is not None and not guessed.exact and guessed.region.code == "UA-14"
