"""Fetching pages and feeds over HTTP, safely: the only module of briefbot that opens URLs.

The rules every fetch follows (httpx over httpcore, asynchronous):
- only http and https, to hosts whose every resolved address is public (private, loopback,
  link-local, reserved, multicast and unspecified addresses refused, and IPv6 forms that carry
  such an IPv4 address: IPv4-mapped, 6to4, NAT64, Teredo), unless `allow_private_urls`;
- **the connection goes to the address that was checked**: the name is resolved once, inside the
  connection itself (`PinnedBackend`, an httpcore network backend), and the socket opened to that
  address; TLS still verifies the certificate for the name and the Host header carries it. A name
  answering a public address to a check and a private one to the connection (DNS rebinding) can
  therefore not reach the private one. The same holds on every redirect hop;
- redirects followed by hand, at most MAX_REDIRECTS, loops refused;
- a deadline per attempt and per fetch (`fetch_timeout_s`), so a server sending a byte a second
  cannot hold a fetch; a size bound (`fetch_max_bytes`) on the bytes received and on the bytes
  **after decompression**, inflated incrementally (`Inflater`); only gzip and deflate, once:
  stacked or unknown encodings are refused;
- the content type must be a page or a feed; a descriptive User-Agent; conditional GET;
- transient failures (connect errors, timeouts, 429, 5xx) retried with exponential backoff;
- every error of the HTTP stack becomes a one-line FetchError, never a traceback.

Why a network backend rather than a filtering library: httpcore's `AsyncNetworkBackend` is the
documented seam for how connections are opened, so pinning needs no patching of httpx's
resolution, keeps connection pooling and TLS as they are, and applies to every hop alike; the
maintained SSRF filters for Python wrap `requests`, not httpx.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import zlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
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
ACCEPT_ENCODING = "gzip, deflate"
NAT64 = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


class FetchError(Exception):
    """A URL could not be fetched; the message is one line meant for the person who asked."""


class RefusedURL(FetchError):
    """The URL is not allowed (scheme, private address, malformed): never retried."""


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


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, if it carries one (mapped, 6to4, NAT64, Teredo)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64 or ip in NAT64_LOCAL:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.teredo is not None:
        return ip.teredo[1]  # the client's address
    return None


def is_public(address: str) -> bool:
    """Whether a connection to `address` reaches the public internet only."""
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        inner = embedded_ipv4(ip)
        if inner is not None:
            if not is_public(str(inner)):
                return False
            return ip not in NAT64_LOCAL
    return bool(ip.is_global) and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified or ip.is_loopback)


Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolve(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Opens each connection to an address that passed the check: resolve once, check every
    address, connect to a checked one (TLS and the Host header still use the name)."""

    def __init__(
        self,
        resolve: Resolver,
        *,
        allow_private: bool,
        public: Callable[[str], bool] = is_public,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._resolve = resolve
        self._allow_private = allow_private
        self._public = public
        self._inner = inner or httpcore.AnyIOBackend()

    async def addresses(self, host: str, port: int) -> list[str]:
        """The addresses a connection to `host` may use; RefusedURL / FetchError otherwise."""
        try:
            literal = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            literal = None
        if literal is not None:
            found = [str(literal)]
        else:
            try:
                found = list(dict.fromkeys(await self._resolve(host, port)))
            except (OSError, UnicodeError) as exc:
                raise FetchError(f"cannot resolve host {host!r}") from exc
            if not found:
                raise FetchError(f"cannot resolve host {host!r}")
        if not self._allow_private:
            for address in found:
                if not self._public(address):
                    raise RefusedURL(
                        f"refused: {host} resolves to a private or local address ({address});"
                        " set BRIEFBOT_ALLOW_PRIVATE_URLS=1 to allow it"
                    )
        return found

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        last: Exception | None = None
        for address in await self.addresses(host, port):
            try:
                return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout, OSError) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise RefusedURL("refused: unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def pinned_transport(backend: PinnedBackend, settings: Settings) -> httpx.AsyncHTTPTransport:
    """httpx's own transport, its connection pool opening connections through `backend`.

    httpx does not take a network backend as an argument; its pool (`_pool`) is rebuilt with the
    same settings plus the backend. tests/ingest/test_fetch.py fails if an upgrade changes this."""
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    limit = max(1, settings.fetch_concurrency)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=limit,
        max_keepalive_connections=limit,
        keepalive_expiry=5.0,
        network_backend=backend,
    )
    return transport


class Inflater:
    """The body as sent, inflated incrementally, never more than `limit` bytes in all.

    Only `identity`, `gzip` (x-gzip) and `deflate` (zlib or raw), once: a body compressed twice
    ("gzip, gzip") or with anything else is refused, since its size cannot be bounded as it
    arrives with the decoders we keep."""

    def __init__(self, encoding: str | None, limit: int) -> None:
        codings = [c.strip().lower() for c in (encoding or "").split(",") if c.strip() and c.strip() != "identity"]
        if len(codings) > 1:
            raise FetchError(f"refused: stacked content encodings ({', '.join(codings)})")
        coding = codings[0] if codings else ""
        if coding not in ("", "gzip", "x-gzip", "deflate"):
            raise FetchError(f"refused: unsupported content encoding {coding!r}")
        self.coding = coding
        self.limit = limit
        self._parts: list[bytes] = []
        self._size = 0
        self._inflate: Any = None
        if coding in ("gzip", "x-gzip"):
            self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def _take(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self.limit:
            raise FetchError(f"too large: more than {self.limit} bytes")
        self._parts.append(data)

    def feed(self, chunk: bytes) -> None:
        if not self.coding:
            self._take(chunk)
            return
        if self._inflate is None:  # deflate: a zlib stream, or (as some servers send) raw deflate
            raw = len(chunk) >= 2 and (chunk[0] & 0x0F != 8 or (chunk[0] << 8 | chunk[1]) % 31)
            self._inflate = zlib.decompressobj(-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
        data = chunk
        try:
            while data:
                room = self.limit - self._size + 1
                self._take(self._inflate.decompress(data, room))
                data = self._inflate.unconsumed_tail
                if self._inflate.eof and self._inflate.unused_data:
                    raise FetchError("refused: more than one compressed stream in the body")
        except zlib.error as exc:
            raise FetchError(f"cannot decompress the body ({self.coding}): {exc}") from None

    def body(self) -> bytes:
        if self._inflate is not None:
            try:
                self._take(self._inflate.flush(self.limit - self._size + 1))
            except zlib.error as exc:
                raise FetchError(f"cannot decompress the body ({self.coding}): {exc}") from None
        return b"".join(self._parts)


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
        public: Callable[[str], bool] = is_public,
        network: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._backoff = backoff_base_s
        self._retries = retries
        self.backend = PinnedBackend(resolver, allow_private=settings.allow_private_urls, public=public, inner=network)
        self._semaphore = asyncio.Semaphore(max(1, settings.fetch_concurrency))
        self._client: httpx.AsyncClient | None = None

    @property
    def attempt_deadline(self) -> float:
        return self.settings.fetch_timeout_s

    @property
    def total_deadline(self) -> float:
        """Every attempt at its own deadline, and the waits between them."""
        backoff = sum(self._backoff * (2**n) for n in range(self._retries))
        return (self._retries + 1) * self.attempt_deadline + backoff + 1.0

    async def __aenter__(self) -> Fetcher:
        self._client = httpx.AsyncClient(
            transport=pinned_transport(self.backend, self.settings),
            timeout=httpx.Timeout(self.settings.fetch_timeout_s),
            follow_redirects=False,
            headers={
                "User-Agent": self.settings.user_agent,
                "Accept": ACCEPT_HEADER,
                "Accept-Encoding": ACCEPT_ENCODING,
            },
            trust_env=False,  # never route through a proxy named in the environment
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def check_url(self, url: str) -> None:
        """Refuse a URL that is not http(s) or whose host resolves to a non-public address."""
        host, port = _host_port(url)
        await self.backend.addresses(host, port)

    async def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """GET `url` under every rule above; raises FetchError with a one-line reason."""
        _host_port(url)  # malformed URLs and other schemes are refused before anything else
        async with self._semaphore:
            try:
                async with asyncio.timeout(self.total_deadline):
                    return await self._with_retries(url, etag, last_modified)
            except TimeoutError:
                raise FetchError(f"gave up after {self.total_deadline:g} s") from None

    async def _with_retries(self, url: str, etag: str | None, last_modified: str | None) -> FetchResult:
        attempt = 0
        while True:
            try:
                async with asyncio.timeout(self.attempt_deadline):
                    return await self._fetch_once(url, etag, last_modified)
            except (_Transient, TimeoutError) as exc:
                reason = str(exc) if isinstance(exc, _Transient) else f"timed out after {self.attempt_deadline:g} s"
                if attempt >= self._retries:
                    raise FetchError(reason) from exc
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
            _host_port(current)
            try:
                async with self._client.stream("GET", current, headers=headers) as response:
                    if response.status_code in REDIRECT_CODES:
                        current = self._next_hop(current, response, seen)
                        continue
                    return await self._read(url, current, response)
            except (FetchError, _Transient):
                raise
            except httpx.TimeoutException as exc:
                raise _Transient(f"timed out after {self.settings.fetch_timeout_s:g} s") from exc
            except httpx.RemoteProtocolError as exc:  # the server broke HTTP: retrying will not mend it
                if "location" in str(exc).lower():
                    raise RefusedURL("refused: malformed redirect location") from exc
                raise FetchError(f"the server broke the HTTP protocol: {str(exc)[:80]}") from exc
            except httpx.TransportError as exc:
                raise _Transient(f"cannot connect: {type(exc).__name__}") from exc
            except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:  # decoding, protocol, URL
                raise FetchError(
                    f"cannot fetch {urlsplit(current).hostname or current[:60]}: {type(exc).__name__}"
                ) from exc
            except Exception as exc:  # e.g. an ExceptionGroup from the connection stack
                raise FetchError(f"cannot fetch {current[:80]}: {type(exc).__name__}") from exc
        raise FetchError(f"more than {MAX_REDIRECTS} redirects")

    @staticmethod
    def _next_hop(current: str, response: httpx.Response, seen: set[str]) -> str:
        location = response.headers.get("location")
        if not location:
            raise FetchError(f"HTTP {response.status_code} redirect without a Location")
        try:
            nxt = urljoin(current, location)
        except ValueError as exc:
            raise RefusedURL(f"refused: malformed redirect to {location[:80]!r}") from exc
        _host_port(nxt)
        if nxt in seen:
            raise FetchError(f"redirect loop at {nxt}")
        seen.add(nxt)
        return nxt

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
        inflater = Inflater(response.headers.get("content-encoding"), limit)
        received = 0
        async for chunk in response.aiter_raw():  # as sent: we inflate it ourselves, bounded
            received += len(chunk)
            if received > limit:
                raise FetchError(f"too large: more than {limit} bytes")
            inflater.feed(chunk)
        return FetchResult(url, final_url, status, media, charset, inflater.body(), **validators)


def _host_port(url: str) -> tuple[str, int]:
    """The host and port of an http(s) URL; RefusedURL for anything else or a malformed one."""
    try:
        parts = urlsplit(url)
        scheme, host, port = parts.scheme, parts.hostname, parts.port
    except ValueError:
        raise RefusedURL(f"refused: malformed URL {url[:80]!r}") from None
    if scheme not in {"http", "https"}:
        raise RefusedURL(f"refused: only http and https URLs are fetched, not {scheme or 'this'!r}")
    if not host:
        raise RefusedURL("refused: the URL has no host")
    return host, port or (443 if scheme == "https" else 80)


class _Transient(Exception):
    """A failure worth retrying (timeouts, connection errors, 429, 5xx)."""
