#!/usr/bin/env python3
"""Benchmark machine drafts: attributions on PolNeAR dev, whole drafts on the war articles' dev
gold, drafting speed and memory, and the seed's curated digest recovered.

    python bench/attributions.py [--gold ../shared/data/polnear/dev] [--scorer PATH]

1. Drafts the dev war articles and PolNeAR dev's articles in this process (attributions,
   speakers, claims, key points, contradictions: `make_draft`) and prints articles per
   CPU-second on one core and peak RSS.
2. Runs `briefbot attributions GOLD/text --jsonl OUT` (in process, through the click command),
   times it, then runs the shared scorer on the output and prints its full report.
3. Runs the shared `score_drafts.py` on `../shared/data/claims-dev` (it calls `briefbot draft`
   per article) and prints its totals: statements, who said what, regions, claims, asserters.
4. Drafts the seed article and prints how much of its hand-curated digest the draft recovers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from click.testing import CliRunner  # noqa: E402

from bot.extract.attributions import extract_attributions  # noqa: E402
from bot.extract.cli import attributions_command  # noqa: E402


def _default_shared() -> Path:
    for candidate in (ROOT.parent / "shared", ROOT.parent.parent / "shared", Path("/work/shared")):
        if (candidate / "eval" / "score_attributions.py").is_file():
            return candidate
    return ROOT.parent / "shared"


def main() -> int:
    shared = _default_shared()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold", type=Path, default=shared / "data" / "polnear" / "dev")
    parser.add_argument("--scorer", type=Path, default=shared / "eval" / "score_attributions.py")
    parser.add_argument("--keep", type=Path, help="also keep the predictions here")
    args = parser.parse_args()

    texts = sorted((args.gold / "text").glob("*.txt"))
    extract_attributions("Warm-up, he said.")  # load the model outside the timed run
    # Drafting speed first, in a process that holds nothing else yet (as a worker would).
    war = sorted((shared / "data" / "articles" / "text").glob("*.txt")) + sorted((shared / "seed").glob("*.txt"))
    draft_speed("the war articles of the dev gold", war, rounds=3)
    draft_speed("PolNeAR dev", texts, rounds=1)
    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp) / "pred.jsonl"
        started = time.perf_counter()
        cpu_started = time.process_time()
        result = CliRunner().invoke(attributions_command, [str(args.gold / "text"), "--jsonl", str(out)])
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        if result.exit_code != 0:
            print(result.output, file=sys.stderr)
            return 1
        print(f"command: briefbot attributions {args.gold / 'text'} --jsonl {out}")
        print(
            f"speed: {len(texts)} articles in {wall:.2f} s wall ({len(texts) / wall:.1f} articles/s), "
            f"{cpu:.2f} s CPU ({len(texts) / cpu:.1f} articles/CPU-s, one process) on {os.cpu_count()} cores"
        )
        scored = subprocess.run(
            [sys.executable, str(args.scorer), str(args.gold), str(out)], capture_output=True, text=True
        )
        print(scored.stdout, end="")
        if scored.returncode:
            print(scored.stderr, file=sys.stderr)
            return scored.returncode
    draft_scores(shared)
    seed_comparison()
    return 0


def draft_scores(shared: Path) -> None:
    scorer = shared / "eval" / "score_drafts.py"
    texts = shared / "data" / "articles" / "text"
    args = [str(shared / "data" / "claims-dev"), str(texts), str(shared / "seed")]
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    scored = subprocess.run([sys.executable, str(scorer), *args], capture_output=True, text=True, env=env)
    print(f"command: python {scorer} {' '.join(args)}")
    if scored.returncode:
        print(scored.stderr[-2000:], file=sys.stderr)
        return
    print("\n".join(line for line in scored.stdout.splitlines() if not line.startswith("{")))


def draft_speed(name: str, paths: list[Path], rounds: int) -> None:
    """Whole drafts of these articles, in this process, on one core."""
    import resource

    from bot.core.digest_files import default_context
    from bot.core.gazetteer import load_gazetteer
    from bot.core.models import ArticleMeta
    from bot.extract.draft import make_draft

    speakers = default_context(ROOT / "summaries").speakers
    gazetteer = load_gazetteer()
    texts = [p.read_text(encoding="utf-8") for p in paths]
    meta = ArticleMeta("bench", "Bench", "Bench", dt.date(2022, 4, 21), "https://example.org/bench")
    for text in texts[:8]:  # warm: the models, dateparser's tables
        make_draft(meta, text, speakers, gazetteer)
    seconds = [0.0] * len(texts)
    for _ in range(rounds):  # round robin: no text is drafted twice in a row (tokens are cached per text)
        for n, text in enumerate(texts):
            started = time.process_time()
            make_draft(meta, text, speakers, gazetteer)
            seconds[n] += (time.process_time() - started) / rounds
    words = [len(t.split()) for t in texts]
    median = sorted(zip(seconds, words, strict=True))[len(texts) // 2]
    longest = max(zip(words, seconds, strict=True))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"drafting {name}: {len(texts)} articles ({sum(words):,} words), {len(texts) / sum(seconds):.1f} articles/CPU-s"
        f" on one core ({sum(words) / sum(seconds):,.0f} words/s); the median article ({median[1]:,} words)"
        f" {median[0] * 1000:.0f} ms = {1 / median[0]:.1f} articles/s, the longest ({longest[0]:,} words)"
        f" {longest[1] * 1000:.0f} ms; peak RSS of this process {peak:.0f} MB"
    )


def seed_comparison() -> None:
    from bot.core.digest_files import default_context, digest_files, read_digest
    from bot.core.gazetteer import load_gazetteer
    from bot.extract.compare import compare
    from bot.extract.draft import make_draft

    summaries = ROOT / "summaries"
    ctx = default_context(summaries)
    for path in digest_files(summaries):
        curated = read_digest(path, ctx)
        if curated.review.value != "reviewed":
            continue
        started = time.perf_counter()
        result = make_draft(curated.meta, curated.text, ctx.speakers, load_gazetteer(), curated.captions)
        c = compare(result.digest, curated)
        print(f"seed {path.name} (drafted in {time.perf_counter() - started:.2f} s): recall of the curated")
        print(f"  quotes, speaker and words  {c.quotes}")
        print(f"  quotes, words only         {c.quote_content}")
        print(f"  region claims, type        {c.claims}")
        print(f"  region claims, region      {c.claim_regions}")
        print(f"  key points                 {c.key_points}")


if __name__ == "__main__":
    sys.exit(main())
