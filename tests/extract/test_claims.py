"""Region mentions, claims, dates, key points and candidate contradictions (rule-based, no model)."""

import datetime as dt

import pytest

from bot.core.gazetteer import load_gazetteer
from bot.core.models import ClaimType
from bot.extract.claims import (
    Assertion,
    candidate_contradictions,
    find_date,
    key_points,
    region_claims,
    region_mentions,
)

PUBLISHED = dt.date(2022, 12, 8)  # a Thursday


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer()


def test_region_mentions_map_towns_to_their_oblast_and_skip_person_names(gazetteer) -> None:
    text = "Forces near Izium and in Donetsk Oblast held; Vladimir Putin spoke in Moscow."
    mentions = region_mentions(text, gazetteer)
    found = {(m.text, m.codes) for m in mentions}
    assert ("Izium", ("UA-63",)) in found  # a town -> Kharkiv oblast
    assert any(m.codes == ("UA-14",) and m.text.startswith("Donetsk") for m in mentions)
    assert not any("Vladimir" in m.text for m in mentions)
    assert all(text[m.start : m.end] == m.text for m in mentions)


@pytest.mark.parametrize(
    ("phrase", "expected", "precision"),
    [
        ("annexed in September", dt.date(2022, 9, 1), "month"),
        ("said Thursday", dt.date(2022, 12, 8), "day"),
        ("withdrew this month", dt.date(2022, 12, 1), "month"),
        ("on Monday", dt.date(2022, 12, 5), "day"),
    ],
)
def test_dates_resolve_against_the_publication_date(phrase: str, expected: dt.date, precision: str) -> None:
    found = find_date(phrase, PUBLISHED)
    assert found is not None and found[0] == expected and found[1] == precision


def test_claims_carry_type_actor_speaker_date_and_exact_evidence(gazetteer) -> None:
    text = (
        "In November, Russia withdrew its forces from Kherson.\n"
        "Peskov said Russia controls Kherson.\n"
        "Foreign governments said the move is illegitimate."
    )
    inside = text.index("Russia controls")
    claims = region_claims(
        text, gazetteer, PUBLISHED, [Assertion(inside, inside + len("Russia controls Kherson"), "dmitry-peskov")]
    )
    by_type = {c.claim: c for c in claims}
    withdrew = by_type[ClaimType.WITHDREW]
    assert (withdrew.region, withdrew.actor, withdrew.asserted_by) == ("UA-65", "Russia", "article")
    assert withdrew.date == dt.date(2022, 11, 1) and withdrew.date_text == "In November"
    controls = by_type[ClaimType.CONTROLS]
    assert controls.asserted_by == "dmitry-peskov"
    # "the move" points back at the region named just before
    assert by_type[ClaimType.REJECTS_CLAIM].region == "UA-65"
    for c in claims:
        assert text[c.evidence.start : c.evidence.end] == c.evidence.text
    contradictions = candidate_contradictions(claims)
    assert contradictions and all(not x.confirmed for x in contradictions)
    pair = {contradictions[0].a.text, contradictions[0].b.text}
    assert pair == {"In November, Russia withdrew its forces from Kherson.", "Peskov said Russia controls Kherson."}


def test_no_regions_no_claims_and_key_points_are_sentences(gazetteer) -> None:
    text = "Prices rose again.\nThe central bank said inflation would ease next year, analysts noted on Monday."
    assert region_claims(text, gazetteer, PUBLISHED) == []
    points = key_points(text, gazetteer)
    assert [p.evidence.text for p in points] == [
        "The central bank said inflation would ease next year, analysts noted on Monday."
    ]


def _claimed(text: str, gazetteer) -> set[tuple[str, ClaimType]]:
    return {(c.region, c.claim) for c in region_claims(text, gazetteer, PUBLISHED)}


def test_a_title_names_someone_not_a_place(gazetteer) -> None:
    """Issue 12: "the leader of Chechnya" drafted claims about Chechnya."""
    text = (
        "The Kremlin-backed leader of Chechnya, Ramzan Kadyrov, whose forces have taken part in the fighting"
        " in Mariupol, said Russian forces would take full control of the steel mill on Tuesday."
    )
    claimed = _claimed(text, gazetteer)
    assert not any(region == "RU-CE" for region, _ in claimed)
    assert ("UA-14", ClaimType.FIGHTING) in claimed  # Mariupol, Donetsk oblast


def test_a_dateline_is_not_a_claim(gazetteer) -> None:
    """Issue 12: `KYIV, Ukraine (AP) —` was drafted as a Kyiv claim."""
    text = "KYIV, Ukraine (AP) — Russian forces shelled the city of Kharkiv overnight, officials said."
    claimed = _claimed(text, gazetteer)
    assert ("UA-63", ClaimType.SHELLING) in claimed and not any(region == "UA-30" for region, _ in claimed)


@pytest.mark.parametrize(
    "text",
    [
        "Russian forces retreated from northern Ukraine after they were halted at the gates of Kyiv.",
        "Since Russian troops withdrew from towns and villages around the Ukrainian capital Kyiv, bodies were found.",
        "Russian forces had occupied suburban areas north of Kyiv for weeks.",
        "Russian forces failed in a bid to capture Kyiv and withdrew from around the capital, exposing mass graves.",
    ],
)
def test_around_kyiv_is_kyiv_oblast_not_the_city(gazetteer, text: str) -> None:
    """Issue 12: "the gates of Kyiv" and "around the capital" are Kyiv Oblast (UA-32), not the city."""
    claimed = _claimed(text, gazetteer)
    assert any(region == "UA-32" for region, _ in claimed) and not any(region == "UA-30" for region, _ in claimed)


def test_in_kyiv_is_the_city(gazetteer) -> None:
    claimed = _claimed(
        "Russian missiles struck Kyiv overnight, and air raid sirens sounded across Sevastopol.", gazetteer
    )
    assert ("UA-30", ClaimType.SHELLING) in claimed and not any(region == "UA-32" for region, _ in claimed)
    near = _claimed("Ukrainian drones struck an airfield near Sevastopol.", gazetteer)
    assert ("UA-43", ClaimType.SHELLING) in near and not any(region == "UA-40" for region, _ in near)


def test_regions_beyond_ukraine_are_claimed_where_the_text_puts_something_there(gazetteer) -> None:
    """The Kursk incursion is about Russia's Kursk oblast; Moscow as the seat of government is not a place."""
    text = (
        "Ukrainian troops captured more villages in the Kursk region on Tuesday. "
        "Moscow said its forces were fighting back and accused Kyiv of shelling civilians."
    )
    claimed = _claimed(text, gazetteer)
    assert ("RU-KRS", ClaimType.RECAPTURED) in claimed
    assert not any(region == "RU-MOW" for region, _ in claimed)


def test_new_york_is_not_a_ukrainian_village(gazetteer) -> None:
    """Issue 12: an article mentioning the UN in New York got claims about Donetsk (the village Niu-York)."""
    text = "Diplomats at the United Nations in New York condemned the shelling of civilians."
    assert _claimed(text, gazetteer) == set()


def test_every_claim_carries_its_confidence() -> None:
    from bot.extract.claims import claim_confidence

    near, far = claim_confidence(5, False, 1), claim_confidence(100, False, 1)
    elsewhere = claim_confidence(None, False, 1)
    assert near > far > elsewhere > 0
    assert claim_confidence(5, True, 1) == pytest.approx(near / 2)  # what would happen is not a fact
    assert claim_confidence(5, False, 4) < near  # a sentence mixing many kinds of claim


def test_a_hypothetical_claim_is_left_out_of_the_draft(gazetteer) -> None:
    text = "A port like Mariupol would be vital to any annexed territory. Russia annexed Crimea in 2014."
    kept = region_claims(text, gazetteer, PUBLISHED)
    assert {(c.region, c.claim) for c in kept} == {("UA-43", ClaimType.ANNEXED)}
    assert all(c.confidence is not None and c.confidence >= 0.5 for c in kept)
    everything = region_claims(text, gazetteer, PUBLISHED, min_confidence=0)
    hypothetical = [c for c in everything if c.region == "UA-14"]
    assert hypothetical and all(c.confidence is not None and c.confidence < 0.5 for c in hypothetical)
    assert [c.id for c in kept] == [f"c{n}" for n in range(1, len(kept) + 1)]  # renumbered


def test_the_same_claim_in_several_sentences_is_surer(gazetteer) -> None:
    first_sentence = "Russian forces shelled Kharkiv, far from anywhere else mentioned here today."
    once = region_claims(first_sentence, gazetteer, PUBLISHED)
    twice = region_claims(f"{first_sentence} Kharkiv was shelled again.", gazetteer, PUBLISHED)
    first = next(c for c in once if c.claim == ClaimType.SHELLING)
    again = next(c for c in twice if c.claim == ClaimType.SHELLING)
    assert again.confidence is not None and first.confidence is not None and again.confidence > first.confidence


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A place the sentence names for another reason is not where the trigger happens.
        (
            "Heavy shelling and fighting continues in eastern Donbas as Russia seeks to advance further"
            " towards settlements including Izium.",
            {
                ("UA-14", ClaimType.SHELLING),
                ("UA-09", ClaimType.SHELLING),
                ("UA-14", ClaimType.FIGHTING),
                ("UA-09", ClaimType.FIGHTING),
            },
        ),
        (
            "A planned humanitarian corridor from occupied villages in the Kherson region to Dnipro did not go ahead.",
            {("UA-65", ClaimType.OCCUPIED)},
        ),
        # A comma puts the nearer place in another clause.
        (
            "Weeks ago, after the abortive push to take Kyiv, the Kremlin declared that its main goal was the"
            " capture of the Donbas.",
            {("UA-30", ClaimType.FIGHTING), ("UA-14", ClaimType.GOAL), ("UA-09", ClaimType.GOAL)},
        ),
        # Places listed together share the trigger.
        (
            "All Russian units withdrew from the regions of Chernihiv and Sumy and from around Kyiv.",
            {("UA-74", ClaimType.WITHDREW), ("UA-59", ClaimType.WITHDREW), ("UA-32", ClaimType.WITHDREW)},
        ),
        # Words read as a more specific claim are not read again as a weaker one.
        (
            "The Kremlin does not maintain military control in Zaporizhzhia.",
            {("UA-23", ClaimType.LACKS_CONTROL)},
        ),
        (
            "The cities of Kharkiv and Kramatorsk came under deadly attack, and Russia said it struck areas"
            " around Zaporizhzhia.",
            {("UA-63", ClaimType.SHELLING), ("UA-14", ClaimType.SHELLING), ("UA-23", ClaimType.SHELLING)},
        ),
    ],
)
def test_a_claim_is_about_the_place_its_trigger_governs(gazetteer, text: str, expected: set) -> None:
    assert {(c.region, c.claim) for c in region_claims(text, gazetteer, PUBLISHED)} == expected


def test_a_trigger_pointing_back_covers_the_places_of_its_sentence(gazetteer) -> None:
    """'No control in the areas, as shown by ... Kherson and ... Zaporizhzhia': the areas it names."""
    text = (
        "The Kremlin does not maintain military control in the areas, as shown by Ukrainian forces retaking"
        " Kherson and continuing to fight in Zaporizhzhia."
    )
    found = {(c.region, c.claim) for c in region_claims(text, gazetteer, PUBLISHED)}
    assert {("UA-65", ClaimType.LACKS_CONTROL), ("UA-23", ClaimType.LACKS_CONTROL)} <= found
    assert ("UA-65", ClaimType.RECAPTURED) in found and ("UA-23", ClaimType.RECAPTURED) not in found


@pytest.mark.parametrize(
    "text",
    [
        "From there, they aim to launch an offensive in the direction of Zavody, in the Kharkiv region.",
        "Russia planned to forge a land corridor between Russia-annexed Crimea and Donbas.",
        "A commander said his country sought control over the south of Ukraine that could provide access to Kherson.",
        "Capturing it would link separatist territory with Mariupol.",
    ],
)
def test_a_plan_or_a_modal_is_no_fact(gazetteer, text: str) -> None:
    """What is planned may be a goal, never the fighting, annexation or capture itself."""
    assert {c for _, c in _claimed(text, gazetteer)} <= {ClaimType.GOAL}


def test_a_relative_clause_after_a_modal_act_still_states_a_fact(gazetteer) -> None:
    text = "Capturing it would link separatist territory with the Crimea region that Moscow annexed in 2014."
    assert _claimed(text, gazetteer) == {("UA-43", ClaimType.ANNEXED)}


@pytest.mark.parametrize(
    "text",
    [
        "Ukraine says it is fighting for its survival after years of war around Crimea's ports and Kherson.",
        "Kyiv had very limited stocks of anti-tank missiles.",
        "The allies watched the test launch of Russia's new intercontinental ballistic missile near Mariupol.",
        "Russian forces are preparing residents of semi-occupied regions to take up arms against Kyiv.",
    ],
)
def test_words_that_only_look_like_a_claim(gazetteer, text: str) -> None:
    claims = {c for _, c in _claimed(text, gazetteer)}
    assert not claims & {ClaimType.FIGHTING, ClaimType.SHELLING, ClaimType.OCCUPIED}


def test_a_trigger_in_a_later_clause_governs_the_places_after_it(gazetteer) -> None:
    text = (
        "Ukraine launched a strong counteroffensive that has mostly succeeded in pushing Russian forces"
        " from Ukrainian territories such as Kyiv, Kharkiv and Izium."
    )
    assert _claimed(text, gazetteer) == {("UA-30", ClaimType.RECAPTURED), ("UA-63", ClaimType.RECAPTURED)}


def test_a_place_before_its_triggers_is_what_all_of_them_are_about(gazetteer) -> None:
    text = "The villages near Kharkiv had been retaken after heavy fighting, and Russian forces were shelling the area."
    found = _claimed(text, gazetteer)
    assert found >= {
        ("UA-63", ClaimType.RECAPTURED),
        ("UA-63", ClaimType.FIGHTING),
        ("UA-63", ClaimType.SHELLING),
    }
