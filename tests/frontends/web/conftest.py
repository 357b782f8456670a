"""The web view's fixtures: the seed store plus a machine draft with hostile text, an editor."""

from __future__ import annotations

import datetime as dt
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bot.context import Context, open_context
from bot.core.digest_files import default_context
from bot.core.editors import add_editor
from bot.core.gazetteer import load_gazetteer
from bot.core.models import ArticleMeta
from bot.extract.draft import make_draft, write_draft
from bot.frontends.web.app import create_app
from bot.settings import load_settings
from tests.conftest import SUMMARIES

DRAFT_ID = "2022-09-16-test-izium"
HOSTILE = "<script>alert('x')</script> @everyone <@123> <img src=x onerror=alert(1)>"
DRAFT_TEXT = (
    f"Ukraine says it recaptured Izium {HOSTILE}\n\n"
    "Ukrainian forces recaptured Izium on Thursday, the defence ministry said.\n\n"
    "“We will liberate every village in Kherson,” President Volodymyr Zelensky told reporters on Friday.\n\n"
    "Kremlin spokesman Dmitry Peskov said Russia still controls the city of Izium.\n\n"
    f"A resident wrote {HOSTILE} on a wall, local media said.\n"
)
HOSTILE_URL = 'https://example.org/izium?q="><script>alert(1)</script>'
DRAFT_META = ArticleMeta(DRAFT_ID, f"Izium retaken {HOSTILE}", "Test Wire", dt.date(2022, 9, 16), HOSTILE_URL)
EDITOR, PASSWORD = "anna", "correct horse battery staple"
NOW = dt.datetime(2022, 12, 10, 9, 0, tzinfo=dt.UTC)


def make_context(tmp_path: Path, **settings: object) -> Context:
    folder = tmp_path / "summaries"
    if not folder.exists():
        shutil.copytree(SUMMARIES, folder)
        check = default_context(folder)
        outcome = write_draft(make_draft(DRAFT_META, DRAFT_TEXT, check.speakers, load_gazetteer()), folder, check)
        assert outcome.written, outcome.reason
    config = load_settings(db_path=tmp_path / "web.db", summaries_dir=folder, **settings)
    ctx = open_context(config, clock=lambda: NOW)
    if not ctx.store.one("SELECT 1 FROM editors WHERE name = ?", [EDITOR]):
        add_editor(ctx.store, EDITOR, PASSWORD, NOW)
    return ctx


@pytest.fixture
def web_ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Context]:
    monkeypatch.chdir(tmp_path)
    ctx = make_context(tmp_path)
    yield ctx
    ctx.close()


@pytest.fixture
def client(web_ctx: Context) -> Iterator[TestClient]:
    with TestClient(create_app(web_ctx), base_url="http://127.0.0.1:8080") as test_client:
        yield test_client


def sign_in(client: TestClient, name: str = EDITOR, password: str = PASSWORD, next_path: str = "/") -> object:
    page = client.get("/signin")
    assert page.status_code == 200
    token = client.cookies.get("briefbot_signin")
    return client.post(
        "/signin",
        data={"name": name, "password": password, "csrf": token, "next": next_path},
        follow_redirects=False,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def csrf_of(html: str) -> str:
    marker = 'name="csrf" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]
