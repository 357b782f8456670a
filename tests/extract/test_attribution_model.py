"""The shipped attribution tagger: its files checked before use, its inputs, its decoding."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from bot.extract import attribution_model as M
from bot.extract.attributions import extract_attributions
from bot.extract.cli import attributions_command
from bot.extract.text import paragraphs, tokenize_paragraph


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(M.MODEL_DIR, folder)
    return folder


def test_the_shipped_files_match_their_manifest() -> None:
    M.verify(M.MODEL_DIR)  # raises when a file is missing or differs from its recorded SHA-256
    model = M.load(str(M.MODEL_DIR))
    tokens = paragraphs("Kremlin spokesman Dmitry Peskov said the talks had failed.")[0].tokens
    hidden, cue = model.encode(tokens)
    assert hidden.shape[0] == cue.shape[0] == len(tokens)
    assert np.allclose(cue.sum(axis=1), 1.0, atol=1e-4)
    said = [t.text for t in tokens].index("said")
    assert int(np.argmax(cue[said])) == M.CUE_TAGS.index("B-CUE")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / M.ENCODER_FILE).unlink(), "missing"),
        (lambda d: (d / M.ROLE_FILE).write_bytes((d / M.ROLE_FILE).read_bytes()[:1000]), "altered or partial"),
        (
            lambda d: (d / M.TOKENIZER_FILE).write_text(
                (d / M.TOKENIZER_FILE).read_text(encoding="utf-8").replace("[UNK]", "[UNX]", 1), encoding="utf-8"
            ),
            "altered or partial",
        ),
        (lambda d: (d / M.MANIFEST_FILE).write_text("{not json", encoding="utf-8"), "manifest unreadable"),
    ],
)
def test_a_missing_partial_or_altered_model_is_never_run(model_copy: Path, damage, message: str) -> None:  # type: ignore[no-untyped-def]
    damage(model_copy)
    with pytest.raises(M.AttributionModelMissing, match=message):
        extract_attributions("The minister said the talks had failed.", model_copy)


def test_the_cli_names_a_damaged_model_in_one_line(model_copy: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (model_copy / M.ENCODER_FILE).write_bytes(b"not a model")
    monkeypatch.setattr("bot.extract.attributions.load", lambda _: M.AttributionModel(model_copy))
    (tmp_path / "a.txt").write_text("The minister said the talks had failed.", encoding="utf-8")
    result = CliRunner().invoke(attributions_command, [str(tmp_path), "--jsonl", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 1
    assert "altered or partial" in result.output and str(model_copy / M.ENCODER_FILE) in result.output
    assert "Traceback" not in result.output


def test_relations_say_where_each_token_stands_from_the_cue() -> None:
    text = "“We will win,” he said, adding that the army told him so."
    tokens = paragraphs(text)[0].tokens
    words = [t.text for t in tokens]
    said, told = words.index("said"), words.index("told")
    mask = [i in (said, told) for i in range(len(tokens))]
    rel = M.relations(tokens, (said, said + 1), mask)
    assert rel.shape == (len(tokens), len(M.RELATION_SIZES))
    assert (rel >= 0).all() and (rel < np.array(M.RELATION_SIZES)).all()
    side = rel[:, 0]
    assert side[said] == 0  # the cue itself
    assert side[said - 1] == 1  # "he": left, distance 1
    assert side[said + 1] == 2 + len(M.BUCKET_LIMITS)  # ",": right, distance 1
    assert rel[told, 2] == 1 and rel[said, 2] == 0  # another cue's token
    assert rel[told + 1, 3] == 1 and rel[said - 1, 3] == 0  # one other cue between
    win = words.index("win")
    assert rel[win, 5] == 2  # inside quotation marks, the cue outside
    comma = said + 1
    assert rel[comma, 6] == 5 and rel[comma + 1, 6] == 4  # at, then beyond the comma after the cue


def test_viterbi_gives_valid_bio_only() -> None:
    # the most probable tag of each token alone would be O, I-CON, I-SRC: invalid twice
    probabilities = np.array(
        [
            [0.6, 0.1, 0.0, 0.3, 0.0],
            [0.1, 0.0, 0.2, 0.0, 0.7],
            [0.1, 0.0, 0.5, 0.0, 0.4],
        ]
    )
    tags = M.viterbi(probabilities)
    assert tags == ["B-CON", "I-CON", "I-CON"]
    assert M.viterbi(np.zeros((0, 5))) == []


def test_viterbis_shortcut_gives_the_constrained_best_path() -> None:
    """Where each token's most probable tag already makes valid BIO, `viterbi` returns it without
    the search: the same path the search finds, on random probabilities of either kind."""
    rng = np.random.default_rng(7)
    shortcuts = 0
    for _ in range(2000):
        probabilities = rng.dirichlet(np.full(5, 0.3), size=int(rng.integers(1, 25)))
        tags = M.viterbi(probabilities)
        assert tags == M.constrained_path(probabilities)
        shortcuts += tags == [M.ROLE_TAGS[t] for t in probabilities.argmax(axis=1)]
    assert 0 < shortcuts < 2000


def test_a_paragraph_longer_than_the_model_reads_is_cut_and_the_rest_is_outside() -> None:
    text = "The mayor said the bridge was closed. " + "1-" * 600 + " Later the governor said it had reopened."
    tokens = tokenize_paragraph(text, 0, len(text)).tokens  # not cut at MAX_PARAGRAPH_CHARS
    model = M.load(str(M.MODEL_DIR))
    pieces = M.word_pieces(model.tokenizer, tokens)
    assert len(pieces.ids) == M.MAX_PIECES and pieces.words < len(tokens)
    hidden, cue = model.encode(tokens)
    assert hidden.shape == (len(tokens), hidden.shape[1])
    assert (cue[pieces.words :, 0] == 1.0).all()  # tokens past the cut: certainly no cue


def test_a_token_without_word_pieces_does_not_blind_the_rest_of_its_paragraph() -> None:
    """A zero-width space is a token of its own that the tokenizer drops; the tokens after it
    are still read (they were taken for cut off, and Peskov's statement was lost)."""
    text = "The shelling\u200b stopped. Kremlin spokesman Dmitry Peskov said the talks had failed."
    tokens = paragraphs(text)[0].tokens
    assert M.word_pieces(M.load(str(M.MODEL_DIR)).tokenizer, tokens).words == len(tokens)
    (att,) = extract_attributions(text)
    assert text[slice(*att.cue)] == "said" and "Peskov" in text[slice(*att.source)]
