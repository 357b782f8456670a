"""Fixtures for ingestion tests: an aiohttp server on 127.0.0.1 serving the real saved pages and
feeds of shared/data/articles plus hostile documents, and settings pointing at a temp store.

The server runs in its own thread and event loop so that synchronous tests (the CLI) and
asynchronous tests use it alike. Slow responses wait on an event that is never set: the
client's short timeout ends them, the tests themselves never sleep.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

from bot.core.db import Store
from bot.settings import Settings

ARTICLES = Path("/work/shared/data/articles")
HTML_DIR = ARTICLES / "html"
GROUND_TRUTH = json.loads((HTML_DIR / "ground-truth.json").read_text("utf-8"))
BBC_FEED = ARTICLES / "feeds" / "17_feed_bbc_2024-08-08.rss.xml"
NYT_FEED = ARTICLES / "feeds" / "19_feed_nytimes_2024-08-08.rss.xml"
SEED = Path("/work/shared/seed/newsweek-2022-12-08-kremlin-territory.txt")

# Pages used by name in the tests (ids are sha256 of their URL; see the folder's README).
GUARDIAN_HK = "5fa3154ec031"
HILL_OMAR = "6ebac05f637e"
CNBC_EMIRATES = "374ac9a59a85"
CBS_SPORTS = "08f793762792"
LATIMES = "8634d1211c3f"


def page_id(prefix: str) -> str:
    return next(k for k in GROUND_TRUTH if k.startswith(prefix))


def page_html(prefix: str) -> str:
    return (HTML_DIR / f"{page_id(prefix)}.html").read_text("utf-8")


WIRE_BODY = [
    "KYIV (Reuters) - Ukraine said on Tuesday its forces had pushed Russian troops back from several "
    "villages near the northeastern city of Kharkiv, in the most significant advance in weeks.",
    "The general staff said the villages of Tsyrkuny, Peremoha and Cherkaski Tyshky had been retaken "
    "after heavy fighting, and that Russian forces were shelling the area from across the border.",
    "Kremlin spokesman Dmitry Peskov declined to comment on the reports, saying only that the "
    "special military operation was proceeding according to plan.",
    "Regional governor Oleh Synehubov said two civilians had been killed and eleven wounded by "
    "shelling overnight, and that power had been cut in parts of the city.",
    "Reuters could not independently verify the battlefield reports. Moscow denies targeting "
    "civilians in what it calls a special operation to demilitarise its neighbour.",
]


def wire_page(
    site: str, extra_lead: str = "", title: str = "Ukraine says forces push Russians back near Kharkiv"
) -> str:
    body = "".join(f"<p>{p}</p>" for p in WIRE_BODY)
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{title} | {site}</title>
<meta property="og:site_name" content="{site}">
<meta property="og:title" content="{title}">
<meta name="author" content="Pavel Polityuk">
<meta property="article:published_time" content="2022-05-10T09:12:00Z">
<link rel="canonical" href="https://{site.lower().replace(" ", "")}.example/world/kharkiv-advance">
</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/business">Business</a></nav>
<article><h1>{title}</h1>
<p class="byline">By Pavel Polityuk</p>
{f"<p>{extra_lead}</p>" if extra_lead else ""}{body}
<figure><img src="x.jpg">
<figcaption>A Ukrainian soldier near Kharkiv, May 9, 2022. REUTERS/Stringer</figcaption></figure>
</article>
<aside><h3>Related Articles</h3><ul><li><a href="/a">Markets slide as oil jumps</a></li></ul></aside>
<footer>© 2022 {site}. All rights reserved. <a href="/privacy">Privacy</a></footer>
</body></html>"""


def gzip_bomb(size: int, layers: int = 1) -> bytes:
    """`size` bytes of a page gzip-compressed `layers` times, without holding the page in memory."""
    deflate = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: a gzip container
    block = b"A" * 1_000_000
    out = [deflate.compress(b"<html><body><p>")]
    out += [deflate.compress(block) for _ in range(size // len(block))]
    out.append(deflate.compress(b"</p></body></html>") + deflate.flush())
    body = b"".join(out)
    for _ in range(layers - 1):
        body = gzip.compress(body, 9)
    return body


@dataclass
class Hits:
    counts: dict[str, int] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def hit(self, request: web.Request) -> None:
        self.counts[request.path] = self.counts.get(request.path, 0) + 1
        self.headers[request.path] = dict(request.headers)


def _feed_with_local_links(feed: Path, base: str, page_prefixes: list[str]) -> bytes:
    """The real BBC feed with each item linking to one of our served pages (or a 404 one)."""
    text = feed.read_text("utf-8")
    counter = iter(range(10_000))

    def relink(m: re.Match[str]) -> str:
        i = next(counter)
        target = f"{base}/html/{page_id(page_prefixes[i])}.html" if i < len(page_prefixes) else f"{base}/gone/{i}"
        return f"<link>{target}</link>"

    def relink_item(m: re.Match[str]) -> str:
        return re.sub(r"<link>[^<]*</link>", relink, m.group(0))

    return re.sub(r"<item>.*?</item>", relink_item, text, flags=re.S).encode("utf-8")


class LocalServer:
    """The aiohttp app: real pages under /html/, hostile documents under their own paths."""

    def __init__(self) -> None:
        self.hits = Hits()
        self.base = ""
        self.never = None  # asyncio.Event created in the server loop
        self.feed_pages = [GUARDIAN_HK, HILL_OMAR, CNBC_EMIRATES]
        self.pages: dict[str, str] = {}  # /page/{name}: pages a test writes and changes

    def app(self) -> web.Application:
        app = web.Application()
        r = app.router
        r.add_get("/html/{name}", self.html)
        r.add_get("/wire/{site}", self.wire)
        r.add_get("/page/{name}", self.page)
        r.add_get("/undated", self.undated)
        r.add_get("/feed/bbc.xml", self.bbc_feed)
        r.add_get("/feed/conditional.xml", self.conditional_feed)
        r.add_get("/feed/broken.xml", self.broken_feed)
        r.add_get("/feed/flaky.xml", self.flaky)
        r.add_get("/redirect/loop-a", self.redirect_to("/redirect/loop-b"))
        r.add_get("/redirect/loop-b", self.redirect_to("/redirect/loop-a"))
        r.add_get("/redirect/chain/{n}", self.chain)
        r.add_get("/redirect/to-page", self.redirect_to(f"/html/{page_id(CBS_SPORTS)}.html?utm_source=x"))
        r.add_get("/redirect/intranet", self.redirect_to("http://intranet.example/admin"))
        r.add_get("/slow", self.slow)
        r.add_get("/huge", self.huge)
        r.add_get("/huge-stream", self.huge_stream)
        r.add_get("/image.png", self.image)
        r.add_get("/empty", self.empty)
        r.add_get("/nav-only", self.nav_only)
        r.add_get("/latin1", self.latin1)
        r.add_get("/latin1-undeclared", self.latin1_undeclared)
        r.add_get("/server-error", self.server_error)
        r.add_get("/text/seed.txt", self.seed)
        # hostile: decompression bombs, stacked and unknown encodings, a byte a second, bad redirects
        r.add_get("/bomb/gzip", self.bomb(1))
        r.add_get("/bomb/gzip-gzip", self.bomb(2))
        r.add_get("/bomb/brotli", self.brotli)
        r.add_get("/gzipped-page", self.gzipped_page)
        r.add_get("/slowloris", self.slowloris)
        r.add_get("/redirect/bad-port", self.raw_redirect("http://127.0.0.1:99999/x"))
        r.add_get("/redirect/ftp", self.redirect_to("ftp://127.0.0.1/x"))
        r.add_get("/redirect/broken-ipv6", self.raw_redirect("http://[::1/x"))
        r.add_get("/feed/poisoned.xml", self.poisoned_feed)
        return app

    def bomb(self, layers: int):  # type: ignore[no-untyped-def]
        """A page that inflates to 100 MB (about a hundred kilobytes on the wire; a second layer of
        gzip makes it a few hundred bytes), made once, on first request, off the server's loop."""
        made: list[bytes] = []
        encoding = ", ".join(["gzip"] * layers)

        async def handler(request: web.Request) -> web.StreamResponse:
            self.hits.hit(request)
            if not made:
                made.append(await asyncio.to_thread(gzip_bomb, 100_000_000, layers))
            return web.Response(body=made[0], headers={"Content-Type": "text/html", "Content-Encoding": encoding})

        return handler

    async def brotli(self, request: web.Request) -> web.StreamResponse:
        self.hits.hit(request)
        return web.Response(body=b"\x1b\x00", headers={"Content-Type": "text/html", "Content-Encoding": "br"})

    async def gzipped_page(self, request: web.Request) -> web.StreamResponse:
        self.hits.hit(request)
        page = wire_page("Gzip Gazette").encode()
        return web.Response(body=gzip.compress(page), headers={"Content-Type": "text/html", "Content-Encoding": "gzip"})

    async def slowloris(self, request: web.Request) -> web.StreamResponse:
        """A byte at a time, each well inside a read timeout: only a deadline on the whole ends it."""
        self.hits.hit(request)
        resp = web.StreamResponse(headers={"Content-Type": "text/html"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for byte in wire_page("Slow Times").encode():
            await resp.write(bytes([byte]))
            await asyncio.sleep(0.05)  # the server's pace, not a test waiting
        await resp.write_eof()
        return resp

    def raw_redirect(self, location: str):  # type: ignore[no-untyped-def]
        async def handler(request: web.Request) -> web.StreamResponse:
            self.hits.hit(request)
            return web.Response(status=302, headers={"Location": location})

        return handler

    async def poisoned_feed(self, request: web.Request) -> web.StreamResponse:
        """A feed whose entries are one good page among bad links of every kind."""
        self.hits.hit(request)
        links = [
            f"{self.base}/bomb/gzip-gzip",
            "http://[::1",
            f"{self.base}/redirect/bad-port",
            f"{self.base}/redirect/broken-ipv6",
            f"{self.base}/wire/Good%20Herald",
            f"{self.base}/slowloris",
            f"{self.base}/image.png",
        ]
        items = "".join(f"<item><title>Entry {i}</title><link>{link}</link></item>" for i, link in enumerate(links))
        body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Poisoned</title>{items}</channel></rss>'
        return web.Response(text=body, content_type="application/rss+xml")

    async def html(self, request: web.Request) -> web.StreamResponse:
        self.hits.hit(request)
        path = HTML_DIR / request.match_info["name"]
        if not path.is_file() or path.suffix != ".html":
            raise web.HTTPNotFound()
        return web.Response(body=path.read_bytes(), content_type="text/html", charset="utf-8")

    async def wire(self, request: web.Request) -> web.StreamResponse:
        self.hits.hit(request)
        site = request.match_info["site"]
        extra = "Updated with the governor's comments." if site == "Daily Courier" else ""
        return web.Response(text=wire_page(site, extra), content_type="text/html")

    async def page(self, request: web.Request) -> web.StreamResponse:
        self.hits.hit(request)
        html = self.pages.get(request.match_info["name"])
        if html is None:
            return web.Response(status=404)
        return web.Response(text=html, content_type="text/html")

    async def undated(self, request: web.Request) -> web.StreamResponse:
        self.hits.hit(request)
        page = wire_page("Undated Daily", title="Shelling reported overnight near Kharkiv")
        page = page.replace('<meta property="article:published_time" content="2022-05-10T09:12:00Z">', "")
        return web.Response(text=page, content_type="text/html")

    async def bbc_feed(self, request: web.Request) -> web.StreamResponse:
        self.hits.hit(request)
        body = _feed_with_local_links(BBC_FEED, self.base, self.feed_pages)
        return web.Response(body=body, content_type="application/rss+xml")

    async def conditional_feed(self, request: web.Request) -> web.StreamResponse:
        self.hits.hit(request)
        etag = '"v1"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        body = _feed_with_local_links(BBC_FEED, self.base, [CBS_SPORTS])
        # only the first item is served as a page; keep the feed small: first item only
        first = re.search(rb"<item>.*?</item>", body, re.S)
        assert first
        small = re.sub(rb"<item>.*</item>", first.group(0), body, flags=re.S)
        return web.Response(
            body=small,
            content_type="application/rss+xml",
            headers={"ETag": etag, "Last-Modified": "Thu, 08 Aug 2024 19:20:58 GMT"},
        )

    async def broken_feed(self, request: web.Request) -> web.StreamResponse:
        self.hits.hit(request)
        return web.Response(
            text="<rss><channel><title>Broken</title><item><title>x", content_type="application/rss+xml"
        )

    async def flaky(self, request: web.Request) -> web.StreamResponse:
        self.hits.hit(request)
        return web.Response(status=503, text="down for maintenance")

    def redirect_to(self, to: str):  # type: ignore[no-untyped-def]
        async def handler(request: web.Request) -> web.StreamResponse:
            self.hits.hit(request)
            raise web.HTTPFound(to)

        return handler

    async def chain(self, request: web.Request) -> web.StreamResponse:
        n = int(request.match_info["n"])
        if n == 0:
            return web.Response(text=wire_page("Chain Times"), content_type="text/html")
        raise web.HTTPFound(f"/redirect/chain/{n - 1}")

    async def slow(self, request: web.Request) -> web.StreamResponse:
        self.hits.hit(request)
        assert self.never is not None
        await self.never.wait()  # never set: the client's timeout ends the request
        return web.Response(text="too late")

    async def huge(self, request: web.Request) -> web.StreamResponse:
        self.hits.hit(request)
        return web.Response(
            body=b"<html><body>" + b"<p>spam</p>" * 200_000 + b"</body></html>", content_type="text/html"
        )

    async def huge_stream(self, request: web.Request) -> web.StreamResponse:
        self.hits.hit(request)
        resp = web.StreamResponse(headers={"Content-Type": "text/html"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for _ in range(100):
            await resp.write(b"<p>" + b"x" * 50_000 + b"</p>")
        await resp.write_eof()
        return resp

    async def image(self, request: web.Request) -> web.StreamResponse:
        self.hits.hit(request)
        return web.Response(body=b"\x89PNG\r\n\x1a\n" + b"\0" * 100, content_type="image/png")

    async def empty(self, request: web.Request) -> web.StreamResponse:
        self.hits.hit(request)
        return web.Response(body=b"", content_type="text/html")

    async def nav_only(self, request: web.Request) -> web.StreamResponse:
        self.hits.hit(request)
        links = "".join(f'<li><a href="/s{i}">Section {i}</a></li>' for i in range(30))
        return web.Response(text=f"<html><body><nav><ul>{links}</ul></nav></body></html>", content_type="text/html")

    def _latin1_page(self, meta: bool) -> bytes:
        head = '<meta charset="windows-1252">' if meta else ""
        text = wire_page("Le Courrier").replace("Ukraine said on Tuesday", "L'Ukraine a déclaré mardi — café")
        return text.replace('<meta charset="utf-8">', head).encode("cp1252")

    async def latin1(self, request: web.Request) -> web.StreamResponse:
        self.hits.hit(request)
        return web.Response(body=self._latin1_page(False), headers={"Content-Type": "text/html; charset=windows-1252"})

    async def latin1_undeclared(self, request: web.Request) -> web.StreamResponse:
        self.hits.hit(request)
        return web.Response(body=self._latin1_page(True), headers={"Content-Type": "text/html"})

    async def server_error(self, request: web.Request) -> web.StreamResponse:
        self.hits.hit(request)
        return web.Response(status=500, text="boom")

    async def seed(self, request: web.Request) -> web.StreamResponse:
        self.hits.hit(request)
        return web.Response(body=SEED.read_bytes(), content_type="text/plain", charset="utf-8")


@pytest.fixture(scope="session")
def server() -> Iterator[LocalServer]:
    srv = LocalServer()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    state: dict[str, object] = {}

    async def start() -> None:
        srv.never = asyncio.Event()
        runner = web.AppRunner(srv.app())
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        srv.base = f"http://127.0.0.1:{port}"
        state["runner"] = runner

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    started.wait(10)
    yield srv
    runner = state["runner"]
    loop.call_soon_threadsafe(srv.never.set)  # type: ignore[union-attr]
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)  # type: ignore[attr-defined]
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        db_path=tmp_path / "briefbot.db",
        summaries_dir=tmp_path / "summaries",
        allow_private_urls=True,
        fetch_timeout_s=5.0,
        fetch_max_bytes=2_000_000,
        fetch_concurrency=4,
    )


@pytest.fixture
def db(settings: Settings):  # type: ignore[no-untyped-def]
    database = Store(settings.db_path)
    yield database
    database.close()
