"""Curated digest files: reading, validating, writing and loading them into the store.

One article = two files in `summaries/`: `NAME.yaml` (metadata and curated content) and
`NAME.txt` (the article's cleaned text, the ground truth every span must come from). The
format is documented in `summaries/README.md`.

Validation is strict because trust is the product: the schema (pydantic), every quote and
evidence an exact substring of the text, every region known to the gazetteer, every speaker
known to the registry, dates valid and not after publication, no duplicate ids. An invalid
file is refused whole with `file:line: field: message`. YAML is parsed with libyaml's
composer so every value keeps its line number.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import multiprocessing
import os
import re
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import sqlite_utils
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from rapidfuzz import fuzz

from bot.core import store
from bot.core.dates import DateError, resolve_date
from bot.core.gazetteer import Gazetteer, load_gazetteer
from bot.core.models import (
    ArticleDigest,
    ArticleMeta,
    ClaimType,
    Contradiction,
    KeyPoint,
    Quote,
    QuoteKind,
    RegionClaim,
    Review,
    Span,
)
from bot.core.speakers import Speaker, SpeakerRegistry, read_registry_file, speakers_to_rows

FORMAT_VERSION = 1
log = logging.getLogger(__name__)
SPEAKERS_FILE = "speakers.yaml"
# The base loader resolves no implicit types (every scalar is a string): pydantic converts
# dates, numbers and booleans with located errors, and composing skips a Python resolver call
# per node (half the parse time).
_Loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
_NULLS = {"", "~", "null", "Null", "NULL"}
_ID = r"^[a-z0-9][a-z0-9._-]{0,120}$"


class DigestFileError(ValueError):
    """A digest file that cannot be accepted; names the file, the line and the field."""

    def __init__(self, file: str, line: int | None, field: str, message: str):
        self.file, self.line, self.field, self.message = file, line, field, message
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")

    def __reduce__(self) -> tuple:  # errors travel back from the loader's worker processes
        return (DigestFileError, (self.file, self.line, self.field, self.message))


# ---------------------------------------------------------------- file schema (pydantic)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class ArticleIn(_Strict):
    title: str = Field(min_length=1)
    publisher: str = Field(min_length=1)
    author: str | None = None
    published: dt.date
    url: str = Field(pattern=r"^https?://\S+$")
    language: str = "en"
    text_file: str = Field(min_length=1)


class KeyPointIn(_Strict):
    id: str = Field(pattern=_ID)
    evidence: str = Field(min_length=1)


class QuoteIn(_Strict):
    id: str = Field(pattern=_ID)
    speaker: str = Field(min_length=1)
    mention: str = Field(min_length=1)
    role: str = ""
    kind: QuoteKind
    words: str = Field(min_length=1)
    cue: str | None = None
    via: str | None = None
    said_on: str | None = None


class ClaimIn(_Strict):
    id: str = Field(pattern=_ID)
    region: str = Field(min_length=1)
    claim: ClaimType
    actor: str = Field(min_length=1)
    asserted_by: str = Field(min_length=1)
    evidence: str = Field(min_length=1)
    via: str | None = None
    when: str | None = None


class ContradictionIn(_Strict):
    id: str = Field(pattern=_ID)
    a: str = Field(min_length=1)
    b: str = Field(min_length=1)
    why: str = Field(min_length=1, max_length=300)
    regions: list[str] = []
    confirmed: bool = True


class DigestFileIn(_Strict):
    format: int
    id: str = Field(pattern=_ID)
    review: Literal["reviewed", "draft", "none"]  # none: an ingested article's skeleton, not yet curated
    article: ArticleIn
    captions: list[str] = []
    key_points: list[KeyPointIn] = []
    quotes: list[QuoteIn] = []
    claims: list[ClaimIn] = []
    contradictions: list[ContradictionIn] = []

    @field_validator("format")
    @classmethod
    def _known_format(cls, v: int) -> int:
        if v != FORMAT_VERSION:
            raise ValueError(f"format {v} is not known to this briefbot (it reads format {FORMAT_VERSION})")
        return v

    @field_validator("captions")
    @classmethod
    def _non_empty(cls, v: list[str]) -> list[str]:
        if any(not c.strip() for c in v):
            raise ValueError("a caption cannot be empty")
        return v


# ---------------------------------------------------------------- YAML with line numbers


def _to_python(node: yaml.Node, path: tuple, lines: dict[tuple, int]) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            if key in out:
                raise DigestFileError(
                    "", key_node.start_mark.line + 1, ".".join(map(str, (*path, key))), "duplicate key"
                )
            out[key] = _to_python(value_node, (*path, key), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(v, (*path, i), lines) for i, v in enumerate(node.value)]
    # Scalars stay strings (pydantic types them); a plain empty or null scalar is None.
    if node.style is None and node.value in _NULLS:
        return None
    return node.value


def _field_name(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass
class _Source:
    file: str
    lines: dict[tuple, int]

    def error(self, path: tuple, message: str) -> DigestFileError:
        line = None
        for n in range(len(path), -1, -1):
            if path[:n] in self.lines:
                line = self.lines[path[:n]]
                break
        return DigestFileError(self.file, line, _field_name(path), message)


def parse_yaml(text: str, file: str) -> tuple[Any, _Source]:
    lines: dict[tuple, int] = {}
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise DigestFileError(file, mark.line + 1 if mark else None, "", f"not valid YAML: {problem}") from None
    if node is None:
        raise DigestFileError(file, 1, "", "the file is empty")
    try:
        data = _to_python(node, (), lines)
    except DigestFileError as exc:
        raise DigestFileError(file, exc.line, exc.field, exc.message) from None
    return data, _Source(file, lines)


# ---------------------------------------------------------------- validation


def _find(text: str, needle: str) -> int:
    return text.find(needle)


def _closest(text: str, needle: str) -> str:
    if len(needle) > 2000:
        return ""
    alignment = fuzz.partial_ratio_alignment(needle, text)
    if alignment is None or alignment.score < 60:
        return ""
    near = text[alignment.dest_start : alignment.dest_end]
    return f" (closest passage: {near[:120]!r})"


@dataclass
class ValidationContext:
    gazetteer: Gazetteer
    speakers: SpeakerRegistry


def _span(text: str, needle: str, src: _Source, path: tuple) -> Span:
    start = _find(text, needle)
    if start < 0:
        raise src.error(path, "not found verbatim in the article text" + _closest(text, needle))
    return Span(start, start + len(needle), needle)


def _region_code(value: str, ctx: ValidationContext, src: _Source, path: tuple) -> tuple[str, str | None]:
    match = ctx.gazetteer.resolve(value)
    if match is None or not match.exact:
        hint = ctx.gazetteer.suggest(value, 3)
        raise src.error(path, f"unknown region {value!r}" + (f" (did you mean: {', '.join(hint)}?)" if hint else ""))
    if len(match.regions) != 1:
        codes = ", ".join(r.name for r in match.regions)
        raise src.error(path, f"{value!r} names several regions ({codes}): write one claim for each")
    return match.region.code, match.place


def _speaker(value: str, ctx: ValidationContext, src: _Source, path: tuple) -> str:
    if value in ctx.speakers:
        return value
    hint = ctx.speakers.suggest(value, 3)
    raise src.error(
        path,
        f"unknown speaker id {value!r}: add it to {SPEAKERS_FILE}"
        + (f" (did you mean: {', '.join(hint)}?)" if hint else ""),
    )


def validate(data: Any, src: _Source, text: str, ctx: ValidationContext, file_stem: str) -> ArticleDigest:
    if not isinstance(data, dict):
        raise src.error((), "the file must hold a mapping (key: value lines)")
    try:
        doc = DigestFileIn.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        path = tuple(err["loc"])
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        elif err["type"] == "missing":
            msg = "required field is missing"
        raise src.error(path, msg) from None
    if doc.id != file_stem:
        raise src.error(("id",), f"id {doc.id!r} must equal the file name {file_stem!r}")
    if not text.strip():
        raise src.error(("article", "text_file"), "the article text is empty")
    seen: dict[str, tuple] = {}
    for section in ("key_points", "quotes", "claims", "contradictions"):
        for i, item in enumerate(getattr(doc, section)):
            if item.id in seen:
                raise src.error(
                    (section, i, "id"), f"duplicate id {item.id!r} (first used at {_field_name(seen[item.id])})"
                )
            seen[item.id] = (section, i, "id")
    published = doc.article.published

    def when(value: str | None, path: tuple) -> tuple[dt.date | None, str | None]:
        if value is None:
            return None, None
        try:
            resolved = resolve_date(str(value), published)
        except DateError as exc:
            raise src.error(path, str(exc)) from None
        if resolved.date > published:
            raise src.error(path, f"{value!r} resolves to {resolved.date}, after the article was published")
        return resolved.date, resolved.precision

    captions = tuple(_span(text, c, src, ("captions", i)) for i, c in enumerate(doc.captions))
    key_points = tuple(
        KeyPoint(k.id, _span(text, k.evidence, src, ("key_points", i, "evidence")))
        for i, k in enumerate(doc.key_points)
    )
    quotes = []
    for i, q in enumerate(doc.quotes):
        said_on, _ = when(q.said_on, ("quotes", i, "said_on"))
        quotes.append(
            Quote(
                id=q.id,
                speaker=_speaker(q.speaker, ctx, src, ("quotes", i, "speaker")),
                mention=q.mention,
                role=q.role,
                kind=q.kind,
                words=_span(text, q.words, src, ("quotes", i, "words")),
                via=q.via,
                cue=q.cue,
                said_on=said_on,
            )
        )
        if not re.search(rf"(?<!\w){re.escape(q.mention)}(?!\w)", text):
            raise src.error(("quotes", i, "mention"), "the mention must be written as in the article text")
    claims = []
    for i, c in enumerate(doc.claims):
        code, place = _region_code(c.region, ctx, src, ("claims", i, "region"))
        date, precision = when(c.when, ("claims", i, "when"))
        asserted = c.asserted_by
        if asserted != "article":
            asserted = _speaker(asserted, ctx, src, ("claims", i, "asserted_by"))
        claims.append(
            RegionClaim(
                id=c.id,
                region=code,
                claim=c.claim,
                actor=c.actor,
                asserted_by=asserted,
                evidence=_span(text, c.evidence, src, ("claims", i, "evidence")),
                date=date,
                date_precision=precision,
                date_text=c.when,
                via=c.via,
                place=place,
            )
        )
    contradictions = []
    for i, x in enumerate(doc.contradictions):
        a = _span(text, x.a, src, ("contradictions", i, "a"))
        b = _span(text, x.b, src, ("contradictions", i, "b"))
        if a == b:
            raise src.error(("contradictions", i, "b"), "a contradiction needs two different spans")
        codes = tuple(
            _region_code(r, ctx, src, ("contradictions", i, "regions", j))[0] for j, r in enumerate(x.regions)
        )
        contradictions.append(Contradiction(x.id, a, b, x.why, tuple(dict.fromkeys(codes)), x.confirmed))
    meta = ArticleMeta(
        id=doc.id,
        title=doc.article.title,
        publisher=doc.article.publisher,
        published=published,
        url=doc.article.url,
        author=doc.article.author,
        language=doc.article.language,
    )
    return ArticleDigest(
        meta=meta,
        text=text,
        review=Review(doc.review),
        key_points=key_points,
        quotes=tuple(quotes),
        claims=tuple(claims),
        contradictions=tuple(contradictions),
        source_file=src.file,
        captions=captions,
    )


def _read_text_file(yaml_path: Path, data: Any, src: _Source) -> str:
    name = (
        data.get("article", {}).get("text_file")
        if isinstance(data, dict) and isinstance(data.get("article"), dict)
        else None
    )
    if not isinstance(name, str) or not name:
        raise src.error(("article", "text_file"), "required field is missing (the cleaned text file beside this one)")
    text_path = (yaml_path.parent / name).resolve()
    if text_path.parent != yaml_path.parent.resolve():
        raise src.error(("article", "text_file"), "the text file must sit beside the digest file")
    try:
        return text_path.read_text("utf-8")
    except FileNotFoundError:
        raise src.error(("article", "text_file"), f"{name} does not exist") from None
    except UnicodeDecodeError:
        raise src.error(("article", "text_file"), f"{name} is not UTF-8 text") from None


def read_digest(path: Path | str, ctx: ValidationContext | None = None, *, label: str | None = None) -> ArticleDigest:
    """Read and validate one digest file; raises DigestFileError naming file, line and field."""
    path = Path(path)
    label = label or str(path)
    try:
        raw = path.read_text("utf-8")
    except UnicodeDecodeError:
        raise DigestFileError(label, None, "", "not UTF-8 text") from None
    data, src = parse_yaml(raw, label)
    text = _read_text_file(path, data, src)
    ctx = ctx or default_context(path.parent)
    return validate(data, src, text, ctx, path.stem)


def default_context(summaries_dir: Path) -> ValidationContext:
    reg_path = summaries_dir / SPEAKERS_FILE
    speakers = read_registry_file(reg_path) if reg_path.is_file() else []
    return ValidationContext(load_gazetteer(), SpeakerRegistry(speakers))


# ---------------------------------------------------------------- writing


def _plain(d: dict) -> dict:
    return {k: v for k, v in d.items() if v not in (None, "", [])}


def digest_to_data(digest: ArticleDigest) -> dict:
    m = digest.meta
    return {
        "format": FORMAT_VERSION,
        "id": m.id,
        "review": digest.review.value,
        "article": _plain(
            {
                "title": m.title,
                "publisher": m.publisher,
                "author": m.author,
                "published": m.published,
                "url": m.url,
                "language": m.language,
                "text_file": f"{m.id}.txt",
            }
        ),
        "captions": [c.text for c in digest.captions],
        "key_points": [{"id": k.id, "evidence": k.evidence.text} for k in digest.key_points],
        "quotes": [
            _plain(
                {
                    "id": q.id,
                    "speaker": q.speaker,
                    "mention": q.mention,
                    "role": q.role,
                    "kind": q.kind.value,
                    "cue": q.cue,
                    "words": q.words.text,
                    "via": q.via,
                    "said_on": q.said_on.isoformat() if q.said_on else None,
                }
            )
            for q in digest.quotes
        ],
        "claims": [
            _plain(
                {
                    "id": c.id,
                    "region": c.place or c.region,
                    "claim": c.claim.value,
                    "actor": c.actor,
                    "asserted_by": c.asserted_by,
                    "via": c.via,
                    "evidence": c.evidence.text,
                    "when": c.date_text or (c.date.isoformat() if c.date else None),
                }
            )
            for c in digest.claims
        ],
        "contradictions": [
            _plain(
                {
                    "id": x.id,
                    "a": x.a.text,
                    "b": x.b.text,
                    "why": x.why,
                    "regions": list(x.regions),
                    "confirmed": None if x.confirmed else False,
                }
            )
            for x in digest.contradictions
        ],
    }


HEADER = (
    "# briefbot digest file (format 1): see summaries/README.md.\n"
    "# Every evidence, words, a and b value must be copied verbatim from the .txt file beside this one.\n"
)


def dump_digest(digest: ArticleDigest) -> str:
    """The digest as a digest file (YAML); `read_digest` of the result gives the digest back."""
    data = digest_to_data(digest)
    notes = {
        Review.DRAFT: "# review: draft = made by a machine, not reviewed by a person.\n",
        Review.NONE: "# review: none = ingested, not yet curated: fill the sections, then set review.\n",
    }
    note = notes.get(digest.review, "")
    return HEADER + note + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def write_digest_files(digest: ArticleDigest, directory: Path) -> Path:
    """Write NAME.yaml and NAME.txt; returns the YAML path."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{digest.meta.id}.txt").write_text(digest.text, "utf-8")
    path = directory / f"{digest.meta.id}.yaml"
    path.write_text(dump_digest(digest), "utf-8")
    return path


# ---------------------------------------------------------------- loading a folder


@dataclass
class LoadReport:
    loaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    errors: list[DigestFileError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def digest_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.yaml") if p.name != SPEAKERS_FILE)


_TEXT_FILE_LINE = re.compile(rb"^\s*text_file:\s*['\"]?([^'\"\n#]+?)['\"]?\s*(#.*)?$", re.MULTILINE)


def _file_hash(path: Path) -> str:
    """Hash of the digest file and its text file: a reload skips files whose hash is unchanged."""
    raw = path.read_bytes()
    h = hashlib.sha256(raw)
    m = _TEXT_FILE_LINE.search(raw)
    try:
        h.update(b"\0" + (path.parent / m.group(1).decode("utf-8")).read_bytes() if m else b"\0no text file")
    except (OSError, UnicodeDecodeError):
        h.update(b"\0unreadable")
    return h.hexdigest()


def _registry_for(db: sqlite_utils.Database, directory: Path) -> tuple[SpeakerRegistry, list[Speaker]]:
    from bot.core.speakers import load_registry

    reg_path = directory / SPEAKERS_FILE
    curated = read_registry_file(reg_path) if reg_path.is_file() else []
    registry = load_registry(db)
    for s in curated:
        registry.add(s)
    return registry, curated


def check_dir(directory: Path, db: sqlite_utils.Database | None = None) -> LoadReport:
    """Validate every digest file in a folder without writing anything."""
    report = LoadReport()
    db = db or store.connect(":memory:")
    registry, _ = _registry_for(db, directory)
    ctx = ValidationContext(load_gazetteer(), registry)
    ids: dict[str, str] = {}
    for path in digest_files(directory):
        try:
            digest = read_digest(path, ctx, label=_label(path))
        except DigestFileError as exc:
            report.errors.append(exc)
            continue
        if digest.meta.id in ids:
            report.errors.append(
                DigestFileError(_label(path), None, "id", f"duplicate article id (also in {ids[digest.meta.id]})")
            )
            continue
        ids[digest.meta.id] = path.name
        report.loaded.append(path.name)
    return report


def _label(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


PARALLEL_MIN_FILES = 400  # below this, starting worker processes costs more than it saves
PARALLEL_BATCH = 1024
_worker_ctx: ValidationContext | None = None


def _init_worker(speakers: list[Speaker]) -> None:
    global _worker_ctx
    _worker_ctx = ValidationContext(load_gazetteer(), SpeakerRegistry(speakers))


def _read_for_load(path: Path) -> ArticleDigest | DigestFileError:
    assert _worker_ctx is not None
    try:
        return read_digest(path, _worker_ctx, label=_label(path))
    except DigestFileError as exc:
        return exc


def _read_all(paths: list[Path], ctx: ValidationContext, workers: int) -> Iterator[ArticleDigest | DigestFileError]:
    """Parse and validate files, in order; across worker processes for large folders.

    Parsing and validation are pure CPU work on independent files, so they spread over the
    cores; writing stays in this process, one transaction per article, in file order.
    """
    if workers <= 1 or len(paths) < PARALLEL_MIN_FILES:
        for path in paths:
            try:
                yield read_digest(path, ctx, label=_label(path))
            except DigestFileError as exc:
                yield exc
        return
    mp = multiprocessing.get_context("forkserver")
    mp.set_forkserver_preload(["bot.core.digest_files", "bot.core.gazetteer"])
    speakers = list(ctx.speakers.by_id.values())
    done = 0
    try:
        with ProcessPoolExecutor(workers, mp_context=mp, initializer=_init_worker, initargs=(speakers,)) as pool:
            # Batches bound what is parsed but not yet written: memory stays flat in the folder size.
            for start in range(0, len(paths), PARALLEL_BATCH):
                for result in pool.map(_read_for_load, paths[start : start + PARALLEL_BATCH], chunksize=32):
                    yield result
                    done += 1
    except BrokenProcessPool:  # workers cannot start here (e.g. a __main__ read from stdin)
        log.warning("loader worker processes failed; parsing the remaining files in this process")
        yield from _read_all(paths[done:], ctx, 1)


def load_dir(
    db: sqlite_utils.Database,
    directory: Path,
    *,
    now: dt.datetime | None = None,
    only: Iterable[str] | None = None,
    workers: int | None = None,
) -> LoadReport:
    """Load a folder of digest files into the store.

    Unchanged files are skipped (by content hash), changed ones replace their article in one
    transaction each, invalid ones are refused whole (their previously loaded version stays),
    and articles whose file was deleted are removed. What is already loaded is looked up per
    file, not held, and large folders are parsed by `workers` processes (default: one per core).
    """
    report = LoadReport()
    directory = Path(directory)
    if not directory.is_dir():
        report.errors.append(DigestFileError(str(directory), None, "", "no such folder"))
        return report
    loaded_at = (now or dt.datetime.now(dt.UTC)).isoformat()
    registry, curated = _registry_for(db, directory)
    store.upsert_speakers(db, speakers_to_rows(curated))
    ctx = ValidationContext(load_gazetteer(), registry)
    wanted = set(only) if only is not None else None
    pending: list[tuple[Path, str]] = []
    for path in digest_files(directory):
        if wanted is not None and path.name not in wanted:
            continue
        digest_hash = _file_hash(path)
        if store.loaded_hash(db, path.name) == digest_hash:
            report.unchanged.append(path.name)
        else:
            pending.append((path, digest_hash))
    results = _read_all([p for p, _ in pending], ctx, workers if workers is not None else (os.cpu_count() or 1))
    for (path, digest_hash), result in zip(pending, results, strict=True):
        if isinstance(result, DigestFileError):
            report.errors.append(result)
            continue
        other = _owner(db, result.meta.id, path.name)
        if other:
            report.errors.append(DigestFileError(_label(path), None, "id", f"duplicate article id (also in {other})"))
            continue
        store.write_digest(db, replace(result, source_file=path.name), digest_hash, loaded_at)
        report.loaded.append(path.name)
    if wanted is None:
        gone = [(name, aid) for name, aid in store.loaded_file_names(db) if not (directory / name).is_file()]
        for name, article_id in gone:
            store.delete_article(db, article_id)
            report.removed.append(name)
    return report


def _owner(db: sqlite_utils.Database, article_id: str, name: str) -> str | None:
    row = db.conn.execute("SELECT digest_file FROM articles WHERE id = ?", [article_id]).fetchone()
    if row and row[0] and row[0] != name:
        return row[0]
    return None


_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(*parts: str) -> str:
    """'2022-12-08', 'Newsweek', 'Kremlin Says...' -> '2022-12-08-newsweek-kremlin-says'."""
    out = "-".join(_SLUG.sub("-", p.lower()).strip("-") for p in parts if p)
    return out[:100].strip("-")
