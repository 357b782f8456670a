"""The attribution tagger: a small transformer, run with onnxruntime, and the inputs it reads.

Owns everything between a tokenized paragraph and the tagger's probabilities, for training
(`scripts/train_attributions.py`) and extraction (`bot/extract/attributions.py`) alike, so the
two cannot read a paragraph differently:

- `word_pieces`: the paragraph's tokens as MiniLM word pieces, with the first piece of each token;
- `relations`: for one cue, each token's relation to it (side and distance, sentence, quotation,
  other cues), the role head's view of "where this word stands from the cue";
- `AttributionModel`: the shipped ONNX graphs (an encoder with a cue head, and a role head run
  once per cue), loaded only when every file matches the SHA-256 in `MANIFEST.json`.

Nothing is downloaded: the graphs and the tokenizer ship in `bot/extract/model/`.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tokenizers import Tokenizer

from bot.extract.text import QUOTE_CHARS, Token

if TYPE_CHECKING:
    from onnxruntime import InferenceSession

MODEL_DIR = Path(__file__).parent / "model"
ENCODER_FILE = "encoder.onnx"
ROLE_FILE = "roles.onnx"
TOKENIZER_FILE = "tokenizer.json"
MANIFEST_FILE = "MANIFEST.json"
MODEL_FILES = (ENCODER_FILE, ROLE_FILE, TOKENIZER_FILE)  # what the manifest hashes, and `verify` checks
MAX_PIECES = 512  # MiniLM's positions; tokens past them are read as outside any attribution

CUE_TAGS = ("O", "B-CUE", "I-CUE")
ROLE_TAGS = ("O", "B-SRC", "I-SRC", "B-CON", "I-CON")

# Distance buckets of a token from its cue, in tokens (the last is "farther").
BUCKET_LIMITS = (1, 2, 3, 5, 8, 12, 20, 35)
_BUCKET_OF = np.array([next(i for i, limit in enumerate(BUCKET_LIMITS) if d <= limit) for d in range(36)])
# Each relation feature and how many values it takes (the role head embeds each and sums them).
RELATION_SIZES = (
    1 + 2 * (len(BUCKET_LIMITS) + 1),  # side and distance: in the cue, or left/right by bucket
    3,  # sentence: the cue's, one before it, one after it
    2,  # the token belongs to another cue
    3,  # other cues between the token and this one: none, one, more
    5,  # quotation segments between them, -2..2
    4,  # token inside quotation marks x cue inside quotation marks
    7,  # the nearest comma or colon of the cue's sentence on the token's side: none; beyond, at, before it (L, R)
)


class AttributionModelMissing(RuntimeError):
    """The shipped model files are absent, partial or altered: extraction cannot run."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(model_dir: Path) -> None:
    """Raise AttributionModelMissing unless every file the manifest lists is there with its hash."""
    manifest_path = model_dir / MANIFEST_FILE
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        files: dict[str, str] = manifest["sha256"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AttributionModelMissing(f"attribution model manifest unreadable: {manifest_path}") from exc
    for name in MODEL_FILES:
        path = model_dir / name
        if name not in files or not path.is_file():
            raise AttributionModelMissing(f"attribution model file missing: {path}")
        if file_sha256(path) != files[name]:
            raise AttributionModelMissing(f"attribution model file altered or partial: {path}")


def load_tokenizer(path: Path) -> Tokenizer:
    """The word-piece tokenizer, with the truncation and padding of its sentence-embedding use off."""
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


@dataclass(frozen=True, slots=True)
class WordPieces:
    ids: np.ndarray  # [P] int64: [CLS] pieces [SEP]
    first_piece: np.ndarray  # [W] int64: the position in `ids` of each kept token's first piece
    words: int  # tokens kept (the first `words` of the paragraph; the rest did not fit)


def word_pieces(tokenizer: Tokenizer, tokens: Sequence[Token]) -> WordPieces:
    """The paragraph's tokens as word pieces, cut to MAX_PIECES; each token a word of its own."""
    encoding = tokenizer.encode([t.text for t in tokens], is_pretokenized=True, add_special_tokens=True)
    ids = encoding.ids
    word_ids = encoding.word_ids
    first: dict[int, int] = {}
    for position, word in enumerate(word_ids):
        if word is not None and word not in first:
            first[word] = position
    limit = MAX_PIECES - 1
    if len(ids) > MAX_PIECES:
        ids = [*ids[:limit], ids[-1]]  # keep [SEP]
    positions: list[int] = []
    for i in range(len(tokens)):
        piece = first.get(i)
        if piece is None:
            # a token the tokenizer drops (a zero-width space, a control character) reads the
            # piece before it, and the tokens after it are still read
            piece = positions[-1] if positions else 0
        elif piece >= limit:
            break
        positions.append(piece)
    return WordPieces(np.asarray(ids, dtype=np.int64), np.asarray(positions, dtype=np.int64), len(positions))


def relations(tokens: Sequence[Token], cue: tuple[int, int], cue_mask: Sequence[bool]) -> np.ndarray:
    """[len(tokens), len(RELATION_SIZES)] int64: each token's relation to the cue [a, b).

    `cue_mask` marks the tokens of every cue of the paragraph, so a token can tell whether
    another cue stands between it and this one (then it likely belongs to that one)."""
    a, b = cue
    n = len(tokens)
    index = np.arange(n)
    sentence = np.fromiter((t.sentence for t in tokens), dtype=np.int64, count=n)
    quoted = np.fromiter((t.in_quote for t in tokens), dtype=np.int64, count=n)
    quote_mark = np.fromiter((t.text in QUOTE_CHARS for t in tokens), dtype=np.int64, count=n)
    punct = np.fromiter((t.text in ",:" for t in tokens), dtype=bool, count=n)
    mask = np.asarray(cue_mask, dtype=bool)
    other = mask.copy()
    other[a:b] = False
    left, right = index < a, index >= b

    distance = np.where(left, a - index, np.where(right, index - b + 1, 0))
    bucket = _BUCKET_OF[np.minimum(distance, len(_BUCKET_OF) - 1)]
    bucket = np.where(distance > BUCKET_LIMITS[-1], len(BUCKET_LIMITS), bucket)
    side_distance = np.where(left, 1 + bucket, np.where(right, 2 + len(BUCKET_LIMITS) + bucket, 0))

    cue_sentence = tokens[a].sentence
    sentence_rel = np.where(sentence == cue_sentence, 0, np.where(sentence < cue_sentence, 1, 2))

    prefix = np.concatenate(([0], np.cumsum(other)))
    between = np.where(left, prefix[a] - prefix[index + 1], np.where(right, prefix[index] - prefix[b], 0))
    between = np.minimum(between, 2)

    segment = np.cumsum(quote_mark)
    segment_rel = np.clip(segment - segment[a], -2, 2) + 2

    quote_pair = quoted * 2 + int(tokens[a].in_quote)

    same = sentence == cue_sentence
    breaks = np.flatnonzero(punct & same)
    left_breaks, right_breaks = breaks[breaks < a], breaks[breaks >= b]
    where = np.zeros(n, dtype=np.int64)
    if len(left_breaks):
        lb = left_breaks[-1]
        where = np.where(left, np.where(index < lb, 1, np.where(index == lb, 2, 3)), where)
    if len(right_breaks):
        rb = right_breaks[0]
        where = np.where(right, np.where(index > rb, 4, np.where(index == rb, 5, 6)), where)

    return np.stack(
        [side_distance, sentence_rel, other.astype(np.int64), between, segment_rel, quote_pair, where], axis=1
    ).astype(np.int64)


def _session(path: Path) -> InferenceSession:
    import onnxruntime  # imported when first needed: commands that draw nothing start faster

    options = onnxruntime.SessionOptions()
    # One thread: drafting runs in worker processes, one per core, and a paragraph is small.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class AttributionModel:
    """The shipped tagger: cue probabilities per token, then role probabilities per cue."""

    def __init__(self, model_dir: Path) -> None:
        verify(model_dir)
        self.tokenizer = load_tokenizer(model_dir / TOKENIZER_FILE)
        self._encoder = _session(model_dir / ENCODER_FILE)
        self._roles = _session(model_dir / ROLE_FILE)

    def encode(self, tokens: Sequence[Token]) -> tuple[np.ndarray, np.ndarray]:
        """(hidden [n, H], cue probabilities [n, 3] over CUE_TAGS) for the paragraph's n tokens;
        tokens past MAX_PIECES get zeros and certain O."""
        pieces = word_pieces(self.tokenizer, tokens)
        n = len(tokens)
        hidden_kept, cue_kept = self._encoder.run(
            None, {"input_ids": pieces.ids[None, :], "first_piece": pieces.first_piece}
        )
        if pieces.words == n:
            return hidden_kept, cue_kept
        hidden = np.zeros((n, hidden_kept.shape[1]), dtype=np.float32)
        cue = np.zeros((n, len(CUE_TAGS)), dtype=np.float32)
        cue[:, 0] = 1.0
        hidden[: pieces.words], cue[: pieces.words] = hidden_kept, cue_kept
        return hidden, cue

    def roles(self, hidden: np.ndarray, relation_ids: np.ndarray) -> np.ndarray:
        """Role probabilities [n, 5] over ROLE_TAGS for one cue, given its relations."""
        (probabilities,) = self._roles.run(None, {"hidden": hidden, "relations": relation_ids})
        return probabilities


@functools.cache
def load(model_dir: str) -> AttributionModel:
    return AttributionModel(Path(model_dir))


# Allowed moves of the role tags: an inside tag continues its own role only.
_ALLOWED = np.array(
    [[not (to.startswith("I-") and frm[2:] != to[2:]) for to in ROLE_TAGS] for frm in ROLE_TAGS], dtype=bool
)
_START_ALLOWED = np.array([not tag.startswith("I-") for tag in ROLE_TAGS], dtype=bool)


def viterbi(probabilities: np.ndarray) -> list[str]:
    """The most probable role tag sequence that is valid BIO (no I- after another role)."""
    if len(probabilities) == 0:
        return []
    best_each = probabilities.argmax(axis=1)
    previous = np.concatenate(([0], best_each[:-1]))
    if _ALLOWED[previous, best_each].all() and _START_ALLOWED[best_each[0]]:
        # each token's most probable tag already makes valid BIO: no constrained path beats it
        return [ROLE_TAGS[t] for t in best_each]
    return constrained_path(probabilities)


def constrained_path(probabilities: np.ndarray) -> list[str]:
    """Viterbi over the tags with the BIO moves allowed (`viterbi` calls it only when the
    tokens' most probable tags alone are no valid sequence)."""
    scores = np.log(np.maximum(probabilities, 1e-9))
    n, k = scores.shape
    transition = np.where(_ALLOWED, 0.0, -np.inf)
    best = np.where(_START_ALLOWED, scores[0], -np.inf)
    back = np.zeros((n, k), dtype=np.int64)
    for i in range(1, n):
        candidates = best[:, None] + transition
        back[i] = np.argmax(candidates, axis=0)
        best = candidates[back[i], np.arange(k)] + scores[i]
    path = [int(np.argmax(best))]
    for i in range(n - 1, 0, -1):
        path.append(int(back[i, path[-1]]))
    return [ROLE_TAGS[t] for t in reversed(path)]
