"""The fetcher's safety rules: schemes, private addresses (also after redirects), limits."""

from __future__ import annotations

import pytest

from bot.ingest.fetch import Fetcher, FetchError, RefusedURL
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
    """The loopback server is "public" for this test's DNS; its redirect target is not."""
    strict = settings.with_(allow_private_urls=False)
    table = {"127.0.0.1": [PUBLIC], "intranet.example": ["10.0.0.7"]}
    async with Fetcher(strict, resolver=resolver_for(table), retries=0) as fetcher:
        fetcher_redirect = f"{server.base}/redirect/to-page"
        result = await fetcher.fetch(fetcher_redirect)  # a redirect within the "public" host is fine
        assert result.final_url.endswith(f"/html/{page_id(CBS_SPORTS)}.html?utm_source=x")
        assert result.status == 200 and result.content_type == "text/html" and result.charset == "utf-8"

        # Every hop is checked: a redirect into the intranet is refused before connecting.
        with pytest.raises(RefusedURL, match=r"intranet\.example resolves to a private or local address"):
            await fetcher.fetch(f"{server.base}/redirect/intranet")
    assert server.hits.counts["/redirect/intranet"] >= 1


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
