"""Metadata of a local file (pasted text, saved page): from command-line options or a `.json` beside it.

A local file has no address and no fetch date to fall back on, so what the document itself does
not say (title, outlet, publication date, web address, author) comes from `--title --outlet
--published --url --author` or from `NAME.json` next to `NAME.txt` / `NAME.html`. The sidecar
takes plain keys (`title`, `outlet`, `published`, `url`, `author`) or the names other tools
save them under (`link`, `source: {title}`, `published_date`, `datePublished`, `provider:
{name}`). Options win over the sidecar, the sidecar over what the document declares. A file
still without a publication date or a web address is refused by the pipeline: dated "today" it
would put old news in today's digest, and without its address nothing shown from it could be
traced back to its source.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

SIDECAR_MAX_BYTES = 64_000


class FileMetaError(ValueError):
    """A sidecar or an option that cannot be used; the message names the file (and line)."""


@dataclass(frozen=True, slots=True)
class FileMeta:
    title: str | None = None
    publisher: str | None = None
    published: dt.date | None = None
    url: str | None = None
    author: str | None = None

    def over(self, other: FileMeta) -> FileMeta:
        """These values where set, `other`'s elsewhere."""
        return replace(other, **{f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)})

    @property
    def empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))


def parse_date(value: Any, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise FileMetaError(f"{where}: {str(value)[:40]!r} is not a date (YYYY-MM-DD)") from None


def parse_url(value: Any, where: str) -> str:
    url = str(value).strip()
    if not url.startswith(("http://", "https://")) or any(c.isspace() for c in url) or len(url) > 2000:
        raise FileMetaError(f"{where}: {url[:60]!r} is not an http(s) address")
    return url


def from_options(
    title: str | None, outlet: str | None, published: str | None, url: str | None, author: str | None
) -> FileMeta:
    """The command-line options, checked (FileMetaError names the option)."""
    return FileMeta(
        title=_text(title),
        publisher=_text(outlet),
        published=parse_date(published, "--published") if published else None,
        url=parse_url(url, "--url") if url else None,
        author=_text(author),
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())[:300]
    return text or None


def sidecar_of(path: Path) -> Path:
    return path.with_suffix(".json")


def read_sidecar(path: Path) -> FileMeta:
    """The `.json` beside `path`, or empty metadata when there is none."""
    side = sidecar_of(path)
    if not side.is_file():
        return FileMeta()
    if side.stat().st_size > SIDECAR_MAX_BYTES:
        raise FileMetaError(f"{side}: too large for article metadata")
    try:
        data = json.loads(side.read_text("utf-8"))
    except UnicodeDecodeError:
        raise FileMetaError(f"{side}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise FileMetaError(f"{side}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise FileMetaError(f"{side}: expected a JSON object with title, outlet, published, url")
    published = _first(data, PUBLISHED_KEYS)
    url = _first(data, URL_KEYS)
    return FileMeta(
        title=_text(_first(data, TITLE_KEYS)),
        publisher=_text(_first(data, OUTLET_KEYS)),
        published=parse_date(published, f"{side}: published") if published else None,
        url=parse_url(url, f"{side}: url") if url else None,
        author=_text(_first(data, AUTHOR_KEYS)),
    )


# The names metadata goes by in the records news tools and APIs save beside an article (the
# shared seed's, news-search APIs', schema.org's), first match wins; "a.b" is b inside a.
TITLE_KEYS = ("title", "headline")
OUTLET_KEYS = ("outlet", "publisher", "source.title", "source.name", "provider.name", "site_name", "publisher.name")
PUBLISHED_KEYS = ("published", "published_date", "datePublished", "date")
URL_KEYS = ("url", "link", "webpageUrl")
AUTHOR_KEYS = ("author", "byline", "author.name")


def _first(data: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value: Any = data
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value and isinstance(value, str | int | float):
            return value
    return None


def missing_message(path: str, meta: FileMeta) -> str | None:
    """Why a local file cannot be stored yet, in one line; None when it can."""
    lacking = [label for label, value in (("publication date", meta.published), ("web address", meta.url)) if not value]
    if not lacking:
        return None
    options = " ".join(o for o, v in (("--published YYYY-MM-DD", meta.published), ("--url URL", meta.url)) if not v)
    name = Path(path).with_suffix(".json").name
    return f"no {' and no '.join(lacking)}: give {options}, or put them in {name} beside it"
