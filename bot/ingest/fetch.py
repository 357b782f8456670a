"""Fetching pages and feeds over HTTP, safely: the only module of briefbot that opens URLs.

Owns the rules every fetch follows (httpx, asynchronous):
- only http and https; the host is resolved and every address checked before connecting, and
  again after every redirect: private, loopback, link-local, reserved, multicast and
  unspecified addresses are refused unless `allow_private_urls` (BRIEFBOT_ALLOW_PRIVATE_URLS=1);
- redirects followed by hand, at most MAX_REDIRECTS, loops refused;
- a timeout on every operation (`fetch_timeout_s`), a size bound (`fetch_max_bytes`) checked
  on Content-Length and again while streaming;
- the content type must be a page or a feed;
- a descriptive User-Agent (`user_agent`); conditional GET validators passed through;
- transient failures (connect errors, timeouts, 429, 5xx) retried with exponential backoff;
- at most `fetch_concurrency` fetches at once.

Why httpx: a maintained client with async streaming, fine-grained timeouts and a transport
that tests can point at 127.0.0.1; redirects are handled here so each hop is checked.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urljoin, urlsplit

import httpx

from bot.settings import Settings

MAX_REDIRECTS = 5
REDIRECT_CODES = {301, 302, 303, 307, 308}  # not 304 Not Modified
RETRIES = 2
BACKOFF_BASE_S = 0.5
ACCEPTED_TYPES = (
    "text/html",
    "application/xhtml+xml",
    "text/plain",
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
    "application/feed+json",
    "application/json",
)
ACCEPT_HEADER = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
    "application/feed+json,application/xml;q=0.9,text/plain;q=0.5"
)


class FetchError(Exception):
    """A URL could not be fetched; the message is one line meant for the person who asked."""


class RefusedURL(FetchError):
    """The URL is not allowed (scheme, private address): never retried."""


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str  # as asked
    final_url: str  # after redirects
    status: int
    content_type: str  # media type only, lower case ("" when missing)
    charset: str | None
    body: bytes
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def _media_type(header: str | None) -> tuple[str, str | None]:
    if not header:
        return "", None
    msg = Message()
    msg["content-type"] = header
    charset = msg.get_param("charset")
    return msg.get_content_type().lower(), str(charset) if isinstance(charset, str) else None


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or not ip.is_global
    )


Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolve(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class Fetcher:
    """An HTTP client with briefbot's safety rules; use `async with Fetcher(settings) as f`."""

    def __init__(
        self,
        settings: Settings,
        *,
        resolver: Resolver = system_resolve,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        backoff_base_s: float = BACKOFF_BASE_S,
        retries: int = RETRIES,
    ) -> None:
        self.settings = settings
        self._resolve = resolver
        self._sleep = sleep
        self._backoff = backoff_base_s
        self._retries = retries
        self._semaphore = asyncio.Semaphore(max(1, settings.fetch_concurrency))
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Fetcher:
        timeout = httpx.Timeout(self.settings.fetch_timeout_s)
        limits = httpx.Limits(max_connections=max(1, self.settings.fetch_concurrency))
        self._client = httpx.AsyncClient(
            timeout=timeout,
            limits=limits,
            follow_redirects=False,
            headers={"User-Agent": self.settings.user_agent, "Accept": ACCEPT_HEADER},
            trust_env=False,  # never route through a proxy named in the environment
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def check_url(self, url: str) -> None:
        """Refuse a URL that is not http(s) or whose host resolves to a non-public address."""
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"}:
            raise RefusedURL(f"refused: only http and https URLs are fetched, not {parts.scheme or 'this'!r}")
        host = parts.hostname
        if not host:
            raise RefusedURL("refused: the URL has no host")
        if self.settings.allow_private_urls:
            return
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise RefusedURL("refused: the URL has an invalid port") from exc
        try:
            addresses = await self._resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise FetchError(f"cannot resolve host {host!r}") from exc
        if not addresses:
            raise FetchError(f"cannot resolve host {host!r}")
        for address in addresses:
            if not _is_public(address):
                raise RefusedURL(
                    f"refused: {host} resolves to a private or local address ({address});"
                    " set BRIEFBOT_ALLOW_PRIVATE_URLS=1 to allow it"
                )

    async def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """GET `url` under every rule above; raises FetchError with a one-line reason."""
        async with self._semaphore:
            attempt = 0
            while True:
                try:
                    return await self._fetch_once(url, etag, last_modified)
                except _Transient as exc:
                    if attempt >= self._retries:
                        raise FetchError(str(exc)) from exc
                    await self._sleep(self._backoff * (2**attempt))
                    attempt += 1

    async def _fetch_once(self, url: str, etag: str | None, last_modified: str | None) -> FetchResult:
        assert self._client is not None, "use Fetcher as an async context manager"
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        seen = {url}
        for _hop in range(MAX_REDIRECTS + 1):
            await self.check_url(current)
            try:
                async with self._client.stream("GET", current, headers=headers) as response:
                    if response.status_code in REDIRECT_CODES:
                        location = response.headers.get("location")
                        if not location:
                            raise FetchError(f"HTTP {response.status_code} redirect without a Location")
                        nxt = urljoin(current, location)
                        if nxt in seen:
                            raise FetchError(f"redirect loop at {nxt}")
                        seen.add(nxt)
                        current = nxt
                        continue
                    return await self._read(url, current, response)
            except httpx.TimeoutException as exc:
                raise _Transient(f"timed out after {self.settings.fetch_timeout_s:g} s") from exc
            except httpx.TransportError as exc:
                raise _Transient(f"cannot connect: {type(exc).__name__}") from exc
        raise FetchError(f"more than {MAX_REDIRECTS} redirects")

    async def _read(self, url: str, final_url: str, response: httpx.Response) -> FetchResult:
        status = response.status_code
        validators = {
            "etag": response.headers.get("etag"),
            "last_modified": response.headers.get("last-modified"),
        }
        if status == 304:
            return FetchResult(url, final_url, status, "", None, b"", **validators)
        if status == 429 or status >= 500:
            raise _Transient(f"HTTP {status} from {urlsplit(final_url).hostname}")
        if status >= 400:
            raise FetchError(f"HTTP {status} from {urlsplit(final_url).hostname}")
        media, charset = _media_type(response.headers.get("content-type"))
        if media and media not in ACCEPTED_TYPES:
            raise FetchError(f"not a page or a feed (content type {media})")
        limit = self.settings.fetch_max_bytes
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise FetchError(f"too large: {int(declared)} bytes, the limit is {limit}")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise FetchError(f"too large: more than {limit} bytes")
            chunks.append(chunk)
        return FetchResult(url, final_url, status, media, charset, b"".join(chunks), **validators)


class _Transient(Exception):
    """A failure worth retrying (timeouts, connection errors, 429, 5xx)."""
