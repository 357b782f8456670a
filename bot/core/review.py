"""Editors' decisions on machine drafts, item by item: the one set of functions every front end uses.

The digest file stays the record a person reads and diffs: a decision is written into the item's
`review:` block (state, by, at; an edit's former values under `was:`; earlier decisions under
`history:`) with ruamel.yaml's round trip, so the editor's comments and layout stay; the result is
validated with the loader's own validator before it replaces the file, and loaded into the store
at once. Decisions on one article are taken one at a time (a file lock): when two editors act on
one item at once, the later decision stands and both are on record.

States: undecided (a machine's draft), accepted, rejected (never shown), edited (accepted with
changes to claim type, actor, asserter, speaker, region, kind or words, still verbatim). An article
is ready to be promoted (`review: reviewed`) when no item is undecided.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import datetime as dt
import io
import os
import re
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from bot.core.db import Store
from bot.core.digest_files import DigestFileError, ValidationContext, load_dir, parse_yaml, read_digest, validate
from bot.core.digest_files.write import digest_yaml
from bot.core.gazetteer import Gazetteer, load_gazetteer
from bot.core.models import (
    ArticleDigest,
    ItemState,
    PendingAnswer,
    PendingArticle,
    Review,
    ReviewAnswer,
    ReviewItem,
    SourceRef,
    Span,
)
from bot.core.schema import article_handle
from bot.core.speakers import SpeakerRegistry, load_registry

KEPT_TREES = 16  # round-trip trees of recently decided files kept in memory (`Desk._parsed`)
_TREES: collections.OrderedDict[str, tuple[str, Any]] = collections.OrderedDict()
_TREES_LOCK = threading.Lock()
PENDING_LIMIT = 50  # drafts listed by `briefbot review` and /review, newest first
SECTIONS = {"k": "key_points", "q": "quotes", "c": "claims", "x": "contradictions"}
KIND_OF = {"key_points": "key point", "quotes": "statement", "claims": "claim", "contradictions": "contradiction"}
# What an edit may change, per section: the digest-file field of each option.
EDITABLE: dict[str, tuple[str, ...]] = {
    "claims": ("claim", "actor", "asserted_by", "region", "evidence"),
    "quotes": ("speaker", "kind", "words", "mention", "cue"),
    "key_points": ("evidence",),
    "contradictions": ("why", "a", "b"),
}
VERBATIM = frozenset({"words", "evidence", "a", "b", "mention"})
HASH_LINE = re.compile(r"^# drafter-sha256: [0-9a-f]{64}\n", re.MULTILINE)
DRAFT_NOTE = re.compile(r"^# review: draft = .*\n", re.MULTILINE)


class ReviewError(ValueError):
    """A decision that cannot be taken; the message says why in one line."""


@dataclass(frozen=True, slots=True)
class Sheet:
    """One article under review: its digest and where each item stands."""

    digest: ArticleDigest
    path: Path

    def items(self) -> list[tuple[str, str, Any]]:
        return digest_items(self.digest)

    def counts(self) -> dict[ItemState, int]:
        return state_counts(item for _id, _section, item in self.items())

    @property
    def undecided(self) -> list[str]:
        return [item_id for item_id, _s, item in self.items() if item.review.state == ItemState.UNDECIDED]


def digest_items(digest: ArticleDigest) -> list[tuple[str, str, Any]]:
    """(item id, section, item) in file order: key points, statements, claims, contradictions."""
    out: list[tuple[str, str, Any]] = []
    for section, items in (
        ("key_points", digest.key_points),
        ("quotes", digest.quotes),
        ("claims", digest.claims),
        ("contradictions", digest.contradictions),
    ):
        out += [(item.id, section, item) for item in items]
    return out


def state_counts(items: Iterable[Any]) -> dict[ItemState, int]:
    """How many of the items stand in each review state (every state listed)."""
    counts = dict.fromkeys(ItemState, 0)
    for item in items:
        counts[item.review.state] += 1
    return counts


def evidence_of(item: Any) -> tuple[Span, ...]:
    """The verbatim spans an item stands on."""
    for name in ("words", "evidence"):
        span = getattr(item, name, None)
        if isinstance(span, Span):
            return (span,)
    return (item.a, item.b)


def paragraph_of(text: str, span: Span) -> str:
    """The paragraph (line) of the article holding a span: the context an editor judges it in."""
    start = text.rfind("\n", 0, span.start) + 1
    end = text.find("\n", span.end)
    return text[start : end if end >= 0 else len(text)]


@dataclass
class Desk:
    """Decisions on the digest files of one folder, loaded into one store."""

    store: Store
    folder: Path
    speakers: SpeakerRegistry | None = None
    _yaml: YAML = field(default_factory=digest_yaml)
    _tree_is_file: bool = False  # the last write's text is the tree's own dump (it may be kept)

    def path(self, article_id: str) -> Path:
        if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,120}", article_id):
            raise ReviewError(f"no article {article_id[:60]!r}")
        path = self.folder / f"{article_id}.yaml"
        if not path.is_file():
            raise ReviewError(f"no digest file for {article_id!r} in {self.folder}")
        return path

    def context(self) -> ValidationContext:
        from bot.core.digest_files.load import registry_for

        registry, _ = registry_for(self.store, self.folder)
        return ValidationContext(load_gazetteer(), registry)

    def sheet(self, article_id: str) -> Sheet:
        path = self.path(article_id)
        try:
            return Sheet(read_digest(path, self.context()), path)
        except DigestFileError as exc:
            raise ReviewError(str(exc)) from None

    def pending(self, limit: int = PENDING_LIMIT) -> list[PendingArticle]:
        """Articles with undecided items, newest first, with counts per state: from the store
        alone (no file is read), so the list costs the same with ten drafts or ten thousand."""
        rows = self.store.rows(
            "SELECT id, title, publisher, published, url, review FROM articles"
            " WHERE pending > 0 AND digest_file IS NOT NULL ORDER BY published DESC, id LIMIT ?",
            [limit],
        )
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        marks = ", ".join("?" * len(ids))
        counts: dict[str, dict[ItemState, int]] = {i: dict.fromkeys(ItemState, 0) for i in ids}
        for table in ("key_points", "quotes", "region_claims", "contradictions"):
            for row in self.store.rows(
                f"SELECT article_id, state, count(*) AS n FROM {table} WHERE article_id IN ({marks})"
                " GROUP BY article_id, state",
                ids,
            ):
                counts[row["article_id"]][ItemState(row["state"])] += row["n"]
        return [
            PendingArticle(
                SourceRef(
                    r["id"],
                    r["publisher"],
                    r["title"],
                    dt.date.fromisoformat(r["published"]),
                    r["url"] or "",
                    Review(r["review"]),
                ),
                tuple(counts[r["id"]].items()),
            )
            for r in rows
        ]

    # ------------------------------------------------------------------ decisions

    def decide(
        self,
        article_id: str,
        item_ids: Iterable[str] | None,
        state: ItemState,
        *,
        by: str,
        at: dt.datetime,
        changes: Mapping[str, str] | None = None,
    ) -> Sheet:
        """Accept, reject or edit items (`item_ids` None: every undecided item), recorded with who
        and when; the file is rewritten, validated and loaded. Raises ReviewError."""
        if state == ItemState.UNDECIDED:
            raise ReviewError("a decision is accept, reject or edit")
        by = " ".join(by.split())[:200]
        if not by:
            raise ReviewError("a decision needs the name of who takes it")
        with self._lock(article_id):
            path = self.path(article_id)
            context = self.context()
            with self._parsed(path) as data:
                targets = self._targets(data, article_id, item_ids)
                for section, index, item_id in targets:
                    item = data[section][index]
                    if changes:
                        self._edit(item, section, item_id, changes, context)
                        state_now = ItemState.EDITED
                    else:
                        state_now = state
                    _record(item, state_now, by, at, default=_file_default(data))
                return self._write(path, data, context)

    def promote(self, article_id: str, *, by: str, at: dt.datetime) -> Sheet:
        """Mark the article reviewed; refused while any item is undecided (they are named)."""
        with self._lock(article_id):
            path = self.path(article_id)
            sheet = self.sheet(article_id)
            if sheet.undecided:
                shown = ", ".join(sheet.undecided[:12]) + (" ..." if len(sheet.undecided) > 12 else "")
                raise ReviewError(f"{len(sheet.undecided)} item(s) still undecided: {shown}")
            with self._parsed(path) as data:
                data["review"] = Review.REVIEWED.value
                return self._write(path, data, self.context(), header_drop=True)

    # ------------------------------------------------------------------ the file

    def _lock(self, article_id: str) -> FileLock:
        locks = self.folder / ".locks"
        locks.mkdir(exist_ok=True)
        return FileLock(str(locks / f"{article_id}.lock"), timeout=30)

    @contextlib.contextmanager
    def _parsed(self, path: Path) -> Iterator[Any]:
        """The file's round-trip tree, to change in place. ruamel.yaml's parser is pure Python and
        most of a decision's time, so the tree of the text last written or read is kept (per
        file, keyed by the exact text): the next decision on an unchanged file starts from it.
        A change that fails part way drops the kept tree; the file itself is never touched then."""
        text = path.read_text("utf-8")
        key = str(path.resolve())
        with _TREES_LOCK:
            kept = _TREES.pop(key, None)
        data = kept[1] if kept is not None and kept[0] == text else self._yaml.load(text)
        if not isinstance(data, CommentedMap):
            raise ReviewError(f"{path.name} is not a digest file")
        try:
            yield data
        except BaseException:
            raise  # the tree may be half changed: not kept
        else:
            if not self._tree_is_file:
                return
            written = path.read_text("utf-8")
            with _TREES_LOCK:
                _TREES[key] = (written, data)
                while len(_TREES) > KEPT_TREES:
                    _TREES.popitem(last=False)

    def _targets(self, data: Any, article_id: str, item_ids: Iterable[str] | None) -> list[tuple[str, int, str]]:
        where: dict[str, tuple[str, int]] = {}
        for section in SECTIONS.values():
            for index, item in enumerate(data.get(section) or []):
                where[str(item.get("id"))] = (section, index)
        if item_ids is None:  # every undecided item
            default = _file_default(data)
            chosen = [
                (section, index, item_id)
                for item_id, (section, index) in where.items()
                if _state_of(data[section][index], default) == ItemState.UNDECIDED
            ]
            if not chosen:
                raise ReviewError(f"{article_id} has no undecided item")
            return chosen
        wanted = list(dict.fromkeys(item_ids))
        unknown = [i for i in wanted if i not in where]
        if unknown:
            raise ReviewError(
                f"{article_id} has no item {', '.join(unknown[:5])} (see: briefbot review show {article_id})"
            )
        return [(*where[i], i) for i in wanted]

    def _edit(
        self, item: Any, section: str, item_id: str, changes: Mapping[str, str], context: ValidationContext
    ) -> None:
        was: dict[str, str] = {}
        for key, raw in changes.items():
            if key not in EDITABLE[section]:
                raise ReviewError(f"{item_id} is a {KIND_OF[section]}: its {key.replace('_', ' ')} cannot be edited")
            value = str(raw) if key in VERBATIM else " ".join(str(raw).split())
            if not value:
                raise ReviewError(f"{key.replace('_', ' ')}: a value is needed")
            if key in ("speaker", "asserted_by") and value != "article":
                value = self._speaker_id(value, context.speakers)
            before = item.get(key)
            if before is not None and str(before) != value:
                was[key] = str(before)
            item[key] = value
        if not was:
            raise ReviewError(f"{item_id}: nothing changed")
        previous = item.get("review") or {}
        merged = dict(previous.get("was") or {})
        for key, value in was.items():
            merged.setdefault(key, value)  # the machine's original value stays on record
        item["__was__"] = merged

    def _speaker_id(self, name: str, registry: SpeakerRegistry) -> str:
        """A speaker as an editor names it ("Dmitry Peskov", "peskov", an id) -> its registry id."""
        if name in registry:
            return name
        match = registry.resolve(name)
        if match is None or not match.exact:
            hint = ", ".join(registry.suggest(name, 3))
            raise ReviewError(f"unknown speaker {name[:60]!r}" + (f" (closest: {hint})" if hint else ""))
        return match.speaker.id

    def _write(self, path: Path, data: Any, context: ValidationContext, *, header_drop: bool = False) -> Sheet:
        """Dump, validate, replace the file, load it; returns the sheet of what was written."""
        buffer = io.StringIO()
        self._yaml.dump(data, buffer)
        dumped = text = buffer.getvalue()
        if header_drop or _has_decisions(data):
            # The drafter's hash says the file is untouched; it is a person's file now.
            text = HASH_LINE.sub("", text)
        if header_drop:
            text = DRAFT_NOTE.sub("", text)
        self._tree_is_file = text == dumped  # else the kept tree would bring the dropped lines back
        try:  # validated exactly as it will be written, before it replaces the file
            parsed, located = parse_yaml(text, path.name)
            article_text = (path.parent / str(data["article"]["text_file"])).read_text("utf-8")
            digest = validate(parsed, located, article_text, context, path.stem)
        except DigestFileError as exc:
            raise ReviewError(str(exc)) from None
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, suffix=".new", delete=False) as tmp:
            tmp.write(text)
        os.replace(tmp.name, path)
        report = load_dir(self.store, self.folder, only=[path.name], workers=1)
        if report.errors:
            raise ReviewError(str(report.errors[0]))
        if self.speakers is not None:
            self.speakers = load_registry(self.store)
        return Sheet(dataclasses.replace(digest, source_file=path.name), path)


def _file_default(data: Any) -> ItemState:
    return ItemState.UNDECIDED if data.get("review") == Review.DRAFT.value else ItemState.ACCEPTED


def _state_of(item: Any, default: ItemState) -> ItemState:
    review = item.get("review")
    return ItemState(str(review.get("state"))) if review else default


def _has_decisions(data: Any) -> bool:
    return any("review" in item for section in SECTIONS.values() for item in data.get(section) or [])


def _record(item: Any, state: ItemState, by: str, at: dt.datetime, *, default: ItemState) -> None:
    """Write one decision into an item's `review:` block, keeping the one before in `history`."""
    was = item.pop("__was__", None)
    previous = item.get("review")
    history: list[dict[str, str]] = []
    if previous:
        history = [dict(h) for h in previous.get("history") or []]
        if previous.get("by"):
            history.append({"state": str(previous["state"]), "by": str(previous["by"]), "at": str(previous["at"])})
        if was is None and previous.get("was"):
            was = dict(previous["was"])
    block = CommentedMap()
    block["state"] = state.value
    block["by"] = by
    block["at"] = at.astimezone(dt.UTC).isoformat(timespec="seconds")
    if was:
        block["was"] = CommentedMap(was)
    if history:
        block["history"] = history
    block.fa.set_flow_style() if not was and not history else None
    item["review"] = block


# --------------------------------------------------------------------------------------------
# Answers: what front ends show of a sheet


def _summary(section: str, item: Any, names: SpeakerRegistry, regions: Gazetteer) -> str:
    """What the machine (or the last editor) made of an item, in our words; an undecided draft
    item also says how sure the extractor was."""
    said = _said(section, item, names, regions)
    confidence = getattr(item, "confidence", None)
    if confidence is not None and item.review.state == ItemState.UNDECIDED:
        said += f" (confidence {confidence:.2f})"
    return said


def _said(section: str, item: Any, names: SpeakerRegistry, regions: Gazetteer) -> str:
    if section == "quotes":
        kind = {"direct": "said", "indirect": "said (reported speech)", "mixed": "said (reported, with quoted words)"}
        who = names.display_name(item.speaker)
        mention = f" (as “{item.mention}”)" if item.mention.casefold() != who.casefold() else ""
        verb = item.cue if item.cue and item.cue.replace(" ", "").isalpha() else kind[item.kind.value].split(" ")[0]
        reported = "" if item.kind.value == "direct" else " (reported speech)"
        return f"{who}{mention} {verb}{reported}"
    if section == "claims":
        by = "the article" if item.asserted_by == "article" else names.display_name(item.asserted_by)
        where = regions.name(item.region) + (f" (in {item.place})" if item.place else "")
        return f"{where}: {item.claim.value.replace('_', ' ')} — actor {item.actor}, according to {by}"
    if section == "contradictions":
        return item.why
    return ""


def review_items(
    items: Iterable[tuple[str, str, Any]], text: str, names: SpeakerRegistry, regions: Gazetteer
) -> list[ReviewItem]:
    """(item id, section, item) -> the items as an editor judges them, each with its paragraph."""
    out = []
    for item_id, section, item in items:
        spans = evidence_of(item)
        review = item.review
        out.append(
            ReviewItem(
                item_id=item_id,
                kind=KIND_OF[section],
                state=review.state,
                summary=_summary(section, item, names, regions),
                spans=tuple(s.text for s in spans),
                context=paragraph_of(text, spans[0]),
                by=review.by,
                at=review.at,
                was=review.was,
                editable=tuple(EDITABLE[section]),
            )
        )
    return out


def sheet_answer(
    sheet: Sheet, desk: Desk, *, page: int = 0, per_page: int = 0, message: str | None = None
) -> ReviewAnswer:
    """The sheet as an answer (bot.core.models.ReviewAnswer); `per_page` > 0 cuts it into pages."""
    names = desk.context().speakers
    items = review_items(sheet.items(), sheet.digest.text, names, load_gazetteer())
    pages = 1
    if per_page > 0:
        pages = max(1, -(-len(items) // per_page))
        page = max(0, min(page, pages - 1))
        items = items[page * per_page : (page + 1) * per_page]
    meta = sheet.digest.meta
    source = SourceRef(meta.id, meta.publisher, meta.title, meta.published, meta.url, sheet.digest.review)
    return ReviewAnswer(
        source,
        tuple(items),
        tuple(sheet.counts().items()),
        page,
        pages,
        message,
        handle=article_handle(meta.id),
        speakers=speaker_choices(sheet.digest, names),
    )


SPEAKER_CHOICES = 25  # Discord's select menus hold 25 options


def speaker_choices(digest: ArticleDigest, names: SpeakerRegistry) -> tuple[tuple[str, str], ...]:
    """Whom a statement of this article may be given to: the speakers the article names first,
    then the registry's reviewed speakers, at most SPEAKER_CHOICES."""
    ids = [q.speaker for q in digest.quotes]
    ids += [c.asserted_by for c in digest.claims if c.asserted_by != "article"]
    ids += sorted((s.id for s in names.by_id.values() if not s.draft), key=lambda i: names.display_name(i))
    chosen = [i for i in dict.fromkeys(ids) if i in names][:SPEAKER_CHOICES]
    return tuple((i, names.display_name(i)) for i in chosen)


def waiting_articles(store: Store, text: str, limit: int = 25) -> list[tuple[str, str]]:
    """(label, id) of drafts with undecided items whose id or title holds `text`, newest first:
    what an article option completes to in chat."""
    like = f"%{text.strip().casefold()}%"
    rows = store.rows(
        "SELECT id, title FROM articles WHERE pending > 0 AND digest_file IS NOT NULL"
        " AND (lower(id) LIKE ? OR lower(title) LIKE ?) ORDER BY published DESC, id LIMIT ?",
        [like, like, limit],
    )
    return [(f"{r['title'] or r['id']}"[:100], str(r["id"])) for r in rows]


def pending_answer(desk: Desk) -> PendingAnswer:
    listed = tuple(desk.pending())
    total = desk.store.one("SELECT count(*) FROM articles WHERE pending > 0 AND digest_file IS NOT NULL")
    return PendingAnswer(listed, int(total[0]) if total else len(listed))
