#!/usr/bin/env python3
"""Train the attribution taggers (cue CRF + role CRF) from PolNeAR train; print dev figures.

Reproducible: deterministic L-BFGS training from the train split only, written to
bot/extract/model/ (shipped in the package). Dev is used for tuning and reporting only.

    python scripts/train_attributions.py \
        --train ../shared/data/polnear/train --dev ../shared/data/polnear/dev
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from multiprocessing import Process
from pathlib import Path

import pycrfsuite

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.extract import attributions as A
from bot.extract.polnear import GoldDocument, read_split
from bot.extract.text import paragraphs


def sequences(docs: list[GoldDocument]) -> tuple[list, list]:
    """(cue tagger sequences, role tagger sequences): each a list of (features, tags)."""
    cue_data: list[tuple[list[list[str]], list[str]]] = []
    role_data: list[tuple[list[list[str]], list[str]]] = []
    for doc in docs:
        for paragraph in paragraphs(doc.text):
            tokens = paragraph.tokens
            inside = [g for g in doc.attributions if g.cue and paragraph.start <= g.cue[0][0] < paragraph.end]
            base = A.base_features(paragraph)
            cue_roles: list[str | None] = [None] * len(tokens)
            cue_ranges = []
            for gold in inside:
                r = A.token_range(tokens, *gold.cue[0])
                if r is None:
                    continue
                cue_ranges.append((gold, r))
                for i in range(*r):
                    cue_roles[i] = "CUE"
            cue_data.append((base, A.bio(cue_roles)))
            mask = [role == "CUE" for role in cue_roles]
            for gold, (a, b) in cue_ranges:
                roles: list[str | None] = [None] * len(tokens)
                for span in gold.content:
                    r = A.token_range(tokens, *span)
                    if r:
                        for i in range(*r):
                            roles[i] = "CON"
                for span in gold.source:
                    r = A.token_range(tokens, *span)
                    if r:
                        for i in range(*r):
                            roles[i] = "SRC"
                for i in range(a, b):
                    roles[i] = "CUE"
                role_data.append((A.role_features(paragraph, base, (a, b), mask), A.bio(roles)))
    return cue_data, role_data


def train(data: list, path: Path, params: dict) -> None:
    trainer = pycrfsuite.Trainer(verbose=False)
    for features, tags in data:
        trainer.append(features, tags)
    trainer.set_params(params)
    started = time.perf_counter()
    trainer.train(str(path))
    print(f"trained {path.name}: {len(data)} sequences, {time.perf_counter() - started:.0f} s", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", required=True, help="PolNeAR train folder (text/, attributions/)")
    parser.add_argument("--dev", help="PolNeAR dev folder: score the trained model on it")
    parser.add_argument("--out", default=str(A.MODEL_DIR), help="model folder (default: the shipped one)")
    parser.add_argument("--c1", type=float, default=0.1)
    parser.add_argument("--c2", type=float, default=3.0)
    parser.add_argument("--iterations", type=int, default=150)
    parser.add_argument("--min-freq", type=float, default=2)
    args = parser.parse_args()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    docs = list(read_split(args.train))
    cue_data, role_data = sequences(docs)
    print(f"features: {len(docs)} documents, {time.perf_counter() - started:.0f} s", flush=True)
    params = {
        "c1": args.c1,
        "c2": args.c2,
        "max_iterations": args.iterations,
        "feature.possible_transitions": True,
        "feature.minfreq": args.min_freq,
    }
    print("params", json.dumps(params), flush=True)
    # the two models are independent: train them side by side (2 cores)
    jobs = [
        Process(target=train, args=(cue_data, out / A.CUE_MODEL, params)),
        Process(target=train, args=(role_data, out / A.ROLE_MODEL, params)),
    ]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join()
    if any(job.exitcode for job in jobs):
        print("training failed", file=sys.stderr)
        return 1
    for name in (A.CUE_MODEL, A.ROLE_MODEL):
        print(f"{name}: {(out / name).stat().st_size / 1e6:.1f} MB")
    if args.dev:
        with tempfile.TemporaryDirectory() as tmp:
            pred = Path(tmp) / "dev.jsonl"
            with open(pred, "w", encoding="utf-8") as handle:
                for doc in read_split(args.dev):
                    atts = A.extract_attributions(doc.text, out)
                    handle.write(json.dumps({"doc": doc.name, "attributions": [a.as_scorer_dict() for a in atts]}))
                    handle.write("\n")
            scorer = Path(args.dev).resolve().parents[2] / "eval" / "score_attributions.py"
            subprocess.run([sys.executable, str(scorer), args.dev, str(pred)], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
