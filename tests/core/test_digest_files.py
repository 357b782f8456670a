"""The loader and validator of curated digest files, on the real store."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from bot.core.db import Store
from bot.core.digest_files import (
    DigestFileError,
    check_dir,
    default_context,
    dump_digest,
    load_dir,
    read_digest,
    write_digest_files,
)
from bot.core.models import ClaimType, QuoteKind, Review
from tests.conftest import SEED_ID


def seed_yaml(d: Path) -> Path:
    return d / f"{SEED_ID}.yaml"


def line_of(path: Path, needle: str) -> int:
    for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if needle in line:
            return n
    raise AssertionError(needle)


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), "utf-8")


def test_seed_digest_is_complete(summaries_dir: Path) -> None:
    d = read_digest(seed_yaml(summaries_dir))
    assert d.meta.publisher == "Newsweek" and d.meta.author == "Anna Skinner"
    assert d.meta.published == dt.date(2022, 12, 8)
    assert d.review == Review.REVIEWED
    for chrome in ("UP NEXT", "AdChoices", "image beacon", "Start your unlimited Newsweek trial", "older browser"):
        assert chrome not in d.text
    assert d.captions and d.captions[0].text.startswith("In this combination image")
    peskov = [q for q in d.quotes if q.speaker == "dmitry-peskov"]
    assert {q.mention for q in peskov} >= {"Kremlin spokesman Dmitry Peskov", "Peskov", "he", "a Russian spokesperson"}
    assert any(q.kind == QuoteKind.DIRECT and q.words.text.startswith("But there is nevertheless") for q in peskov)
    assert {q.via for q in d.quotes} >= {"Reuters", "CNN"}
    regions = {c.region for c in d.claims}
    assert regions >= {"UA-14", "UA-09", "UA-65", "UA-23", "UA-30", "UA-63"}
    izium = [c for c in d.claims if c.place]
    assert izium and izium[0].region == "UA-63" and izium[0].place.startswith("Izy")
    annexed = [c for c in d.claims if c.claim == ClaimType.ANNEXED]
    assert {c.date for c in annexed} == {dt.date(2022, 9, 1)} and annexed[0].date_precision == "month"
    withdrew = next(c for c in d.claims if c.id == "r-kherson-withdrew")
    assert (withdrew.date, withdrew.date_precision) == (dt.date(2022, 11, 1), "month")
    assert next(q for q in d.quotes if q.id == "q1").said_on == dt.date(2022, 12, 8)  # "Thursday"
    pairs = {(x.a.text, x.b.text) for x in d.contradictions}
    assert any("done seizing territory" in a and "a lot of work ahead to liberate" in b for a, b in pairs)
    assert any(
        "withdrew its forces from Kherson" in a and "under control of the Russian Federation" in b for a, b in pairs
    )
    assert any("annexed" in a and "does not maintain military control" in b for a, b in pairs)
    for q in d.quotes:
        assert d.text[q.words.start : q.words.end] == q.words.text


def test_load_is_idempotent_and_reload_updates_one_article(summaries_dir: Path, tmp_path: Path) -> None:
    db = Store(tmp_path / "s.db")
    first = load_dir(db, summaries_dir)
    assert first.ok and first.loaded == [f"{SEED_ID}.yaml"]
    snapshot = list(db.rows("select id, text from quotes order by id"))
    second = load_dir(db, summaries_dir)
    assert second.loaded == [] and second.unchanged == [f"{SEED_ID}.yaml"]
    assert list(db.rows("select id, text from quotes order by id")) == snapshot
    # a second article, then an edit of the first: only the first is rewritten
    other = read_digest(seed_yaml(summaries_dir))
    from dataclasses import replace

    meta = replace(other.meta, id="2022-12-09-copy", published=dt.date(2022, 12, 9))
    write_digest_files(replace(other, meta=meta), summaries_dir)
    assert load_dir(db, summaries_dir).loaded == ["2022-12-09-copy.yaml"]
    edit(seed_yaml(summaries_dir), "  - id: k6\n", "  - id: k6b\n")
    third = load_dir(db, summaries_dir)
    assert third.loaded == [f"{SEED_ID}.yaml"] and third.unchanged == ["2022-12-09-copy.yaml"]
    assert db.execute("select count(*) from key_points where id = ?", [f"{SEED_ID}#k6b"]).fetchone()[0] == 1
    assert db.execute("select count(*) from key_points where id = ?", [f"{SEED_ID}#k6"]).fetchone()[0] == 0


def test_deleting_a_file_removes_its_article(summaries_dir: Path, tmp_path: Path) -> None:
    db = Store(tmp_path / "s.db")
    load_dir(db, summaries_dir)
    seed_yaml(summaries_dir).unlink()
    report = load_dir(db, summaries_dir)
    assert report.removed == [f"{SEED_ID}.yaml"]
    assert db["articles"].count == 0 and db["quotes"].count == 0 and db["region_claims"].count == 0


def test_tampered_quote_is_refused_with_file_and_line(summaries_dir: Path, tmp_path: Path) -> None:
    path = seed_yaml(summaries_dir)
    edit(
        path,
        "words: Russia has no plans to seize more territory from Ukraine",
        "words: Russia has no plans to seize territory",
    )
    db = Store(tmp_path / "s.db")
    report = load_dir(db, summaries_dir)
    assert not report.ok and report.loaded == []
    err = report.errors[0]
    assert err.file.endswith(f"{SEED_ID}.yaml")
    assert err.line == line_of(path, "words: Russia has no plans to seize territory")
    assert err.field == "quotes[1].words"
    assert "not found verbatim" in str(err)
    assert re.match(rf".*{SEED_ID}\.yaml:\d+: quotes\[1\]\.words: ", str(err))
    assert db["articles"].count == 0  # refused whole: nothing of it was written


def test_invalid_file_keeps_previous_version_and_others_load(summaries_dir: Path, tmp_path: Path) -> None:
    db = Store(tmp_path / "s.db")
    load_dir(db, summaries_dir)
    before = db["quotes"].count
    edit(seed_yaml(summaries_dir), "    claim: annexed", "    claim: conquered")
    report = load_dir(db, summaries_dir)
    assert not report.ok and "claims[3].claim" in str(report.errors[0])
    assert db["quotes"].count == before


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("region: Donetsk\n", "region: Narnia\n", "claims[3].region", "unknown region"),
        ("speaker: vladimir-putin", "speaker: vladimir-putinn", "quotes[10].speaker", "did you mean: Vladimir Putin"),
        ("when: In November", "when: next year", "claims[15].when", "after the article was published"),
        ("when: In November", "when: the day the music died", "claims[15].when", "cannot read a date"),
        ("  - id: k2\n", "  - id: k1\n", "key_points[1].id", "duplicate id"),
        ("kind: direct", "kind: verbatim", "quotes[5].kind", "Input should be"),
        ("    mention: he\n", "    mention: she\n", "quotes[7].mention", "as in the article text"),
        ("format: 1", "format: 2", "format", "format 2 is not known"),
        ("review: reviewed", "review: reviewed\nreviewer: me", "reviewer", "unknown field"),
        ("  published: 2022-12-08", "  published: 2022-13-45", "article.published", ""),
        ("id: 2022-12-08-newsweek-kremlin-territory\n", "id: another-id\n", "id", "must equal the file name"),
        ("    why: Russia withdrew", "    why: ''\n    x: Russia withdrew", "contradictions[2]", ""),
    ],
)
def test_each_validator_error(summaries_dir: Path, old: str, new: str, field: str, message: str) -> None:
    path = seed_yaml(summaries_dir)
    edit(path, old, new)
    with pytest.raises(DigestFileError) as info:
        read_digest(path, default_context(summaries_dir))
    assert info.value.field.startswith(field), str(info.value)
    assert message in str(info.value)
    assert info.value.line is not None and info.value.line > 0


def test_broken_yaml_and_missing_text(summaries_dir: Path) -> None:
    path = seed_yaml(summaries_dir)
    edit(path, "quotes:\n", "quotes: [\n")
    with pytest.raises(DigestFileError, match="not valid YAML"):
        read_digest(path)
    (summaries_dir / "empty.yaml").write_text("", "utf-8")
    report = check_dir(summaries_dir)
    assert len(report.errors) == 2
    assert any("empty" in str(e) for e in report.errors)


def test_text_file_must_exist_and_sit_beside(summaries_dir: Path) -> None:
    path = seed_yaml(summaries_dir)
    edit(path, f"text_file: {SEED_ID}.txt", "text_file: ../../etc/passwd")
    with pytest.raises(DigestFileError, match="beside"):
        read_digest(path)


def test_dump_round_trips(summaries_dir: Path, tmp_path: Path) -> None:
    d = read_digest(seed_yaml(summaries_dir))
    out = tmp_path / "out"
    out.mkdir()
    (out / "speakers.yaml").write_text((summaries_dir / "speakers.yaml").read_text("utf-8"), "utf-8")
    write_digest_files(d, out)
    again = read_digest(out / f"{SEED_ID}.yaml")
    assert again.quotes == d.quotes and again.claims == d.claims and again.key_points == d.key_points
    assert again.contradictions == d.contradictions and again.captions == d.captions
    assert "review: reviewed" in dump_digest(d)


def test_check_writes_nothing(summaries_dir: Path) -> None:
    report = check_dir(summaries_dir)
    assert report.ok and report.loaded == [f"{SEED_ID}.yaml"]


def test_parallel_load_matches_sequential(summaries_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Large folders are parsed in worker processes; results, order and errors are the same."""
    from bench.synthetic import write_corpus
    from bot.core.digest_files import load as digest_files

    corpus = write_corpus(tmp_path / "corpus", 30)
    bad = sorted(corpus.glob("*.yaml"))[3]
    edit(bad, "evidence: ", "evidence: not in the text ")
    monkeypatch.setattr(digest_files, "PARALLEL_MIN_FILES", 10)
    seq = load_dir(Store(tmp_path / "seq.db"), corpus, workers=1)
    par_db = Store(tmp_path / "par.db")
    par = load_dir(par_db, corpus, workers=2)
    assert par.loaded == seq.loaded and len(par.loaded) == 29
    assert [str(e) for e in par.errors] == [str(e) for e in seq.errors] and "not found verbatim" in str(par.errors[0])
    assert par_db["quotes"].count == 29 * 3


def test_confidence_is_read_written_and_bounded(tmp_path) -> None:
    import shutil

    from bot.core.digest_files import DigestFileError, default_context, read_digest
    from bot.core.digest_files.write import dump_digest
    from tests.conftest import SEED_ID, SUMMARIES

    folder = tmp_path / "s"
    shutil.copytree(SUMMARIES, folder)
    path = folder / f"{SEED_ID}.yaml"
    text = path.read_text("utf-8")
    first_claim = text.index("\nclaims:\n") + 1
    claims = text[first_claim:].replace("    claim:", "    confidence: 0.72\n    claim:", 1)
    with_confidence = text[:first_claim] + claims
    path.write_text(with_confidence, "utf-8")
    digest = read_digest(path, default_context(folder))
    assert digest.claims[0].confidence == 0.72 and digest.claims[1].confidence is None
    assert "confidence: 0.72" in dump_digest(digest)
    path.write_text(with_confidence.replace("confidence: 0.72", "confidence: 1.5"), "utf-8")
    expected = r"\.yaml:122: claims\[0\]\.confidence: Input should be less than or equal to 1"
    with pytest.raises(DigestFileError, match=expected):
        read_digest(path, default_context(folder))
