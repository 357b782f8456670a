"""Validation of one digest file against its article text, the gazetteer and the speaker registry.

Strict because trust is the product: the schema (pydantic), every quote and evidence an exact
substring of the text, every region known to the gazetteer, every speaker known to the registry,
dates valid and not after publication, no duplicate ids. Files are checked before they are read:
regular files inside the digest folder only, bounded in size, the text free of NUL and control
bytes. An invalid file is refused whole with `file:line: field: message`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from rapidfuzz import fuzz

from bot.core.dates import DateError, resolve_date
from bot.core.digest_files.errors import DigestFileError
from bot.core.digest_files.schema import DigestFileIn, ItemReviewIn
from bot.core.digest_files.yaml_lines import Located, field_name, parse_yaml
from bot.core.gazetteer import Gazetteer, load_gazetteer
from bot.core.models import (
    ACCEPTED,
    UNDECIDED,
    ArticleDigest,
    ArticleMeta,
    Contradiction,
    Decision,
    ItemReview,
    ItemState,
    KeyPoint,
    Quote,
    RegionClaim,
    Review,
    Span,
)
from bot.core.speakers import SpeakerRegistry, read_registry_file

SPEAKERS_FILE = "speakers.yaml"
MAX_DIGEST_BYTES = 2 * 1024 * 1024  # a busy live blog's digest is ~200 KB
MAX_TEXT_BYTES = 5 * 1024 * 1024  # the fetcher's default page bound
# Control characters other than tab, line feed and carriage return have no place in article text
# (and NUL, escape or bidi controls in a quote could hide or restyle what readers see).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


@dataclass
class ValidationContext:
    gazetteer: Gazetteer
    speakers: SpeakerRegistry


def default_context(summaries_dir: Path) -> ValidationContext:
    reg_path = summaries_dir / SPEAKERS_FILE
    speakers = read_registry_file(reg_path) if reg_path.is_file() else []
    return ValidationContext(load_gazetteer(), SpeakerRegistry(speakers))


# ---------------------------------------------------------------- reading files safely


def check_file(path: Path, folder: Path, limit: int, label: str, what: str = "") -> int:
    """Refuse anything but a regular file inside `folder` of at most `limit` bytes, before reading
    it; returns its size. (A symlink may point inside the folder, never out of it.)

    `path` is a name in `folder`: only a link can lead out of it, so only links are resolved
    (resolving every file cost a fifth of reading a digest file)."""
    name = what or path.name
    try:
        info = os.lstat(path)
        link = stat.S_ISLNK(info.st_mode)
        if link:
            info = os.stat(path)
    except FileNotFoundError:
        raise DigestFileError(label, None, "", f"{name} does not exist (or is a dangling link)") from None
    except OSError as exc:
        raise DigestFileError(label, None, "", f"{name} cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise DigestFileError(label, None, "", f"{name} is not a regular file")
    if link and path.resolve().parent != folder.resolve():
        raise DigestFileError(label, None, "", f"{name} points outside the digest folder")
    if info.st_size > limit:
        raise DigestFileError(label, None, "", f"{name} is {info.st_size:,} bytes; at most {limit:,} are read")
    return info.st_size


def read_text_checked(path: Path, label: str, what: str) -> str:
    """UTF-8 text without NUL or control characters (the first offending line is named)."""
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError:
        raise DigestFileError(label, None, "", f"{what} is not UTF-8 text") from None
    bad = _CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        name = unicodedata.name(bad.group(), f"U+{ord(bad.group()):04X}")
        raise DigestFileError(label, None, "", f"{what}:{line}: contains a control character ({name})")
    return text


def _text_file(yaml_path: Path, data: Any, src: Located) -> str:
    article = data.get("article") if isinstance(data, dict) else None
    name = article.get("text_file") if isinstance(article, dict) else None
    path = ("article", "text_file")
    if not isinstance(name, str) or not name:
        raise src.error(path, "required field is missing (the cleaned text file beside this one)")
    if "/" in name or "\\" in name or name in (".", ".."):
        raise src.error(path, "the text file must sit beside the digest file (a file name, not a path)")
    text_path = yaml_path.parent / name
    try:
        check_file(text_path, yaml_path.parent, MAX_TEXT_BYTES, src.file, name)
        return read_text_checked(text_path, src.file, name)
    except DigestFileError as exc:
        raise src.error(path, exc.message) from None


def read_digest(path: Path | str, ctx: ValidationContext | None = None, *, label: str | None = None) -> ArticleDigest:
    """Read and validate one digest file; raises DigestFileError naming file, line and field."""
    path = Path(path)
    label = label or str(path)
    check_file(path, path.parent, MAX_DIGEST_BYTES, label, "the digest file")
    raw = read_text_checked(path, label, "the digest file")
    data, src = parse_yaml(raw, label)
    text = _text_file(path, data, src)
    return validate(data, src, text, ctx or default_context(path.parent), path.stem)


# ---------------------------------------------------------------- validation


def _closest(text: str, needle: str) -> str:
    if len(needle) > 2000:
        return ""
    alignment = fuzz.partial_ratio_alignment(needle, text)
    if alignment is None or alignment.score < 60:
        return ""
    near = text[alignment.dest_start : alignment.dest_end]
    return f" (closest passage: {near[:120]!r})"


class _Checker:
    """Validates one parsed file; each method checks one section and names what is wrong."""

    def __init__(self, src: Located, text: str, ctx: ValidationContext, published: dt.date, review: Review):
        self.src, self.text, self.ctx, self.published = src, text, ctx, published
        # An item with no `review:` of its own takes the file's: a machine draft's items are
        # undecided, a person's file stands behind every item in it.
        self.default = UNDECIDED if review == Review.DRAFT else ACCEPTED
        self.file_review = review

    def review(self, given: ItemReviewIn | None, path: tuple[str | int, ...]) -> ItemReview:
        if given is None:
            return self.default
        if given.state == ItemState.UNDECIDED and self.file_review == Review.REVIEWED:
            raise self.src.error(
                (*path, "review", "state"), "an undecided item in a reviewed file: decide it, or mark the file draft"
            )
        if given.state != ItemState.UNDECIDED and (given.by is None or given.at is None):
            raise self.src.error((*path, "review"), f"a decision ({given.state}) needs `by` and `at`")
        history = tuple(Decision(h.state, h.by, h.at) for h in given.history)
        return ItemReview(given.state, given.by, given.at, tuple(sorted(given.was.items())), history)

    def span(self, needle: str, path: tuple[str | int, ...]) -> Span:
        start = self.text.find(needle)
        if start < 0:
            raise self.src.error(path, "not found verbatim in the article text" + _closest(self.text, needle))
        return Span(start, start + len(needle), needle)

    def region(self, value: str, path: tuple[str | int, ...]) -> tuple[str, str | None]:
        match = self.ctx.gazetteer.resolve(value)
        if match is None or not match.exact:
            hint = self.ctx.gazetteer.suggest(value, 3)
            raise self.src.error(
                path, f"unknown region {value!r}" + (f" (did you mean: {', '.join(hint)}?)" if hint else "")
            )
        if len(match.regions) != 1:
            codes = ", ".join(r.name for r in match.regions)
            raise self.src.error(path, f"{value!r} names several regions ({codes}): write one claim for each")
        return match.region.code, match.place

    def speaker(self, value: str, path: tuple[str | int, ...]) -> str:
        if value in self.ctx.speakers:
            return value
        hint = self.ctx.speakers.suggest(value, 3)
        raise self.src.error(
            path,
            f"unknown speaker id {value!r}: add it to {SPEAKERS_FILE}"
            + (f" (did you mean: {', '.join(hint)}?)" if hint else ""),
        )

    def when(self, value: str | None, path: tuple[str | int, ...]) -> tuple[dt.date | None, str | None]:
        if value is None:
            return None, None
        try:
            resolved = resolve_date(str(value), self.published)
        except DateError as exc:
            raise self.src.error(path, str(exc)) from None
        if resolved.date > self.published:
            raise self.src.error(path, f"{value!r} resolves to {resolved.date}, after the article was published")
        return resolved.date, resolved.precision

    def unique_ids(self, doc: DigestFileIn) -> None:
        seen: dict[str, tuple[str | int, ...]] = {}
        for section in ("key_points", "quotes", "claims", "contradictions"):
            for i, item in enumerate(getattr(doc, section)):
                if item.id in seen:
                    raise self.src.error(
                        (section, i, "id"), f"duplicate id {item.id!r} (first used at {field_name(seen[item.id])})"
                    )
                seen[item.id] = (section, i, "id")

    def quotes(self, doc: DigestFileIn) -> tuple[Quote, ...]:
        out = []
        for i, q in enumerate(doc.quotes):
            said_on, _ = self.when(q.said_on, ("quotes", i, "said_on"))
            out.append(
                Quote(
                    id=q.id,
                    speaker=self.speaker(q.speaker, ("quotes", i, "speaker")),
                    mention=q.mention,
                    role=q.role,
                    kind=q.kind,
                    words=self.span(q.words, ("quotes", i, "words")),
                    via=q.via,
                    cue=q.cue,
                    said_on=said_on,
                    review=self.review(q.review, ("quotes", i)),
                    confidence=q.confidence,
                )
            )
            if not re.search(rf"(?<!\w){re.escape(q.mention)}(?!\w)", self.text):
                raise self.src.error(("quotes", i, "mention"), "the mention must be written as in the article text")
        return tuple(out)

    def claims(self, doc: DigestFileIn) -> tuple[RegionClaim, ...]:
        out = []
        for i, c in enumerate(doc.claims):
            code, place = self.region(c.region, ("claims", i, "region"))
            date, precision = self.when(c.when, ("claims", i, "when"))
            asserted = c.asserted_by
            if asserted != "article":
                asserted = self.speaker(asserted, ("claims", i, "asserted_by"))
            out.append(
                RegionClaim(
                    id=c.id,
                    region=code,
                    claim=c.claim,
                    actor=c.actor,
                    asserted_by=asserted,
                    evidence=self.span(c.evidence, ("claims", i, "evidence")),
                    date=date,
                    date_precision=precision,
                    date_text=c.when,
                    via=c.via,
                    place=place,
                    review=self.review(c.review, ("claims", i)),
                    confidence=c.confidence,
                )
            )
        return tuple(out)

    def contradictions(self, doc: DigestFileIn) -> tuple[Contradiction, ...]:
        out = []
        for i, x in enumerate(doc.contradictions):
            a = self.span(x.a, ("contradictions", i, "a"))
            b = self.span(x.b, ("contradictions", i, "b"))
            if a == b:
                raise self.src.error(("contradictions", i, "b"), "a contradiction needs two different spans")
            codes = tuple(self.region(r, ("contradictions", i, "regions", j))[0] for j, r in enumerate(x.regions))
            review = self.review(x.review, ("contradictions", i))
            out.append(Contradiction(x.id, a, b, x.why, tuple(dict.fromkeys(codes)), x.confirmed, review))
        return tuple(out)


def _schema(data: Any, src: Located) -> DigestFileIn:
    if not isinstance(data, dict):
        raise src.error((), "the file must hold a mapping (key: value lines)")
    try:
        return DigestFileIn.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        elif err["type"] == "missing":
            msg = "required field is missing"
        raise src.error(tuple(err["loc"]), msg) from None


def validate(data: Any, src: Located, text: str, ctx: ValidationContext, file_stem: str) -> ArticleDigest:
    """The digest a parsed file describes, or DigestFileError for the first thing wrong in it."""
    doc = _schema(data, src)
    if doc.id != file_stem:
        raise src.error(("id",), f"id {doc.id!r} must equal the file name {file_stem!r}")
    if not text.strip():
        raise src.error(("article", "text_file"), "the article text is empty")
    check = _Checker(src, text, ctx, doc.article.published, Review(doc.review))
    check.unique_ids(doc)
    captions = tuple(check.span(c, ("captions", i)) for i, c in enumerate(doc.captions))
    key_points = tuple(
        KeyPoint(k.id, check.span(k.evidence, ("key_points", i, "evidence")), check.review(k.review, ("key_points", i)))
        for i, k in enumerate(doc.key_points)
    )
    meta = ArticleMeta(
        id=doc.id,
        title=doc.article.title,
        publisher=doc.article.publisher,
        published=doc.article.published,
        url=doc.article.url,
        author=doc.article.author,
        language=doc.article.language,
    )
    return ArticleDigest(
        meta=meta,
        text=text,
        review=Review(doc.review),
        key_points=key_points,
        quotes=check.quotes(doc),
        claims=check.claims(doc),
        contradictions=check.contradictions(doc),
        source_file=src.file,
        captions=captions,
    )


__all__ = ["SPEAKERS_FILE", "ValidationContext", "default_context", "read_digest", "validate"]
