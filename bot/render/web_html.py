"""Layouts -> HTML pages of the web view (Jinja2 templates in `bot/render/templates/`).

Like the chat renderers, this only turns a Layout into its format: it escapes every piece of
text (autoescaping is on for every template, and article text may hold anything), links
references between answers to their pages, marks curated spans and search matches, and draws
review actions as forms. What a page says is decided by `bot.render.layout`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup, escape

from bot.render.layout import Layout, Line, Piece, Ref, RefKind, SourceLine, Style, Verb

_PATHS = {RefKind.REGION: "/region/{}", RefKind.SPEAKER: "/speaker/{}", RefKind.ARTICLE: "/article/{}"}


def ref_url(ref: Ref) -> str:
    return _PATHS[ref.kind].format(quote(ref.key, safe=""))


def _safe_url(url: str | None) -> str | None:
    """Only http(s) addresses become links: never javascript:, data: or anything else."""
    return url if url and url.startswith(("https://", "http://")) else None


def line_html(line: Line) -> Markup:
    out = []
    for run in line:
        text = escape(run.text if run.text or not run.channel else f"#{run.channel}")
        if run.style == Style.STRONG:
            text = Markup(f"<strong>{text}</strong>")
        elif run.style == Style.EMPH:
            text = Markup(f"<em>{text}</em>")
        elif run.style == Style.CODE:
            text = Markup(f"<code>{text}</code>")
        href = ref_url(run.ref) if run.ref else _safe_url(run.url)
        if href:
            text = Markup(f'<a href="{escape(href)}">{text}</a>')
        out.append(text)
    return Markup("").join(out)


@functools.lru_cache(maxsize=2048)
def source_html(source: SourceLine) -> Markup:
    """Where an item comes from: the article's page, the original, the label or state. Made once
    per source and page cache (an answer's items share few sources)."""
    text = escape(source.text)
    out = f'<a href="{escape(ref_url(Ref(RefKind.ARTICLE, source.article)))}">{text}</a>' if source.article else text
    url = _safe_url(source.url)
    if url:
        out += f' · <a class="external" href="{escape(url)}" rel="noopener noreferrer nofollow">original article</a>'
    if source.label:
        out += f' <span class="badge">{escape(source.label)}</span>'
    elif source.state:
        out += f' <span class="state">{escape(source.state)}</span>'
    return Markup(f'<p class="source">{out}</p>')


def piece_class(piece: Piece) -> str:
    classes = ["span", f"kind-{piece.kind.replace(' ', '-')}"] if piece.items else []
    if piece.state is not None and piece.items:
        classes.append(f"state-{piece.state.value}")
    return " ".join(classes)


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who looks at a page: an editor (signed in) gets review forms; `csrf` goes in every form."""

    editor: str | None = None
    csrf: str = ""
    flash: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """One page: its main layout, more layouts shown below it (the front page has several),
    and where the JSON (and CSV, GeoJSON) of it are."""

    view: Layout
    path: str
    more: tuple[tuple[Layout, str], ...] = ()  # (layout, link to its own page)
    formats: tuple[tuple[str, str], ...] = ()  # (label, href)
    search: str = ""


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("bot.render", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters["line"] = line_html
_ENV.filters["piece_class"] = piece_class
_ENV.filters["source"] = source_html
_ENV.globals["Verb"] = Verb


def _anchor_raw(name: str) -> str:
    """A name usable as an element id and a link's fragment."""
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name)


def _anchor(item_id: str) -> str:
    return "item-" + _anchor_raw(item_id)


_ENV.filters["anchor"] = _anchor
_ENV.filters["anchor_raw"] = _anchor_raw


def render_page(page: Page, viewer: Viewer) -> str:
    return _ENV.get_template("page.html").render(page=page, viewer=viewer, layout=page.view)


def render_template(template: str, viewer: Viewer, **values: Any) -> str:
    """A page of the web view's own (sign-in, errors)."""
    return _ENV.get_template(template).render(viewer=viewer, **values)
