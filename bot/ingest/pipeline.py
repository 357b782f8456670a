"""The ingestion path: a source (URL, saved page, pasted text, feed) -> stored, deduplicated articles.

Owns the decisions: what kind of document a source is, which extractor reads it, where the
metadata comes from (page, feed entry, header lines, fetch time), and the dedup verdict:
- `new`: stored; linked to an existing story when a near-duplicate (another outlet's copy of a
  wire story) is found: `story_id` shared, `same_story_as` names the match;
- `duplicate`: the same address, or the same text from the same outlet: nothing new stored (the
  extra address is remembered);
- `updated`: an address we had, with changed text: the article is rewritten (unless a person has
  already curated it: curated spans point into the stored text, so that text is kept);
- `refused`: a one-line reason; nothing written for it, the other sources go on.

Each article is written in one transaction (storage.save_article); extraction can run in a
process pool so that a batch uses both cores.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import multiprocessing
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import sqlite_utils
from tqdm import tqdm

from bot.core.models import ArticleDigest, ArticleMeta, Review
from bot.ingest import storage
from bot.ingest.clean import ExtractionError
from bot.ingest.dedupe import StoryIndex, canonical_url, content_hash, minhash, signature_bytes
from bot.ingest.feeds import FeedEntry, FeedError, ParsedFeed, looks_like_feed, parse_feed
from bot.ingest.fetch import Fetcher, FetchError, FetchResult
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.ingest.documents import ReadDocument

log = logging.getLogger(__name__)

MIN_TEXT_CHARS = 40
SAME_ARTICLE_JACCARD = 0.9  # same outlet and this similar: one article, not two


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What happened to one source (or one feed entry): printed as a line or a JSON object."""

    source: str
    status: str  # new | duplicate | updated | refused
    reason: str | None = None
    id: str | None = None
    url: str | None = None
    outlet: str | None = None
    title: str | None = None
    author: str | None = None
    published: str | None = None
    language: str | None = None
    story_id: str | None = None
    same_story_as: str | None = None
    duplicate_of: str | None = None
    feed_id: int | None = None
    skeleton: str | None = None
    text: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        if self.status == "refused":
            return f"{'refused':<10}{self.source}: {self.reason}"
        what = f"{self.outlet or '?'}, {self.published or '?'}: {self.title or '?'}"
        extra = ""
        if self.same_story_as:
            extra = f" (same story as {self.same_story_as})"
        elif self.duplicate_of:
            extra = f" (of {self.duplicate_of})"
        elif self.reason:
            extra = f" ({self.reason})"
        return f"{self.status:<10}{self.id}  {what}{extra}"


class SourceError(Exception):
    """A source is refused; the message is the one-line reason."""


# --------------------------------------------------------------------------------------------


def sniff_kind(data: bytes, content_type: str = "", name: str = "") -> str:
    """'feed', 'html' or 'text' for a document, from its type, its name and its first bytes."""
    if looks_like_feed(data, content_type):
        return "feed"
    if content_type in {"text/html", "application/xhtml+xml"}:
        return "html"
    if content_type == "text/plain":
        return "text"
    head = data[:1024].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head or b"<body" in head:
        return "html"
    lower = name.lower()
    if lower.endswith((".html", ".htm", ".xhtml")):
        return "html"
    if content_type in {"application/json", "application/xml", "text/xml"}:
        raise SourceError(f"not an article or a feed ({content_type} document)")
    return "text"


# --------------------------------------------------------------------------------------------


def extraction_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes for extraction (the Ingestor can use its own process as one more lane).

    forkserver: a worker starts from a small process that imports only the extractor
    (bot.ingest.documents), not a copy of this process's memory."""
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver"))


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Ingestor:
    """Ingests sources into one store; reuse it for a batch so the story index is built once."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        settings: Settings,
        *,
        clock: Callable[[], dt.datetime] = _utcnow,
        fetcher: Fetcher | None = None,
        executor: Executor | None = None,
        inline_lanes: int = 0,
        summaries_dir: Path | None = None,
        export_skeletons: bool = True,
        progress: bool = False,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.fetcher = fetcher
        self.executor = executor
        self.inline_lanes = inline_lanes
        self._lanes: asyncio.Queue[str] | None = None
        self.summaries_dir = summaries_dir if summaries_dir is not None else settings.summaries_dir
        self.export_skeletons = export_skeletons
        self.progress = progress
        self._index: StoryIndex | None = None
        self._bar: tqdm | None = None
        self._inflight: asyncio.Semaphore | None = None

    @property
    def index(self) -> StoryIndex:
        if self._index is None:
            self._index = storage.load_story_index(self.db)
        return self._index

    # -- entry points ------------------------------------------------------------------------

    async def ingest(self, sources: Iterable[str]) -> list[IngestResult]:
        """Ingest every source; one result per article or refused source, in order."""
        sources = list(sources)
        own = self.fetcher is None
        if own:
            self.fetcher = Fetcher(self.settings)
            await self.fetcher.__aenter__()
        self._bar = tqdm(
            total=len(sources), unit="source", file=sys.stderr, disable=not self.progress or len(sources) < 2
        )
        try:
            batches = await asyncio.gather(*(self._one_source(s) for s in sources))
        finally:
            self._bar.close()
            self._bar = None
            if own and self.fetcher is not None:
                await self.fetcher.__aexit__(None, None, None)
                self.fetcher = None
        return [r for batch in batches for r in batch]

    async def ingest_entries(
        self, feed: ParsedFeed, *, feed_id: int | None, skip_known: bool, feed_url: str | None = None
    ) -> list[IngestResult]:
        """Fetch and store a feed's entries (known addresses skipped when `skip_known`)."""
        todo: list[FeedEntry] = []
        for entry in feed.entries:
            if skip_known and storage.article_by_url(self.db, self._url_keys([entry.link])):
                continue
            todo.append(entry)
        if self._bar is not None:
            self._bar.total += len(todo)
            self._bar.refresh()
        outlet = feed.title
        batches = await asyncio.gather(
            *(self._fetch_and_store(e.link, feed_id=feed_id, entry=e, feed_outlet=outlet) for e in todo)
        )
        return [r for batch in batches for r in batch]

    # -- sources -----------------------------------------------------------------------------

    async def _one_source(self, source: str) -> list[IngestResult]:
        try:
            if source.startswith(("http://", "https://")):
                return await self._fetch_and_store(source, feed_id=None, entry=None, feed_outlet=None)
            if "://" in source or source.startswith(("file:", "data:", "javascript:")):
                scheme = source.split(":", 1)[0]
                return [IngestResult(source, "refused", f"only http and https URLs are fetched, not {scheme!r}")]
            return await self._file(source)
        except (SourceError, FetchError, FeedError, ExtractionError) as exc:
            return [IngestResult(source, "refused", str(exc))]
        except Exception as exc:  # one bad source must not stop the others
            log.exception("ingesting %s failed", source)
            return [IngestResult(source, "refused", f"internal error: {type(exc).__name__}")]
        finally:
            if self._bar is not None:
                self._bar.update(1)

    async def _file(self, source: str) -> list[IngestResult]:
        path = Path(source)
        if not path.is_file():
            raise SourceError("no such file" if not path.exists() else "not a file")
        size = path.stat().st_size
        if size > self.settings.fetch_max_bytes:
            raise SourceError(f"too large: {size} bytes, the limit is {self.settings.fetch_max_bytes}")
        data = path.read_bytes()
        if not data.strip():
            raise SourceError("empty file")
        kind = sniff_kind(data, "", path.name)
        if kind == "feed":
            parsed = parse_feed(data)
            if not parsed.entries:
                raise SourceError("the feed has no entries with a web address")
            return await self.ingest_entries(parsed, feed_id=None, skip_known=False)
        doc = await self._read(kind, data, None, None)
        fetched = FetchResult(source, source, 200, "text/html" if kind == "html" else "text/plain", None, data)
        return [self._store(source, doc, fetched, fetch_status="file", feed_id=None, entry=None, feed_outlet=None)]

    async def _fetch_and_store(
        self, url: str, *, feed_id: int | None, entry: FeedEntry | None, feed_outlet: str | None
    ) -> list[IngestResult]:
        assert self.fetcher is not None
        # Bound the documents held in memory between fetch and store (a batch of 500 URLs
        # must not hold 500 pages while the extractors catch up).
        inflight = self._inflight_limit()
        await inflight.acquire()
        held = True
        try:
            fetched = await self.fetcher.fetch(url)
            kind = sniff_kind(fetched.body, fetched.content_type, urlsplit(fetched.final_url).path)
            if kind == "feed":
                if entry is not None:
                    raise SourceError("a feed entry links to another feed; not followed")
                parsed = parse_feed(fetched.body, fetched.final_url)
                if not parsed.entries:
                    raise SourceError("the feed has no entries with a web address")
                inflight.release()  # the entries need the slots
                held = False
                return await self.ingest_entries(parsed, feed_id=feed_id, skip_known=False)
            if not fetched.body.strip():
                raise SourceError("empty document")
            doc = await self._read(kind, fetched.body, fetched.charset, fetched.final_url)
            return [
                self._store(
                    url,
                    doc,
                    fetched,
                    fetch_status=str(fetched.status),
                    feed_id=feed_id,
                    entry=entry,
                    feed_outlet=feed_outlet,
                )
            ]
        except (SourceError, FetchError, FeedError, ExtractionError) as exc:
            return [IngestResult(url, "refused", str(exc), feed_id=feed_id)]
        finally:
            if held:
                inflight.release()

    def _inflight_limit(self) -> asyncio.Semaphore:
        if self._inflight is None:
            self._inflight = asyncio.Semaphore(max(2, self.settings.fetch_concurrency * 2))
        return self._inflight

    async def _read(self, kind: str, data: bytes, charset: str | None, url: str | None) -> ReadDocument:
        """Extract in this process or in a worker, whichever lane is free.

        With a pool of N-1 workers this process is the N-th extraction lane: on a 2-core machine
        that keeps both cores busy with one extra process instead of two (each costs ~100 MB).
        Pool lanes are twice the workers so a worker always has the next page queued.
        """
        from bot.ingest.documents import read_document  # the extractor loads only where it runs

        if self.executor is None:
            return read_document(kind, data, charset, url)
        lanes = self._lane_queue()
        lane = await lanes.get()
        try:
            if lane == "inline":
                return read_document(kind, data, charset, url)
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self.executor, read_document, kind, data, charset, url)
        finally:
            lanes.put_nowait(lane)

    def _lane_queue(self) -> asyncio.Queue[str]:
        if self._lanes is None:
            self._lanes = asyncio.Queue()
            for _ in range(self.inline_lanes):
                self._lanes.put_nowait("inline")
            for _ in range(2 * max(1, getattr(self.executor, "_max_workers", 1))):
                self._lanes.put_nowait("pool")
        return self._lanes

    # -- deciding and storing ----------------------------------------------------------------

    @staticmethod
    def _url_keys(urls: Iterable[str | None]) -> list[str]:
        keys: list[str] = []
        for u in urls:
            if not u:
                continue
            try:
                keys.append(canonical_url(u))
            except ValueError:
                continue
        return list(dict.fromkeys(keys))

    def _store(
        self,
        source: str,
        doc: ReadDocument,
        fetched: FetchResult,
        *,
        fetch_status: str,
        feed_id: int | None,
        entry: FeedEntry | None,
        feed_outlet: str | None,
    ) -> IngestResult:
        """Decide new / duplicate / updated and write (synchronous: no other store interleaves)."""
        if len(doc.text) < MIN_TEXT_CHARS:
            return IngestResult(source, "refused", "no article text found", feed_id=feed_id)
        now = self.clock()
        is_web = fetched.final_url.startswith(("http://", "https://"))
        keys = self._url_keys(
            [fetched.url if is_web else None, fetched.final_url if is_web else None, doc.canonical_url]
        )
        url = keys[-1] if doc.canonical_url and keys else (keys[0] if keys else "")
        host = urlsplit(url).hostname if url else None
        publisher = doc.publisher or feed_outlet or (host.removeprefix("www.") if host else None) or "unknown"
        title = doc.title or (entry.title if entry else None) or _first_words(doc.text)
        author = doc.author or (entry.author if entry else None)
        published, date_source = doc.published, doc.date_source
        if published is None and entry is not None and entry.published is not None:
            published, date_source = entry.published, "feed"
        if published is None:
            published, date_source = now.date(), "fetched"
        text_digest = content_hash(doc.text)
        signature = minhash(doc.text)

        common = {
            "source": source,
            "url": url or None,
            "outlet": publisher,
            "title": title,
            "author": author,
            "published": published.isoformat(),
            "language": doc.language or "en",
            "feed_id": feed_id,
        }

        def duplicate(article_id: str, story_id: str | None, reason: str) -> IngestResult:
            return IngestResult(
                status="duplicate", id=article_id, duplicate_of=article_id, reason=reason, story_id=story_id, **common
            )

        existing = storage.article_by_url(self.db, keys) if keys else None
        status = "new"
        same_story: str | None = None
        if existing is not None:
            if existing["content_hash"] == text_digest:
                storage.add_alias_all(self.db, keys, existing["id"])
                return duplicate(existing["id"], existing["story_id"], "already stored")
            curated = existing["review"] not in (None, "", Review.NONE.value)
            if existing["review"] == Review.DRAFT.value:  # a machine draft no one touched is redrafted
                curated = not _replaceable(self.summaries_dir / f"{existing['id']}.yaml")
            if curated:
                return duplicate(
                    existing["id"], existing["story_id"], "changed on the site, but curated: stored text kept"
                )
            article_id, story_id, status = existing["id"], existing["story_id"] or existing["id"], "updated"
        else:
            same_text = storage.article_by_hash(self.db, text_digest)
            if same_text is not None and (same_text["publisher"] or "").casefold() == publisher.casefold():
                storage.add_alias_all(self.db, keys, same_text["id"])
                return duplicate(same_text["id"], same_text["story_id"], "same text already stored")
            article_id = storage.new_article_id(self.db, publisher, published, title)
            if same_text is not None:
                same_story = same_text["id"]
            else:
                match = self.index.best_match(signature)
                same_story = match.article_id if match else None
                if match is not None and match.jaccard >= SAME_ARTICLE_JACCARD:
                    other = storage.article_publisher(self.db, match.article_id)
                    if other is not None and other.casefold() == publisher.casefold():
                        # The same outlet's article again under another address (a reprint,
                        # a lightly edited copy): not a second source.
                        storage.add_alias_all(self.db, keys, match.article_id)
                        return duplicate(
                            match.article_id,
                            storage.story_of(self.db, match.article_id),
                            f"near-identical text (similarity {match.jaccard:.2f})",
                        )
            story_id = storage.story_of(self.db, same_story) if same_story else article_id

        stored = storage.StoredArticle(
            id=article_id,
            title=title,
            publisher=publisher,
            author=author,
            published=published,
            date_source=date_source,
            url=url or source,
            canonical_url=url or "",
            language=doc.language or "en",
            text=doc.text,
            captions=doc.captions,
            content_hash=text_digest,
            story_id=story_id,
            source=source,
            raw_document=fetched.body,
            raw_content_type=fetched.content_type,
            fetched_at=now,
            fetch_status=fetch_status,
            feed_id=feed_id,
            minhash=signature_bytes(signature),
        )
        storage.save_article(self.db, stored, keys)
        self.index.add(article_id, signature)
        skeleton = self._export_skeleton(stored)
        return IngestResult(
            status=status,
            id=article_id,
            story_id=story_id,
            same_story_as=same_story,
            skeleton=skeleton,
            text=doc.text,
            **common,
        )

    def _export_skeleton(self, article: storage.StoredArticle) -> str | None:
        """Write the digest-file skeleton (metadata, text, empty curated sections) for an editor."""
        if not self.export_skeletons or not article.url.startswith(("http://", "https://")):
            return None
        from bot.core.digest_files import write_digest_files

        digest = ArticleDigest(
            meta=ArticleMeta(
                id=article.id,
                title=article.title,
                publisher=article.publisher,
                published=article.published,
                url=article.url,
                author=article.author,
                language=article.language,
            ),
            text=article.text,
            review=Review.NONE,
            captions=article.captions,
        )
        directory = self.summaries_dir
        yaml_path = directory / f"{article.id}.yaml"
        if not _replaceable(yaml_path):
            return None  # never overwrite an editor's work
        try:
            path = write_digest_files(digest, directory)
        except OSError as exc:
            log.warning("could not write the digest skeleton for %s: %s", article.id, exc)
            return None
        self._draft(digest, directory)
        return str(path)

    def _draft(self, skeleton: ArticleDigest, directory: Path) -> None:
        """Fill the fresh skeleton with the machine draft (review: draft, labelled "automatic,
        not reviewed" wherever shown) and load it, so the bot can answer from it at once."""
        from bot.core.digest_files import DigestFileError, load_dir
        from bot.extract.draft import draft_article

        try:
            draft_article(skeleton.meta, skeleton.text, directory, skeleton.captions)
        except (DigestFileError, ValueError, OSError) as exc:  # the skeleton stays for an editor
            log.warning("no machine draft for %s: %s", skeleton.meta.id, exc)
        # Load whatever the file now holds (the draft, or the bare skeleton), so the stored
        # content always matches the stored text.
        report = load_dir(self.db, directory, only=[f"{skeleton.meta.id}.yaml"])
        for err in report.errors:
            log.warning("machine draft not loaded: %s", err)


def _replaceable(yaml_path: Path) -> bool:
    """Only a missing file, an untouched skeleton or an untouched machine draft may be rewritten:
    anything a person has started, edited or reviewed is theirs."""
    from bot.extract.draft import draft_state

    return draft_state(yaml_path) in {"missing", "skeleton", "untouched-draft"}


def _first_words(text: str, limit: int = 80) -> str:
    first = text.split("\n", 1)[0]
    return first if len(first) <= limit else first[:limit].rsplit(" ", 1)[0] + "…"
