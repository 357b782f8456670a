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
import dataclasses
import datetime as dt
import logging
import multiprocessing
import sys
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tqdm import tqdm

from bot.core import articles
from bot.core.articles import StoredArticle
from bot.core.db import Store
from bot.core.digest_files.seed import initialise_folder
from bot.core.models import ArticleDigest, ArticleMeta, Review
from bot.ingest import storage
from bot.ingest.clean import ExtractionError
from bot.ingest.dedupe import StoryIndex, canonical_url, content_hash, minhash, signature_bytes
from bot.ingest.feeds import FeedEntry, FeedError, ParsedFeed, looks_like_feed, parse_feed
from bot.ingest.fetch import Fetcher, FetchError, FetchResult
from bot.ingest.file_meta import FileMeta, FileMetaError, missing_message, read_sidecar
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
        store: Store,
        settings: Settings,
        *,
        clock: Callable[[], dt.datetime] = _utcnow,
        fetcher: Fetcher | None = None,
        executor: Executor | None = None,
        inline_lanes: int = 0,
        summaries_dir: Path | None = None,
        export_skeletons: bool = True,
        progress: bool = False,
        file_meta: FileMeta | None = None,
    ) -> None:
        self.store = store
        self.file_meta = file_meta or FileMeta()  # command-line metadata for local files
        # Drafting (CPU-heavy, and it appends to the speaker registry file) runs on one thread of its
        # own: never on the event loop, and never two drafts at once.
        self._drafter: ThreadPoolExecutor | None = None
        self.settings = settings
        self.clock = clock
        self.fetcher = fetcher
        self.executor = executor
        self.inline_lanes = inline_lanes
        self._lanes: asyncio.Queue[str] | None = None
        self.summaries_dir = summaries_dir if summaries_dir is not None else settings.summaries_dir
        self.export_skeletons = export_skeletons
        if export_skeletons:  # a folder made here for the first time starts from the seed, as everywhere
            initialise_folder(self.summaries_dir)
        self.progress = progress
        self._index: StoryIndex | None = None
        self._bar: tqdm | None = None
        self._inflight: asyncio.Semaphore | None = None

    @property
    def index(self) -> StoryIndex:
        if self._index is None:
            self._index = storage.load_story_index(self.store)
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
            batches = await asyncio.gather(*self._sources_once(sources))
        finally:
            await asyncio.get_running_loop().run_in_executor(None, self.close)
            self._bar.close()
            self._bar = None
            if own and self.fetcher is not None:
                await self.fetcher.__aexit__(None, None, None)
                self.fetcher = None
        return [r for batch in batches for r in batch]

    def _sources_once(self, sources: list[str]) -> list[Awaitable[list[IngestResult]]]:
        """One task per source; an address given twice is fetched once, and its later mentions
        are reported as duplicates of the first (whatever order the fetches end in)."""
        first: dict[str, asyncio.Future[list[IngestResult]]] = {}
        tasks: list[Awaitable[list[IngestResult]]] = []
        for source in sources:
            keys = self._url_keys([source]) if source.startswith(("http://", "https://")) else []
            if keys and keys[0] in first:
                tasks.append(self._again(source, first[keys[0]]))
                continue
            task = asyncio.ensure_future(self._one_source(source))
            if keys:
                first[keys[0]] = task
            tasks.append(task)
        return tasks

    async def _again(self, source: str, earlier: asyncio.Future[list[IngestResult]]) -> list[IngestResult]:
        results = await asyncio.shield(earlier)
        if self._bar is not None:
            self._bar.update(1)
        return [
            dataclasses.replace(
                r, source=source, status="duplicate", duplicate_of=r.id, reason="given twice", text=None
            )
            if r.status != "refused"
            else dataclasses.replace(r, source=source)
            for r in results
        ]

    async def ingest_entries(
        self, feed: ParsedFeed, *, feed_id: int | None, skip_known: bool, feed_url: str | None = None
    ) -> list[IngestResult]:
        """Fetch and store a feed's entries (known addresses skipped when `skip_known`)."""
        todo: list[FeedEntry] = []
        for entry in feed.entries:
            if skip_known and storage.article_by_url(self.store, self._url_keys([entry.link])):
                continue
            todo.append(entry)
        if self._bar is not None:
            self._bar.total += len(todo)
            self._bar.refresh()
        outlet = feed.title
        batches = await asyncio.gather(*(self._entry(e, feed_id=feed_id, feed_outlet=outlet) for e in todo))
        return [r for batch in batches for r in batch]

    # -- sources -----------------------------------------------------------------------------

    async def _entry(self, entry: FeedEntry, *, feed_id: int | None, feed_outlet: str | None) -> list[IngestResult]:
        """One feed entry, in its own error boundary: whatever it raises, its siblings go on."""
        try:
            return await self._fetch_and_store(entry.link, feed_id=feed_id, entry=entry, feed_outlet=feed_outlet)
        except Exception as exc:
            log.exception("ingesting the feed entry %s failed", entry.link[:200])
            return [IngestResult(entry.link, "refused", f"internal error: {type(exc).__name__}", feed_id=feed_id)]

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
        doc = self._with_file_meta(source, await self._read(kind, data, None, None))
        fetched = FetchResult(source, source, 200, "text/html" if kind == "html" else "text/plain", None, data)
        return [await self._save(source, doc, fetched, fetch_status="file", feed_id=None, entry=None, feed_outlet=None)]

    def _with_file_meta(self, source: str, doc: ReadDocument) -> ReadDocument:
        """A local file's metadata: options, then its `.json` sidecar, then what it declares;
        refused without a publication date or a web address (bot/ingest/file_meta.py says why)."""
        path = Path(source)
        try:
            sidecar = read_sidecar(path) if path.suffix.lower() != ".json" else FileMeta()
        except FileMetaError as exc:
            raise SourceError(str(exc)) from None
        declared = FileMeta(doc.title, doc.publisher, doc.published, doc.canonical_url, doc.author)
        meta = self.file_meta.over(sidecar.over(declared))
        problem = missing_message(source, meta)
        if problem:
            raise SourceError(problem)
        given = doc.published != meta.published
        return dataclasses.replace(
            doc,
            title=meta.title,
            publisher=meta.publisher,
            published=meta.published,
            canonical_url=meta.url,
            author=meta.author,
            date_source="given" if given else doc.date_source,
        )

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
                await self._save(
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

        if self.executor is None:  # a thread: extraction is CPU work, never done on the event loop
            return await asyncio.to_thread(read_document, kind, data, charset, url)
        lanes = self._lane_queue()
        lane = await lanes.get()
        try:
            if lane == "inline":
                return await asyncio.to_thread(read_document, kind, data, charset, url)
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

    async def _save(
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
        """Decide and write on the store's writer thread (decisions never interleave), then draft
        a new article on the drafting thread: the event loop does neither."""
        result, stored = await self.store.run_write(
            self._store, source, doc, fetched, fetch_status, feed_id, entry, feed_outlet
        )
        if stored is not None and self.export_skeletons:
            loop = asyncio.get_running_loop()
            skeleton = await loop.run_in_executor(self._drafting_thread(), self._export_skeleton, stored)
            result = dataclasses.replace(result, skeleton=skeleton)
        return result

    def _drafting_thread(self) -> ThreadPoolExecutor:
        if self._drafter is None:
            self._drafter = ThreadPoolExecutor(1, thread_name_prefix="drafter")
        return self._drafter

    def close(self) -> None:
        if self._drafter is not None:
            self._drafter.shutdown(wait=True)
            self._drafter = None

    def _metadata(
        self, source: str, doc: ReadDocument, fetched: FetchResult, entry: FeedEntry | None, feed_outlet: str | None
    ) -> _Metadata:
        """Where the article's address, outlet, title, author and date come from, in order of trust."""
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
            published, date_source = self.clock().date(), "fetched"
        return _Metadata(keys, url, publisher, title, author, published, date_source)

    def _store(
        self,
        source: str,
        doc: ReadDocument,
        fetched: FetchResult,
        fetch_status: str,
        feed_id: int | None,
        entry: FeedEntry | None,
        feed_outlet: str | None,
    ) -> tuple[IngestResult, StoredArticle | None]:
        """Decide new / duplicate / updated and write; runs on the store's writer thread."""
        if len(doc.text) < MIN_TEXT_CHARS:
            return IngestResult(source, "refused", "no article text found", feed_id=feed_id), None
        meta = self._metadata(source, doc, fetched, entry, feed_outlet)
        text_digest = content_hash(doc.text)
        signature = minhash(doc.text)

        def result(status: str, **extra: Any) -> IngestResult:
            return IngestResult(
                source=source,
                status=status,
                url=meta.url or None,
                outlet=meta.publisher,
                title=meta.title,
                author=meta.author,
                published=meta.published.isoformat(),
                language=doc.language or "en",
                feed_id=feed_id,
                **extra,
            )

        verdict = self._decide(meta, doc.text, text_digest, signature)
        if verdict.status in ("duplicate", "kept"):  # nothing new stored (kept: curated, its text stays)
            assert verdict.duplicate_of is not None
            if verdict.status == "duplicate":
                articles.add_aliases(self.store, meta.keys, verdict.duplicate_of)
            duplicate = result(
                "duplicate",
                id=verdict.duplicate_of,
                duplicate_of=verdict.duplicate_of,
                reason=verdict.reason,
                story_id=verdict.story_id,
            )
            return duplicate, None
        assert verdict.article_id is not None and verdict.story_id is not None
        stored = StoredArticle(
            id=verdict.article_id,
            title=meta.title,
            publisher=meta.publisher,
            author=meta.author,
            published=meta.published,
            date_source=meta.date_source,
            url=meta.url or source,
            canonical_url=meta.url or "",
            language=doc.language or "en",
            text=doc.text,
            captions=doc.captions,
            content_hash=text_digest,
            story_id=verdict.story_id,
            source=source,
            raw_document=fetched.body,
            raw_content_type=fetched.content_type,
            fetched_at=self.clock(),
            fetch_status=fetch_status,
            feed_id=feed_id,
            minhash=signature_bytes(signature),
        )
        articles.save_ingested(self.store, stored, meta.keys)
        self.index.add(verdict.article_id, signature)
        stored_result = result(
            verdict.status,
            id=verdict.article_id,
            story_id=verdict.story_id,
            same_story_as=verdict.same_story,
            text=doc.text,
        )
        return stored_result, stored

    def _decide(self, meta: _Metadata, text: str, text_digest: str, signature: Any) -> _Verdict:
        """The dedup verdict: a known address, the same text, the same outlet's near-identical
        copy, or a new article (sharing a story with another outlet's copy when one is found)."""
        existing = storage.article_by_url(self.store, meta.keys) if meta.keys else None
        if existing is not None:
            if existing["content_hash"] == text_digest:
                return _Verdict(
                    "duplicate", duplicate_of=existing["id"], story_id=existing["story_id"], reason="already stored"
                )
            curated = existing["review"] not in (None, "", Review.NONE.value)
            if existing["review"] == Review.DRAFT.value:  # a machine draft no one touched is redrafted
                curated = not _replaceable(self.summaries_dir / f"{existing['id']}.yaml", text)
            if curated:
                return _Verdict(
                    "kept",
                    duplicate_of=existing["id"],
                    story_id=existing["story_id"],
                    reason="changed on the site, but curated: stored text kept",
                )
            return _Verdict("updated", article_id=existing["id"], story_id=existing["story_id"] or existing["id"])
        same_text = storage.article_by_hash(self.store, text_digest)
        if same_text is not None and (same_text["publisher"] or "").casefold() == meta.publisher.casefold():
            return _Verdict(
                "duplicate",
                duplicate_of=same_text["id"],
                story_id=same_text["story_id"],
                reason="same text already stored",
            )
        article_id = storage.new_article_id(self.store, meta.publisher, meta.published, meta.title)
        same_story: str | None = None
        if same_text is not None:
            same_story = same_text["id"]
        else:
            match = self.index.best_match(signature)
            same_story = match.article_id if match else None
            if match is not None and match.jaccard >= SAME_ARTICLE_JACCARD:
                other = storage.article_publisher(self.store, match.article_id)
                if other is not None and other.casefold() == meta.publisher.casefold():
                    # The same outlet's article again under another address (a reprint, a
                    # lightly edited copy): not a second source.
                    return _Verdict(
                        "duplicate",
                        duplicate_of=match.article_id,
                        story_id=storage.story_of(self.store, match.article_id),
                        reason=f"near-identical text (similarity {match.jaccard:.2f})",
                    )
        story_id = storage.story_of(self.store, same_story) if same_story else article_id
        return _Verdict("new", article_id=article_id, story_id=story_id, same_story=same_story)

    def _export_skeleton(self, article: StoredArticle) -> str | None:
        """Write the digest-file skeleton (metadata, text, empty curated sections) for an editor,
        fill it with the machine draft and load it (on the drafting thread)."""
        if not article.url.startswith(("http://", "https://")):
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
        if not _replaceable(yaml_path, article.text):
            return None  # never overwrite an editor's work
        from bot.extract.draft import draft_state

        if draft_state(yaml_path) == "reviewing":  # redrafted by merging: the decisions stay
            self._draft(digest, directory)
            return str(yaml_path)
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
            draft_article(
                skeleton.meta,
                skeleton.text,
                directory,
                skeleton.captions,
                min_confidence=self.settings.draft_min_confidence,
            )
        except (DigestFileError, ValueError, OSError) as exc:  # the skeleton stays for an editor
            log.warning("no machine draft for %s: %s", skeleton.meta.id, exc)
        # Load whatever the file now holds (the draft, or the bare skeleton), so the stored
        # content always matches the stored text.
        report = load_dir(self.store, directory, only=[f"{skeleton.meta.id}.yaml"])
        for err in report.errors:
            log.warning("machine draft not loaded: %s", err)


@dataclass(frozen=True, slots=True)
class _Metadata:
    keys: list[str]  # every address the article was reached by, canonical last
    url: str
    publisher: str
    title: str
    author: str | None
    published: dt.date
    date_source: str


@dataclass(frozen=True, slots=True)
class _Verdict:
    status: str  # new | updated | duplicate (an alias is remembered) | kept (curated, text kept)
    article_id: str | None = None
    story_id: str | None = None
    same_story: str | None = None
    duplicate_of: str | None = None
    reason: str | None = None


def _replaceable(yaml_path: Path, new_text: str | None = None) -> bool:
    """Only a missing file, an untouched skeleton or machine draft, or a draft under review whose
    decided words are all in the new text (its decisions are carried over) may be rewritten:
    anything else a person has started, edited or reviewed is theirs."""
    from bot.extract.draft import redraftable

    return redraftable(yaml_path, new_text)


def _first_words(text: str, limit: int = 80) -> str:
    first = text.split("\n", 1)[0]
    return first if len(first) <= limit else first[:limit].rsplit(" ", 1)[0] + "…"
