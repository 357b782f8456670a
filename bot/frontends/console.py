"""The local console: the same slash commands as the chat front ends, typed in a terminal.

Used when no chat token is set (the embedded default), and by `briefbot ask`. Line editing and
history come from the standard library's readline where the platform has it. Console
subscriptions get their daily digests printed here (`ConsoleDeliverer`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bot.commands import CONSOLE, run_line
from bot.context import Context
from bot.core.models import Answer, NotFound, UsageError, to_jsonable
from bot.core.subscriptions import Subscription
from bot.render.text import render_text

PROMPT = "briefbot> "
BANNER = "briefbot console: type /help for commands, /quit to leave."


def answer_line(ctx: Context, line: str, *, as_json: bool = False) -> tuple[str, bool]:
    """(printed answer, ok) for one command line; ok is False for usage errors and unknown names."""
    answer = run_line(ctx, line, CONSOLE)
    ok = not isinstance(answer, UsageError | NotFound) and getattr(answer, "ok", True)
    if as_json:
        return json.dumps(to_jsonable(answer), ensure_ascii=False, indent=2), ok
    return render_text(answer), ok


def _setup_history(path: Path) -> Callable[[], None]:
    try:
        import readline
    except ImportError:  # Windows without pyreadline: no history, still usable
        return lambda: None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            readline.read_history_file(path)
    except OSError:
        pass
    readline.set_history_length(1000)

    def save() -> None:
        with contextlib.suppress(OSError):
            readline.write_history_file(path)

    return save


async def run_console(
    ctx: Context,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    history: Path | None = None,
) -> None:
    """Read commands until /quit or end of input; runs beside the scheduler in one event loop."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty()
    save = _setup_history(history or ctx.settings.db_path.parent / "console_history") if interactive else None
    loop = asyncio.get_running_loop()
    print(BANNER, file=stdout, flush=True)

    def read() -> str | None:
        try:
            return input(PROMPT) if interactive and stdin is sys.stdin else stdin.readline() or None
        except (EOFError, KeyboardInterrupt):
            return None

    try:
        while True:
            line = await loop.run_in_executor(None, read)
            if line is None:
                break
            line = line.strip()
            if not line:
                continue
            if line.casefold() in {"/quit", "/exit", "quit", "exit"}:
                break
            text, _ok = answer_line(ctx, line)
            print(text, file=stdout, flush=True)
    finally:
        if save:
            save()


class ConsoleDeliverer:
    """Prints each digest to a terminal stream, so the schedule runs locally with no token
    (a bot.delivery.Deliverer)."""

    platform = "console"
    # A print cannot be taken back, nor looked up after a crash: a slot found `sending` after a
    # crash is reported as uncertain, never printed twice.
    dedupe_window: dt.timedelta | None = dt.timedelta(0)

    def __init__(self, stream: TextIO | None = None, render: Callable[[Answer], str] | None = None) -> None:
        self._stream = stream
        self._render = render or render_text
        self._ids = itertools.count(1)

    async def post_digest(
        self, sub: Subscription, answer: Answer, idempotency_key: str, *, slot_at: dt.datetime | None = None
    ) -> str:
        stream = self._stream or sys.stdout
        header = f"── daily digest for #{sub.channel} ({sub.local_time} {sub.timezone}) ──"
        stream.write(f"\n{header}\n{self._render(answer)}\n")
        stream.flush()
        return f"console-{idempotency_key}-{next(self._ids)}"
