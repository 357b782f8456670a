"""Attribution extraction with the shipped model: spans, kinds, relays and bad input."""

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.core.models import QuoteKind
from bot.extract.attributions import Attribution, extract_attributions
from bot.extract.cli import attributions_command
from bot.extract.polnear import read_split

ROOT = Path(__file__).resolve().parents[2]
SCORER = next(
    (
        shared / "eval" / "score_attributions.py"
        for shared in (ROOT.parent / "shared", ROOT.parent.parent / "shared", Path("/work/shared"))
        if (shared / "eval" / "score_attributions.py").is_file()
    ),
    ROOT.parent / "shared" / "eval" / "score_attributions.py",
)


def span(text: str, r: tuple[int, int] | None) -> str:
    return text[r[0] : r[1]] if r else ""


def find(text: str, atts: list[Attribution], needle: str) -> Attribution:
    for att in atts:
        if any(needle in span(text, c) for c in att.content):
            return att
    raise AssertionError(f"no attribution whose content holds {needle!r}: {atts}")


def test_indirect_speech_gets_source_cue_and_content() -> None:
    text = (
        "Kremlin spokesman Dmitry Peskov said on Thursday that Russia had no plans to seize more "
        "territory in the region."
    )
    att = find(text, extract_attributions(text), "no plans to seize")
    assert "Peskov" in span(text, att.source)
    assert span(text, att.cue) == "said"
    assert att.kind == QuoteKind.INDIRECT
    assert att.via is None


def test_direct_quote_with_trailing_speaker() -> None:
    text = "“We will never give up our land,” Zelensky told reporters in Kyiv."
    att = find(text, extract_attributions(text), "never give up our land")
    assert "Zelensky" in span(text, att.source)
    assert att.kind == QuoteKind.DIRECT


def test_split_quote_is_one_attribution_with_two_content_spans() -> None:
    text = "“The war is not over,” he said. “We are ready to fight for every village.”"
    atts = extract_attributions(text)
    att = find(text, atts, "war is not over")
    pieces = " ".join(span(text, c) for c in att.content)
    assert "ready to fight" in pieces
    assert span(text, att.source) == "he"


def test_according_to_an_outlet_is_a_relay() -> None:
    text = "The army withdrew from the city overnight after heavy losses, according to Reuters."
    att = find(text, extract_attributions(text), "army withdrew")
    assert att.via is not None and span(text, att.via) == "Reuters"
    assert span(text, att.cue).lower() == "according to"
    assert att.kind == QuoteKind.INDIRECT


def test_every_span_is_a_verbatim_slice_inside_the_text() -> None:
    text = (ROOT / "summaries" / "2022-12-08-newsweek-kremlin-territory.txt").read_text(encoding="utf-8")
    atts = extract_attributions(text)
    assert atts
    for att in atts:
        for r in (att.source, att.cue, *att.content):
            if r:
                assert 0 <= r[0] < r[1] <= len(text)
                assert text[r[0] : r[1]].strip() == text[r[0] : r[1]]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n  ",
        "The bridge is 300 metres long. It was built in 1998.",  # no attribution
        "“This quote never closes, he said and then\n“another one",  # unbalanced quotation marks
        "Президент заявил, что война закончится. Он сказал: «Мы победим».",  # not English
        "\u200b\x00\ufeff!!! ??? — “” ‘’",
    ],
)
def test_bad_input_gives_a_valid_maybe_empty_list(text: str) -> None:
    atts = extract_attributions(text)
    assert isinstance(atts, list)
    for att in atts:
        assert att.content and all(0 <= a < b <= len(text) for a, b in att.content)


def test_text_without_attributions_gives_none() -> None:
    assert extract_attributions("The bridge is 300 metres long. It was built in 1998.") == []


def test_cli_writes_one_scorer_line_per_document(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("The minister said the talks had failed.", encoding="utf-8")
    (tmp_path / "b.txt").write_text("", encoding="utf-8")
    out = tmp_path / "pred.jsonl"
    result = CliRunner().invoke(attributions_command, [str(tmp_path), "--jsonl", str(out)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["doc"] for r in records] == ["a", "b"]
    assert records[1]["attributions"] == []
    (att,) = records[0]["attributions"]
    assert set(att) == {"source", "cue", "content"}
    text = (tmp_path / "a.txt").read_text(encoding="utf-8")
    assert text[slice(*att["cue"])] == "said"
    assert "talks had failed" in text[slice(*att["content"][0])]


def test_cli_on_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(attributions_command, [str(tmp_path / "nope"), "--jsonl", str(tmp_path / "o")])
    assert result.exit_code != 0
    assert "does not exist" in result.output
    assert "Traceback" not in result.output


def test_polnear_reader_and_scorer_format(tmp_path: Path) -> None:
    """A tiny brat corpus round-trips through the reader, and predictions score with the shared scorer."""
    text = "The senator said taxes would rise.\n"
    (tmp_path / "text").mkdir()
    (tmp_path / "attributions").mkdir()
    (tmp_path / "text" / "doc1.txt").write_text(text, encoding="utf-8")
    (tmp_path / "attributions" / "doc1_ab12.ann").write_text(
        "T1\tSource 0 11\tThe senator\nT2\tCue 12 16\tsaid\nT3\tContent 17 33\ttaxes would rise\n"
        "T4\tAttribution 12 16\tsaid\nE1\tAttribution:T4 Source:T1 Cue:T2 Content:T3\n",
        encoding="utf-8",
    )
    (doc,) = read_split(tmp_path)
    assert doc.name == "doc1"
    (gold,) = doc.attributions
    assert gold.source == ((0, 11),) and gold.cue == ((12, 16),) and gold.content == ((17, 33),)
    assert SCORER.is_file(), f"shared scorer missing at {SCORER}"
    sys.path.insert(0, str(SCORER.parent))
    import score_attributions

    pred = tmp_path / "pred.jsonl"
    atts = extract_attributions(text)
    pred.write_text(json.dumps({"doc": "doc1", "attributions": [a.as_scorer_dict() for a in atts]}) + "\n")
    result = score_attributions.score(score_attributions.read_gold(tmp_path), score_attributions.read_pred(pred))
    assert result["who_said_what"]["f1"] == 1.0


def test_one_megabyte_single_line_is_cut_and_handled() -> None:
    sentence = (
        "The mayor said the bridge was closed for repairs after the storm damaged its supports, "
        "and the ferry service between the two towns will run every hour until the work is done. "
    )
    text = sentence * (1_000_000 // len(sentence) + 1)
    atts = extract_attributions(text)
    assert len(atts) >= 0.9 * text.count("said")
    assert all(text[a.cue[0] : a.cue[1]] == "said" for a in atts if a.cue)


def test_a_statement_relayed_by_an_outlet_keeps_its_speaker_and_names_the_relay() -> None:
    text = "According to CNN, Ukraine said some Russian forces were withdrawing from Zaporizhzhia this month."
    att = find(text, extract_attributions(text), "Russian forces were withdrawing")
    assert span(text, att.source) == "Ukraine"
    assert span(text, att.via) == "CNN"


@pytest.mark.parametrize(
    ("text", "source", "content"),
    [
        (
            "Ukrainian police have identified 1,084 civilians killed by Russian forces outside Kyiv, the"
            " capital’s police chief said.",
            "the capital’s police chief",
            "Ukrainian police have identified 1,084 civilians killed by Russian forces outside Kyiv",
        ),
        (
            "Five towns have been shelled in the region that has been partially controlled by separatists"
            " since 2014, Serhiy Haidai said on Facebook.",
            "Serhiy Haidai",
            "Five towns have been shelled in the region that has been partially controlled by separatists since 2014",
        ),
        (
            "Four civilians and three police officers have been wounded overnight by Russian shelling in"
            " the region of Luhansk, its governor has said.",
            "its governor",
            "Four civilians and three police officers have been wounded overnight by Russian shelling in"
            " the region of Luhansk",
        ),
    ],
)
def test_content_then_source_then_said_is_the_clause_before_the_comma(text: str, source: str, content: str) -> None:
    """The tagger gave these cues no content, or the medium ("Facebook") as the words."""
    att = next(a for a in extract_attributions(text) if a.cue and "said" in span(text, a.cue))
    assert span(text, att.source) == source
    assert [span(text, c) for c in att.content] == [content]


def test_according_to_opening_a_sentence_is_the_sources_statement() -> None:
    text = "According to Reuters, Russia instead will focus its efforts on the east."
    (att,) = extract_attributions(text)
    assert (span(text, att.source), span(text, att.cue)) == ("Reuters", "According to")
    assert [span(text, c) for c in att.content] == ["Russia instead will focus its efforts on the east"]
    relayed = "According to CNN, Ukraine said some Russian forces were withdrawing."
    assert span(relayed, find(relayed, extract_attributions(relayed), "withdrawing").source) == "Ukraine"


def test_an_outlet_citing_someone_as_saying_relays_that_persons_words() -> None:
    text = (
        "Russia is prepared to stop firing to allow fighters to leave the plant, along with any civilians"
        " that are still there, the RIA state news agency cited the defence ministry as saying."
    )
    (att,) = extract_attributions(text)
    assert (span(text, att.source), span(text, att.via)) == ("the defence ministry", "the RIA state news agency")
    assert [span(text, c) for c in att.content] == [
        "Russia is prepared to stop firing to allow fighters to leave the plant, along with any civilians"
        " that are still there"
    ]


def test_a_relative_clause_of_the_source_is_no_part_of_the_words() -> None:
    text = (
        "Three missiles flew over the nuclear power station in the Mykolaiv region on April 16, according to"
        " Energoatom, the state-run agency that controls Ukraine’s nuclear generation."
    )
    att = find(text, extract_attributions(text), "Three missiles")
    assert all("controls" not in span(text, c) for c in att.content)


@pytest.mark.parametrize(
    ("cue", "statement"),
    [
        ("said", True),
        ("has accused", True),
        ("according to", True),
        ("told", True),
        (":", True),
        ("did not say", False),
        ("have felt", False),
        ("shows", False),
        ("hopes", False),
        ("appeared", False),
    ],
)
def test_a_draft_statement_needs_a_cue_of_saying(cue: str, statement: bool) -> None:
    from bot.extract.attributions import is_statement_cue

    assert is_statement_cue(cue) is statement


def test_statements_only_leaves_out_what_is_no_statement() -> None:
    """Drafts ask for statements only: a feeling ("fear") is not tagged, so it cannot take words
    from a statement either."""
    text = "Officials fear the dam could fail. Ukraine will win the war, Zelensky said."
    every = extract_attributions(text)
    statements = extract_attributions(text, statements_only=True)
    assert any(span(text, a.cue) == "fear" for a in every)
    assert [span(text, a.cue) for a in statements] == ["said"]
    assert [span(text, c) for c in statements[0].content] == ["Ukraine will win the war"]


def test_reported_speech_stays_in_its_cues_sentence() -> None:
    """Unquoted words of an earlier sentence are no part of a statement ("X. Y, Zelensky said." is
    not his statement of X); quoted words running into the attribution are."""
    text = "The Russians have felt able to redeploy the forces. Ukraine will win the war, Zelensky said."
    att = find(text, extract_attributions(text, statements_only=True), "win the war")
    assert [span(text, c) for c in att.content] == ["Ukraine will win the war"]
    quoted = "“We will hold the line. We will win,” Zelensky said."
    att = find(quoted, extract_attributions(quoted), "hold the line")
    assert "We will win" in " ".join(span(quoted, c) for c in att.content)
