"""`briefbot run` serves the web view beside the chat front ends when BRIEFBOT_WEB is set."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx
import pytest

from bot import runner
from bot.context import Context
from tests.frontends.web.conftest import free_port, make_context


async def test_run_serves_the_web_view_beside_the_chat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    ctx = make_context(tmp_path, web_in_run=True, web_port=port)
    pages: list[str] = []

    async def chat(_ctx: Context) -> None:  # the chat front ends, while the web view runs beside them
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(200):
                try:
                    pages.append((await client.get("/region/Donetsk")).text)
                    return
                except httpx.TransportError:
                    await asyncio.sleep(0.05)

    monkeypatch.setattr(runner, "run_chat", chat)
    await asyncio.wait_for(runner.run(ctx), 30)
    assert pages and "Donetsk (UA-14): what the sources say" in pages[0]
    with socket.socket() as probe:  # and it stopped with them
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    ctx.close()


async def test_without_the_setting_run_serves_no_web_view(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    ctx = make_context(tmp_path, web_port=port)
    refused: list[int] = []

    async def chat(_ctx: Context) -> None:
        with socket.socket() as probe:
            refused.append(probe.connect_ex(("127.0.0.1", port)))

    monkeypatch.setattr(runner, "run_chat", chat)
    await runner.run(ctx)
    assert refused and refused[0] != 0
    ctx.close()
