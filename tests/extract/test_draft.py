"""Machine drafts: valid digest files, labelled drafts, people's files never overwritten, seed recall."""

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.core.digest_files import check_dir, default_context, read_digest
from bot.core.gazetteer import load_gazetteer
from bot.core.models import ArticleMeta, QuoteKind, Review
from bot.core.speakers import SpeakerRegistry
from bot.draft_cli import draft_command
from bot.extract.attributions import Attribution
from bot.extract.compare import compare
from bot.extract.draft import draft_state, make_draft, write_draft

ROOT = Path(__file__).resolve().parents[2]


def _source(text: str, words: str, nth: int = 0) -> Attribution:
    """An attribution whose source is the `nth` occurrence of `words` (as whole words) in `text`."""
    start = [m.start() for m in re.finditer(rf"\b{re.escape(words)}\b", text)][nth]
    return Attribution(content=((0, 3),), cue=None, source=(start, start + len(words)), kind=QuoteKind.INDIRECT)


SEED = ROOT / "summaries" / "2022-12-08-newsweek-kremlin-territory.yaml"
TEXT = (
    "Ukraine says it recaptured Izium\n\n"
    "Ukrainian forces recaptured Izium on Thursday, the defence ministry said.\n\n"
    "“We will liberate every village in Kherson,” President Volodymyr Zelensky told reporters on Friday.\n\n"
    "Kremlin spokesman Dmitry Peskov said Russia still controls the city of Izium.\n\n"
    "Olena Kovalenko, a local teacher, said the shelling of Kharkiv had stopped this month.\n"
)


@pytest.fixture()
def summaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "summaries"
    folder.mkdir()
    monkeypatch.setenv("BRIEFBOT_DB", str(tmp_path / "draft.db"))
    monkeypatch.setenv("BRIEFBOT_SUMMARIES", str(folder))
    monkeypatch.chdir(tmp_path)
    shutil.copy(ROOT / "summaries" / "speakers.yaml", folder / "speakers.yaml")
    (tmp_path / "article.txt").write_text(TEXT, encoding="utf-8")
    return folder


def draft(summaries: Path, *extra: str) -> object:
    return CliRunner().invoke(
        draft_command,
        [
            str(summaries.parent / "article.txt"),
            "--summaries",
            str(summaries),
            "--id",
            "2022-09-16-test-izium",
            "--publisher",
            "Test Wire",
            "--published",
            "2022-09-16",
            "--url",
            "https://example.org/izium",
            *extra,
        ],
    )


def test_draft_is_a_valid_labelled_digest_file(summaries: Path) -> None:
    result = draft(summaries)
    assert result.exit_code == 0, result.output
    path = summaries / "2022-09-16-test-izium.yaml"
    raw = path.read_text(encoding="utf-8")
    assert "review: draft" in raw and "not reviewed by a person" in raw
    report = check_dir(summaries)
    assert report.ok, [str(e) for e in report.errors]
    digest = read_digest(path, default_context(summaries))
    assert digest.review == Review.DRAFT
    assert digest.meta.title == "Ukraine says it recaptured Izium"
    speakers = {q.speaker for q in digest.quotes}
    assert "volodymyr-zelensky" in speakers and "dmitry-peskov" in speakers
    zelensky = next(q for q in digest.quotes if q.speaker == "volodymyr-zelensky")
    assert zelensky.kind.value == "direct" and zelensky.said_on == dt.date(2022, 9, 16)
    claims = {(c.region, c.claim.value, c.asserted_by) for c in digest.claims}
    assert ("UA-63", "controls", "dmitry-peskov") in claims  # Izium -> Kharkiv oblast, inside Peskov's words
    assert any(c.region == "UA-63" and c.claim.value == "recaptured" for c in digest.claims)
    assert all(not x.confirmed for x in digest.contradictions)
    assert any("UA-63" in x.regions for x in digest.contradictions)  # recaptured vs controls
    for k in digest.key_points:
        assert TEXT[k.evidence.start : k.evidence.end] == k.evidence.text
    # an unknown named speaker is added to the registry as a draft speaker
    assert "olena-kovalenko" in (summaries / "speakers.yaml").read_text(encoding="utf-8")
    assert any(q.speaker == "olena-kovalenko" for q in digest.quotes)


def test_untouched_draft_is_replaced_but_edited_or_reviewed_files_are_kept(summaries: Path) -> None:
    assert draft(summaries).exit_code == 0
    path = summaries / "2022-09-16-test-izium.yaml"
    assert draft_state(path) == "untouched-draft"
    assert draft(summaries).exit_code == 0  # replacing an untouched draft is fine

    edited = path.read_text(encoding="utf-8").replace("title: Ukraine says", "title: Kyiv says")
    path.write_text(edited, encoding="utf-8")
    assert draft_state(path) == "edited"
    result = draft(summaries)
    assert result.exit_code == 1 and "kept: edited" in result.output
    assert path.read_text(encoding="utf-8") == edited

    listed = CliRunner().invoke(cli, ["review"])
    assert "Kyiv says it recaptured Izium" in listed.output and "undecided" in listed.output, listed.output
    refused = CliRunner().invoke(cli, ["review", "promote", "2022-09-16-test-izium"])
    assert refused.exit_code == 1 and "still undecided" in refused.output
    accepted = CliRunner().invoke(cli, ["review", "accept", "2022-09-16-test-izium", "--all", "--by", "Ed"])
    assert accepted.exit_code == 0, accepted.output
    promoted = CliRunner().invoke(cli, ["review", "promote", "2022-09-16-test-izium", "--by", "Ed"])
    assert promoted.exit_code == 0, promoted.output
    assert draft_state(path) == "reviewed"
    assert "title: Kyiv says" in path.read_text(encoding="utf-8")  # the person's edit stays
    assert check_dir(summaries).ok
    before = path.read_text(encoding="utf-8")
    result = draft(summaries)
    assert result.exit_code == 1 and "kept: reviewed" in result.output
    assert path.read_text(encoding="utf-8") == before
    assert "No machine draft is waiting" in CliRunner().invoke(cli, ["review"]).output


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "empty"), ("   \n\n", "empty")],
)
def test_empty_article_is_a_clear_error(summaries: Path, text: str, message: str) -> None:
    (summaries.parent / "article.txt").write_text(text, encoding="utf-8")
    result = draft(summaries)
    assert result.exit_code != 0 and message in result.output
    assert "Traceback" not in result.output
    assert not (summaries / "2022-09-16-test-izium.yaml").exists()


def test_missing_metadata_is_a_clear_error(summaries: Path) -> None:
    result = CliRunner().invoke(draft_command, [str(summaries.parent / "article.txt"), "--summaries", str(summaries)])
    assert result.exit_code != 0 and "--outlet" in result.output and "Traceback" not in result.output
    bad_date = draft(summaries, "--published", "16/09/2022")
    assert bad_date.exit_code != 0 and "not a date" in bad_date.output


@pytest.mark.parametrize(
    "text",
    [
        "The bridge is 300 metres long. It was built in 1998.",  # nothing attributed
        "“This never closes, he said and left\nAnother “stray mark",  # unbalanced quotation marks
        "Президент заявил, что война закончится. Он сказал: «Мы победим».",  # not English
    ],
)
def test_awkward_articles_still_give_valid_drafts(summaries: Path, text: str) -> None:
    (summaries.parent / "article.txt").write_text(text, encoding="utf-8")
    result = draft(summaries)
    assert result.exit_code == 0, result.output
    assert check_dir(summaries).ok


def test_seed_draft_recovers_the_curated_quotes_and_claims() -> None:
    """The level reached on the seed (bench/attributions.py prints it); a drop fails here."""
    curated = read_digest(SEED)
    ctx = default_context(SEED.parent)
    meta = ArticleMeta(
        id=curated.meta.id,
        title=curated.meta.title,
        publisher=curated.meta.publisher,
        published=curated.meta.published,
        url=curated.meta.url,
    )
    everything = make_draft(meta, curated.text, ctx.speakers, load_gazetteer(), curated.captions, min_confidence=0)
    assert compare(everything.digest, curated).quote_content.value >= 0.90  # what the extractor finds
    result = make_draft(meta, curated.text, ctx.speakers, load_gazetteer(), curated.captions)
    comparison = compare(result.digest, curated)
    assert result.digest.captions == curated.captions
    assert all(q.confidence is not None and q.confidence >= 0.5 for q in result.digest.quotes)
    assert all(c.confidence is not None and c.confidence >= 0.5 for c in result.digest.claims)
    assert comparison.quotes.value >= 10 / 12, comparison
    assert comparison.quote_content.value >= 11 / 12, comparison  # issue 12's floor
    assert comparison.claims.value >= 26 / 28, comparison  # issue 12's floor
    assert comparison.claim_regions.value == 1.0, comparison
    assert comparison.key_points.value >= 0.65, comparison


def test_writing_the_seed_draft_refuses_to_touch_the_curated_file(tmp_path: Path) -> None:
    folder = tmp_path / "summaries"
    shutil.copytree(SEED.parent, folder)
    curated = read_digest(folder / SEED.name)
    ctx = default_context(folder)
    result = make_draft(curated.meta, curated.text, ctx.speakers, load_gazetteer())
    before = (folder / SEED.name).read_text(encoding="utf-8")
    outcome = write_draft(result, folder, ctx)
    assert not outcome.written and outcome.reason == "kept: reviewed file"
    assert (folder / SEED.name).read_text(encoding="utf-8") == before


def test_briefbot_cli_has_the_extraction_commands() -> None:
    from bot.cli import cli

    assert {"attributions", "draft", "review"} <= set(cli.commands)


def test_draft_article_is_the_ingestion_entry_point(summaries: Path) -> None:
    from bot.extract.draft import draft_article

    meta = ArticleMeta(
        id="2022-09-16-wire-izium",
        title="Izium",
        publisher="Test Wire",
        published=dt.date(2022, 9, 16),
        url="https://example.org/i",
    )
    outcome = draft_article(meta, TEXT, summaries)
    assert outcome.written and outcome.reason == "new"
    assert read_digest(outcome.path, default_context(summaries)).review == Review.DRAFT
    again = draft_article(meta, TEXT, summaries)
    assert again.written and again.reason == "replaced an untouched draft"


def test_an_ingested_skeleton_is_filled_but_a_started_one_is_kept(summaries: Path) -> None:
    from bot.core.digest_files import write_digest_files
    from bot.core.models import ArticleDigest, KeyPoint, Span
    from bot.extract.draft import draft_article

    meta = ArticleMeta(
        id="2022-09-16-wire-izium",
        title="Izium",
        publisher="Test Wire",
        published=dt.date(2022, 9, 16),
        url="https://example.org/i",
    )
    path = write_digest_files(ArticleDigest(meta=meta, text=TEXT, review=Review.NONE), summaries)
    assert draft_state(path) == "skeleton"
    outcome = draft_article(meta, TEXT, summaries)
    assert outcome.written and outcome.reason == "filled an ingested skeleton"
    assert read_digest(path, default_context(summaries)).review == Review.DRAFT

    start = TEXT.index("Ukrainian forces")
    point = KeyPoint("k1", Span(start, start + 16, TEXT[start : start + 16]))
    write_digest_files(ArticleDigest(meta=meta, text=TEXT, review=Review.NONE, key_points=(point,)), summaries)
    before = path.read_text(encoding="utf-8")
    kept = draft_article(meta, TEXT, summaries)
    assert not kept.written and kept.reason == "kept: curating file"
    assert path.read_text(encoding="utf-8") == before


def test_speaker_resolution_of_names_pronouns_and_descriptions() -> None:
    from bot.extract.draft import SpeakerResolver

    text = (
        "The war is over, a Russian spokesperson said. Kremlin spokesman Dmitry Peskov said talks stalled. "
        "Igor Konashenkov said the strikes hit depots. Konashenkov said more would follow. "
        "He said nothing else. A European official said sanctions work. People said they were tired."
    )

    resolver = SpeakerResolver(default_context(ROOT / "summaries").speakers)
    speakers = resolver.resolve_all(
        text,
        [
            _source(text, "a Russian spokesperson"),
            _source(text, "Kremlin spokesman Dmitry Peskov"),
            _source(text, "Igor Konashenkov"),
            _source(text, "Konashenkov", 1),
            _source(text, "He"),
            _source(text, "A European official"),
            _source(text, "People"),
        ],
    )
    ids = [s.id if s else None for s in speakers]
    assert ids[0] == "dmitry-peskov"  # description -> the nearest named speaker whose role fits
    assert ids[1] == "dmitry-peskov"
    assert ids[2] == ids[3] == "igor-konashenkov"  # a new draft speaker, and its surname later
    assert ids[4] == "igor-konashenkov"  # a pronoun -> the previous person
    assert ids[5] == "european-official"  # an unnamed role stands as a draft speaker
    assert ids[6] is None  # "People" names no one: no quote is drafted for it
    assert {s.id for s in resolver.new.values()} == {"igor-konashenkov", "european-official"}
    assert all(s.draft for s in resolver.new.values())


def test_a_pronoun_points_to_the_nearest_person_named_in_its_entry() -> None:
    """'he' goes to a person the text names with a title even when no quote is attributed to
    them, or to a surname of theirs, and never back past a live blog's headline."""
    from bot.extract.draft import SpeakerResolver

    text = (
        "Bodies examined were shot, Andriy Nebitov said in televised remarks.\n\n"
        "22 Apr 2022 - 12:02 GMT\n\n"
        "Erdogan hopeful for a phone call\n\n"
        "Turkish President Tayyip Erdogan is planning to hold phone calls, he said.\n\n"
        "22 Apr 2022 - 11:22 GMT\n\n"
        "Prices rose in Kyiv\n\n"
        "Nothing moved on the front, he said.\n\n"
        "Putin’s posture was evident when he argued that the weapon would help.\n"
    )

    resolver = SpeakerResolver(default_context(ROOT / "summaries").speakers)
    speakers = resolver.resolve_all(
        text, [_source(text, "Andriy Nebitov"), _source(text, "he"), _source(text, "he", 1), _source(text, "he", 2)]
    )
    ids = [s.id if s else None for s in speakers]
    assert ids[0] == "andriy-nebitov"
    assert ids[1] == "tayyip-erdogan"  # named with a title, never quoted: not Nebitov, an entry back
    assert ids[2] is None  # an entry naming no one: no speaker rather than a guess from another entry
    assert ids[3] == "vladimir-putin"  # a registry person's surname


def test_a_description_stands_for_a_person_whose_role_fits() -> None:
    """ "Ukraine's president" is not a source that only shares a place with it (an office in
    Ukraine); a live blog line opening with it stands for the person its entry names next."""
    from bot.extract.draft import SpeakerResolver

    text = (
        "Aid is short in Ukraine, the United Nations office in Ukraine said.\n\n"
        "Ukraine’s president says Russian forces are preparing residents to take up arms.\n\n"
        "“They are accumulating forces,” Volodymyr Zelenskyy said in his nighttime address.\n"
    )

    resolver = SpeakerResolver(default_context(ROOT / "summaries").speakers)
    speakers = resolver.resolve_all(
        text,
        [
            _source(text, "the United Nations office in Ukraine"),
            _source(text, "Ukraine’s president"),
            _source(text, "Volodymyr Zelenskyy"),
        ],
    )
    ids = [s.id if s else None for s in speakers]
    assert ids[1:] == ["volodymyr-zelensky", "volodymyr-zelensky"]
    assert ids[0] != ids[1]


@pytest.mark.parametrize(
    ("mention", "name", "kind"),
    [
        ("Luhansk regional governor Serhiy Gaidai", "Serhiy Gaidai", "person"),
        ("NATO Secretary General Mark Rutte", "Mark Rutte", "person"),
        ("The Kremlin-backed leader of Chechnya, Ramzan Kadyrov", "Ramzan Kadyrov", "person"),
        ("Ukraine's top security official, Oleksiy Danilov", "Oleksiy Danilov", "person"),
        ("Olena Kovalenko, a local teacher", "Olena Kovalenko", "person"),
        ("Foreign governments, including the United States", "Foreign governments", "organisation"),
        (
            "The Kremlin-backed leader of Chechnya, Ramzan Kadyrov, whose forces have taken part in the fighting",
            "Ramzan Kadyrov",
            "person",
        ),
    ],
)
def test_new_speakers_get_a_clean_name_and_the_right_kind(mention: str, name: str, kind: str) -> None:
    """Issue 12: titles and descriptions were kept in names, and people filed as organisations."""
    from bot.core.speakers import SpeakerRegistry
    from bot.extract.draft import SpeakerResolver

    speaker = SpeakerResolver(SpeakerRegistry([])).add_draft(mention)
    assert (speaker.name, speaker.kind) == (name, kind)


@pytest.mark.parametrize("mention", ["Polls", "Ukrainian", "the report", "Data"])
def test_polls_documents_and_adjectives_are_never_speakers(mention: str) -> None:
    from bot.extract.draft import NOT_SPEAKERS

    assert NOT_SPEAKERS.match(mention)
    assert not NOT_SPEAKERS.match("Dmitry Peskov") and not NOT_SPEAKERS.match("Reuters")


def test_status_kursk_answers_with_what_the_sources_say(tmp_path: Path) -> None:
    """Issue 12: /status Kursk was unknown; a drafted article about the incursion now answers for
    Russia's Kursk Oblast, with its verbatim evidence, and New York is said to be outside."""
    from bot.core import queries
    from bot.core.db import Store
    from bot.core.digest_files import load_dir
    from bot.core.models import NotFound
    from bot.core.speakers import load_registry

    text = (
        "Ukraine pushes deeper into Russia\n\n"
        "Ukrainian troops captured several villages in the Kursk region on Thursday, the governor said.\n\n"
        "Diplomats at the United Nations in New York called for restraint.\n"
    )
    meta = ArticleMeta(
        "2024-08-08-test-kursk",
        "Ukraine pushes deeper into Russia",
        "Test Wire",
        dt.date(2024, 8, 8),
        "https://example.org/k",
    )
    folder = tmp_path / "summaries"
    folder.mkdir()
    ctx = default_context(folder)
    assert write_draft(make_draft(meta, text, ctx.speakers, load_gazetteer()), folder, ctx).written
    with Store(tmp_path / "k.db") as store:
        assert load_dir(store, folder).ok
        answer = queries.status(store, load_gazetteer(), load_registry(store), "Kursk")
        assert not isinstance(answer, NotFound) and answer.region.code == "RU-KRS"
        evidence = [c.evidence for group in answer.by_source for c in group.claims]
        assert evidence and all(e in text for e in evidence) and "Kursk region" in evidence[0]
        outside = queries.status(store, load_gazetteer(), load_registry(store), "New York")
        assert isinstance(outside, NotFound) and outside.what == "outside"


@pytest.mark.parametrize(
    ("mention", "speaker"),
    [
        ("US Secretary of State Antony Blinken", "Antony Blinken"),
        ("Ukrainian counsellor Natalia Mudrenko", "Natalia Mudrenko"),
        ("Kremlin spokesman Dmitry Peskov", "Dmitry Peskov"),
        ("Volodymyr Zelenskyy", "Volodymyr Zelensky"),
    ],
)
def test_registry_matches_are_names_not_parts_of_descriptions(mention: str, speaker: str) -> None:
    """With the seed's registry, partial matches gave Antony Blinken's words to "United States"
    (who-said-what on dev fell from 0.537 to 0.469 with the registry present; 0.572 now)."""
    from bot.core.speakers import SpeakerRegistry, read_registry_file
    from bot.extract.draft import SpeakerResolver
    from tests.conftest import SUMMARIES

    resolver = SpeakerResolver(SpeakerRegistry(read_registry_file(SUMMARIES / "speakers.yaml")))
    found = resolver.known(mention) or resolver.add_draft(mention)
    assert found.name == speaker


def test_a_quoted_paragraph_without_a_cue_carries_on_the_quote_before_it() -> None:
    """News style: a long quotation goes on in the next paragraphs, opening each with a quotation
    mark and no attribution of its own."""
    text = (
        "Ukraine's army held the line near Izium this week.\n\n"
        "“We will not give up a single village,” Defence Minister Oleksii Reznikov told reporters on Friday.\n\n"
        "“Every house that was taken will be returned. Our soldiers know this.”\n\n"
        "The ministry published figures on Saturday.\n\n"
        "“Nothing is settled yet.”\n"
    )
    meta = ArticleMeta("2022-09-16-test-continued", "Continued", "Test Wire", dt.date(2022, 9, 16), "https://e.org/c")
    ctx = default_context(SEED.parent)
    quotes = make_draft(meta, text, ctx.speakers, load_gazetteer()).digest.quotes
    words = {q.words.text: q for q in quotes}
    assert "We will not give up a single village" in words
    carried = words.get("Every house that was taken will be returned. Our soldiers know this.")
    assert carried is not None, [q.words.text for q in quotes]
    first = words["We will not give up a single village"]
    assert carried.speaker == first.speaker and carried.kind == QuoteKind.DIRECT and carried.cue is None
    assert carried.confidence is not None and carried.confidence < 1
    assert text[carried.words.start : carried.words.end] == carried.words.text  # verbatim
    assert "Nothing is settled yet." not in words  # after a paragraph of the article's own, no speaker
    assert [q.id for q in quotes] == [f"q{n}" for n in range(1, len(quotes) + 1)]


def test_one_word_is_no_statement() -> None:
    """ "said on Facebook" names the medium: a draft never shows "Facebook" as someone's words."""
    text = (
        "Five towns have been shelled in the region that has been partially controlled by separatists "
        "since 2014, Serhiy Haidai said on Facebook.\n"
    )
    meta = ArticleMeta("t-1", "T", "Desk", dt.date(2022, 4, 21), "https://example.org/t")
    draft = make_draft(meta, text, default_context(ROOT / "summaries").speakers, load_gazetteer(), min_confidence=0)
    assert all(len(re.findall(r"\w+", q.words.text)) >= 2 for q in draft.digest.quotes)
    assert "Facebook" not in [q.words.text for q in draft.digest.quotes]


def test_a_sentence_opening_according_to_is_that_sources_statement() -> None:
    """The seed's "According to Reuters, Russia instead will focus ..." was drafted as Russia's
    words with the cue "will focus" (and dropped under the threshold); "Foreign governments,
    including the United States, said the move is illegitimate" had no speaker at all. The claims
    of both statements are asserted by their speakers, also where the place is only pointed back
    at ("the move")."""
    text = (
        "According to Reuters, Russia instead will focus its efforts to liberate the four territories it"
        " annexed from Ukraine in September: Donetsk, Luhansk, Kherson and Zaporizhzhia.\n\n"
        "Foreign governments, including the United States, said the move is illegitimate.\n"
    )
    meta = ArticleMeta("t-1", "T", "Desk", dt.date(2022, 12, 8), "https://example.org/t")
    draft = make_draft(meta, text, default_context(ROOT / "summaries").speakers, load_gazetteer())
    said = {(q.speaker, q.words.text) for q in draft.digest.quotes}
    assert (
        "reuters",
        "Russia instead will focus its efforts to liberate the four territories it annexed from Ukraine in"
        " September: Donetsk, Luhansk, Kherson and Zaporizhzhia",
    ) in said
    assert ("foreign-governments", "the move is illegitimate") in said
    asserted = {(c.region, c.claim.value, c.asserted_by) for c in draft.digest.claims}
    assert ("UA-14", "goal", "reuters") in asserted
    assert ("UA-14", "rejects_claim", "foreign-governments") in asserted


def test_each_quoted_part_of_a_statement_is_a_quote_of_its_own() -> None:
    """ "X," she said. "Y." gave one quote holding only the longer part: the other was lost."""
    text = (
        "“The team we talked to has found 80 bodies alone,” Hoda Abdel-Hamid said. “But the full scope of"
        " what happened is still not completely uncovered.”\n\n"
        "“Jordan has prepared well for such a crisis,” Mohamad al-Ississ told reporters.\n"
    )
    meta = ArticleMeta("t-1", "T", "Desk", dt.date(2022, 4, 21), "https://example.org/t")
    draft = make_draft(meta, text, default_context(ROOT / "summaries").speakers, load_gazetteer(), min_confidence=0)
    said = {(q.speaker, q.words.text, q.kind) for q in draft.digest.quotes}
    assert ("hoda-abdel-hamid", "The team we talked to has found 80 bodies alone", QuoteKind.DIRECT) in said
    assert (
        "hoda-abdel-hamid",
        "But the full scope of what happened is still not completely uncovered",
        QuoteKind.DIRECT,
    ) in said
    assert ("mohamad-al-ississ", "Jordan has prepared well for such a crisis", QuoteKind.DIRECT) in said


def test_places_feelings_and_perceptions_are_no_statements() -> None:
    """Issue 12: "Mariupol tells us that ..." made Mariupol a speaker, and "the Russians have felt
    able to redeploy" a statement of the Russians."""
    text = (
        "Mariupol tells us that any Russian victory in Ukraine will be hollow.\n\n"
        "The Russians have felt able to redeploy the forces used to assault the city.\n\n"
        "Satellite images show that the mass grave has grown, Maxar Technologies said.\n"
    )
    meta = ArticleMeta("t-1", "T", "Desk", dt.date(2022, 4, 21), "https://example.org/t")
    draft = make_draft(meta, text, default_context(ROOT / "summaries").speakers, load_gazetteer(), min_confidence=0)
    assert [q.words.text for q in draft.digest.quotes] == ["Satellite images show that the mass grave has grown"]
    assert "mariupol" not in {s.id for s in draft.new_speakers}


def test_a_surname_alone_is_the_person_named_in_full() -> None:
    text = (
        "Russia has rejected a proposal for an Easter truce, Zelenskyy said.\n\n"
        "Ukrainian President Volodymyr Zelenskyy met the prime minister in Kyiv.\n"
    )
    meta = ArticleMeta("t-1", "T", "Desk", dt.date(2022, 4, 21), "https://example.org/t")
    draft = make_draft(meta, text, SpeakerRegistry([]), load_gazetteer(), min_confidence=0)
    assert {q.speaker for q in draft.digest.quotes} == {"volodymyr-zelenskyy"}


def test_a_description_is_the_person_named_as_a_speaker_in_the_next_paragraphs() -> None:
    """ "..., its governor has said." then "..., Serhiy Haidai said on Facebook."; a source who
    spoke on condition of anonymity stays unnamed."""
    text = (
        "Four civilians and three police officers have been wounded overnight by Russian shelling in the"
        " region of Luhansk, its governor has said.\n\n"
        "Five towns have been shelled in the region, Serhiy Haidai said on Facebook.\n\n"
        "Moscow is regrouping its forces, a senior intelligence official said on condition of anonymity.\n\n"
        "The offensive has begun, Oleksiy Danilov said.\n"
    )
    meta = ArticleMeta("t-1", "T", "Desk", dt.date(2022, 4, 21), "https://example.org/t")
    draft = make_draft(meta, text, SpeakerRegistry([]), load_gazetteer(), min_confidence=0)

    def speaker_of(opening: str) -> str:
        return next(q.speaker for q in draft.digest.quotes if q.words.text.startswith(opening))

    assert speaker_of("Four civilians") == "serhiy-haidai"
    assert speaker_of("Moscow is regrouping") != "oleksiy-danilov"


HOSTILE_TEXT = (
    "Officials warn of shelling\n\n"
    "“@everyone, leave Kharkiv now,” the governor said on Telegram, tagging <@123456789012345678>.\n\n"
    "Russian forces shelled Izium overnight, the General Staff said\u200b in a statement.\n\n"
    "''This is @here and #general,'' a spokesman told reporters. «Мы победим», he added.\n\n"
    "Zelensky said \ufeffthat\u00a0Ukraine would retake Kherson, according to Reuters.\n\n"
    '"An unbalanced quotation, the mayor said\n'
)


@pytest.mark.parametrize("name", ["seed", "fixture", "hostile"])
def test_every_drafted_span_is_verbatim(name: str) -> None:
    """Trust is the product: whatever the drafter keeps, at any confidence, is a slice of the
    article's text at its offsets, never rewritten (mentions, odd quotation marks and invisible
    characters included)."""
    if name == "seed":
        curated = read_digest(SEED)
        meta, text = curated.meta, curated.text
    else:
        meta = ArticleMeta("t-1", "T", "Desk", dt.date(2022, 9, 16), "https://example.org/t")
        text = TEXT if name == "fixture" else HOSTILE_TEXT
    draft = make_draft(meta, text, default_context(ROOT / "summaries").speakers, load_gazetteer(), min_confidence=0)
    digest = draft.digest
    spans = [
        *(k.evidence for k in digest.key_points),
        *(q.words for q in digest.quotes),
        *(c.evidence for c in digest.claims),
        *(s for c in digest.contradictions for s in (c.a, c.b)),
    ]
    assert digest.quotes, "the draft found no statement to check"
    for span in spans:
        assert 0 <= span.start < span.end <= len(text)
        assert text[span.start : span.end] == span.text
    for quote in digest.quotes:
        assert quote.mention in text  # the speaker as written, also a slice of the text
