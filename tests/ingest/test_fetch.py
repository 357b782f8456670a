"""The fetcher's safety rules: schemes, private addresses (also after redirects), limits."""

from __future__ import annotations

import zlib

import httpcore
import httpx
import pytest

from bot.ingest.fetch import Fetcher, FetchError, Inflater, RefusedURL, is_public
from bot.settings import Settings
from tests.ingest.conftest import CBS_SPORTS, LocalServer, page_id

PUBLIC = "93.184.216.34"


def resolver_for(table: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    async def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError("name not known")
        return table[host]

    return resolve


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.10",
        "172.16.5.5",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "0.0.0.0",
        "::ffff:127.0.0.1",
        "100.64.0.1",
        "fc00::1",
    ],
)
async def test_private_addresses_refused(settings: Settings, address: str) -> None:
    strict = settings.with_(allow_private_urls=False)
    fetcher = Fetcher(strict, resolver=resolver_for({"news.example": [PUBLIC, address]}))
    with pytest.raises(RefusedURL, match="private or local address"):
        await fetcher.check_url("https://news.example/story")


async def test_public_address_allowed_and_bad_schemes_refused(settings: Settings) -> None:
    strict = settings.with_(allow_private_urls=False)
    fetcher = Fetcher(strict, resolver=resolver_for({"news.example": [PUBLIC]}))
    await fetcher.check_url("https://news.example/story")
    for url in ("file:///etc/passwd", "ftp://news.example/x", "gopher://x/", "javascript:alert(1)"):
        with pytest.raises(RefusedURL, match="only http and https"):
            await fetcher.check_url(url)
    with pytest.raises(FetchError, match="cannot resolve host"):
        await fetcher.check_url("https://unknown.example/")


async def test_redirect_to_a_private_address_is_refused(server: LocalServer, settings: Settings) -> None:
    """The loopback server counts as "public" for this test (and so does its name); the redirect
    target's name resolves into the intranet."""
    strict = settings.with_(allow_private_urls=False)
    port = int(server.base.rsplit(":", 1)[1])
    table = {"pages.example": ["127.0.0.1"], "intranet.example": ["10.0.0.7"]}
    loopback_is_public = lambda a: a == "127.0.0.1" or is_public(a)  # noqa: E731
    async with Fetcher(strict, resolver=resolver_for(table), retries=0, public=loopback_is_public) as fetcher:
        result = await fetcher.fetch(f"http://pages.example:{port}/redirect/to-page")  # within the host: fine
        assert result.final_url.endswith(f"/html/{page_id(CBS_SPORTS)}.html?utm_source=x")
        assert result.status == 200 and result.content_type == "text/html" and result.charset == "utf-8"
        assert server.hits.headers["/redirect/to-page"]["Host"] == f"pages.example:{port}"  # the name, not the IP

        # Every hop is checked: a redirect into the intranet is refused before connecting.
        with pytest.raises(RefusedURL, match=r"intranet\.example resolves to a private or local address"):
            await fetcher.fetch(f"http://pages.example:{port}/redirect/intranet")
    assert server.hits.counts["/redirect/intranet"] >= 1


class RecordingNetwork(httpcore.AsyncNetworkBackend):
    """Where connections would go: records each (address, port) and refuses to connect."""

    def __init__(self) -> None:
        self.connected: list[tuple[str, int]] = []

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):  # type: ignore[no-untyped-def]
        self.connected.append((host, port))
        raise httpcore.ConnectError("recorded, not connected")

    async def sleep(self, seconds: float) -> None:
        return None


async def test_dns_rebinding_cannot_reach_a_private_address(settings: Settings) -> None:
    """A name that answers a public address, then a private one (TTL 0): the fetch connects only to
    an address that passed the check, resolved once for the connection."""
    answers = iter([[PUBLIC], ["127.0.0.1"], ["127.0.0.1"], ["127.0.0.1"]])
    asked: list[str] = []

    async def rebinding(host: str, port: int) -> list[str]:
        asked.append(host)
        return next(answers)

    network = RecordingNetwork()
    strict = settings.with_(allow_private_urls=False)
    async with Fetcher(strict, resolver=rebinding, retries=0, network=network) as fetcher:
        with pytest.raises(FetchError, match="cannot connect"):
            await fetcher.fetch("http://rebind.example/admin")
    assert network.connected == [(PUBLIC, 80)]  # the checked address, never a second lookup's
    assert asked == ["rebind.example"]  # resolved once


async def test_the_checked_address_is_the_one_connected_to(server: LocalServer, settings: Settings) -> None:
    """With one lookup per connection, the server sees the name in Host while the socket goes to
    the address the resolver gave."""
    port = int(server.base.rsplit(":", 1)[1])
    async with Fetcher(settings, resolver=resolver_for({"news.example": ["127.0.0.1"]}), retries=0) as fetcher:
        result = await fetcher.fetch(f"http://news.example:{port}/wire/Kyiv%20Herald")
    assert result.status == 200 and b"Kyiv Herald" in result.body
    assert server.hits.headers["/wire/Kyiv Herald"]["Host"] == f"news.example:{port}"


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("2002:a00:1::", False),  # 6to4 of 10.0.0.1
        ("2002:5db8:d822::", True),  # 6to4 of 93.184.216.34
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254 (cloud metadata)
        ("::ffff:169.254.169.254", False),  # IPv4-mapped
        ("::ffff:93.184.216.34", True),
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", False),  # Teredo, client 10.0.0.1
        ("fd12:3456::1", False),  # unique local
        ("fe80::1%eth0", False),
        ("2606:2800:220:1::", True),
        ("not an address", False),
    ],
)
def test_ipv6_forms_are_judged_by_the_ipv4_address_they_carry(address: str, public: bool) -> None:
    assert is_public(address) is public


async def test_decompression_bombs_are_bounded_as_they_inflate(server: LocalServer, settings: Settings) -> None:
    async with Fetcher(settings, retries=0) as fetcher:
        with pytest.raises(FetchError, match="too large: more than 2000000 bytes"):
            await fetcher.fetch(f"{server.base}/bomb/gzip")  # ~100 KB on the wire, 100 MB inflated
        with pytest.raises(FetchError, match=r"refused: stacked content encodings \(gzip, gzip\)"):
            await fetcher.fetch(f"{server.base}/bomb/gzip-gzip")
        with pytest.raises(FetchError, match="unsupported content encoding 'br'"):
            await fetcher.fetch(f"{server.base}/bomb/brotli")
        page = await fetcher.fetch(f"{server.base}/gzipped-page")  # an ordinary gzipped page is read
    assert b"Gzip Gazette" in page.body and server.hits.headers["/gzipped-page"]["Accept-Encoding"] == "gzip, deflate"


def test_the_inflater_keeps_memory_bounded() -> None:
    bomb = zlib.compress(b"\0" * 50_000_000)
    inflater = Inflater("deflate", 1_000_000)
    with pytest.raises(FetchError, match="too large"):
        for n in range(0, len(bomb), 4096):
            inflater.feed(bomb[n : n + 4096])
    assert sum(len(p) for p in inflater._parts) <= 1_000_001
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = raw.compress(b"raw deflate, as some servers send it") + raw.flush()
    plain = Inflater("deflate", 100)
    plain.feed(body)
    assert plain.body() == b"raw deflate, as some servers send it"


async def test_a_byte_a_second_meets_the_deadline(server: LocalServer, settings: Settings) -> None:
    quick = settings.with_(fetch_timeout_s=0.3)
    async with Fetcher(quick, retries=1, backoff_base_s=0) as fetcher:
        with pytest.raises(FetchError, match=r"timed out after 0\.3 s"):
            await fetcher.fetch(f"{server.base}/slowloris")
    assert fetcher.total_deadline < 2


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/redirect/bad-port", "refused: malformed URL"),
        ("/redirect/ftp", "only http and https"),
        ("/redirect/broken-ipv6", "refused: malformed"),
    ],
)
async def test_bad_redirects_are_short_errors(server: LocalServer, settings: Settings, path: str, reason: str) -> None:
    async with Fetcher(settings, retries=0) as fetcher:
        with pytest.raises(FetchError, match=reason):
            await fetcher.fetch(f"{server.base}{path}")


@pytest.mark.parametrize("url", ["http://[::1", "http://[::1/", "https://", "http://exa mple.com:99999/"])
async def test_malformed_urls_are_refused_in_one_line(settings: Settings, url: str) -> None:
    async with Fetcher(settings, retries=0) as fetcher:
        with pytest.raises(RefusedURL):
            await fetcher.fetch(url)


def test_httpx_still_builds_the_pool_we_replace() -> None:
    """`pinned_transport` replaces httpx's private `_pool`: this fails if an upgrade renames it."""
    transport = httpx.AsyncHTTPTransport()
    assert isinstance(getattr(transport, "_pool", None), httpcore.AsyncConnectionPool)


async def test_retries_transient_errors_with_backoff(server: LocalServer, settings: Settings) -> None:
    waits: list[float] = []

    async def record_sleep(seconds: float) -> None:
        waits.append(seconds)

    before = server.hits.counts.get("/server-error", 0)
    async with Fetcher(settings, sleep=record_sleep, backoff_base_s=0.5, retries=2) as fetcher:
        with pytest.raises(FetchError, match="HTTP 500"):
            await fetcher.fetch(f"{server.base}/server-error")
    assert waits == [0.5, 1.0]
    assert server.hits.counts["/server-error"] - before == 3


async def test_client_errors_not_retried(server: LocalServer, settings: Settings) -> None:
    waits: list[float] = []

    async def record_sleep(seconds: float) -> None:
        waits.append(seconds)

    async with Fetcher(settings, sleep=record_sleep) as fetcher:
        with pytest.raises(FetchError, match="HTTP 404"):
            await fetcher.fetch(f"{server.base}/html/nothing.html")
    assert waits == []


async def test_size_limit_on_declared_and_streamed_length(server: LocalServer, settings: Settings) -> None:
    async with Fetcher(settings, retries=0) as fetcher:
        with pytest.raises(FetchError, match="too large: 2200026 bytes"):
            await fetcher.fetch(f"{server.base}/huge")
        with pytest.raises(FetchError, match="too large: more than 2000000 bytes"):
            await fetcher.fetch(f"{server.base}/huge-stream")
