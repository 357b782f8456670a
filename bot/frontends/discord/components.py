"""Message components of briefbot on Discord: custom ids, and the views that carry buttons.

Components are stateless so they keep working after a restart: a button's custom_id carries
everything needed to act on a press (`bb:pg:2:status:region=UA-14` redraws page 2 of
`/status UA-14`; `bb:rv:...` is a review card's control, its grammar in
`bot/render/discord_embeds.py`), built from the canonical ids of the answer, never from what a
user typed. A review card's rows come rendered; `RawComponents` sends them as they are.
The client routes a press by the custom id's prefix (`route`) to the front end's handler; the
views sent are stopped at once, so discord.py keeps no per-message state for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import discord

from bot.render.discord_embeds import RenderedAnswer

CUSTOM_ID_MAX = 100
PREFIX = "bb:"
_PAGE = re.compile(r"bb:pg:(?P<page>[0-9]{1,4}):(?P<name>[a-z_]{1,20}):(?P<args>[^:]{0,70})")


@dataclass(frozen=True, slots=True)
class PagePress:
    """A page button pressed: redraw `page` of the answer to `name` with `args`."""

    page: int
    name: str
    args: dict[str, str]


def page_custom_id(page: int, name: str, args: tuple[tuple[str, str], ...]) -> str:
    return f"bb:pg:{page}:{name}:{urlencode(args)}"


def parse_page(custom_id: str) -> PagePress | None:
    match = _PAGE.fullmatch(custom_id)
    if match is None:
        return None
    return PagePress(int(match["page"]), match["name"], dict(parse_qsl(match["args"], keep_blank_values=True)))


def is_ours(custom_id: str) -> bool:
    return custom_id.startswith(PREFIX)


def sealed(view: discord.ui.View) -> discord.ui.View:
    """A view whose presses discord.py leaves to our router (stopped: it is never stored)."""
    view.stop()
    return view


def page_view(rendered: RenderedAnswer, page: int) -> discord.ui.View | None:
    """Previous/next buttons for `page` of a multi-page answer; None for a single page."""
    if rendered.page_count <= 1 or rendered.rerun is None:
        return None
    name, args = rendered.rerun
    if len(page_custom_id(rendered.page_count, name, args)) > CUSTOM_ID_MAX:
        return None  # cannot happen with canonical ids; the footer still says "Page 1 of N"
    last = rendered.page_count - 1
    view = discord.ui.View(timeout=None)
    if page > 0:
        view.add_item(_button(f"◀ Page {page}", page_custom_id(page - 1, name, args)))
    if page < last:
        view.add_item(_button(f"Page {page + 2} ▶", page_custom_id(page + 1, name, args)))
    return sealed(view)


class RawComponents(discord.ui.View):
    """Components the renderer laid out as Discord's own JSON (a review card's rows), sent as
    they are. discord.py sends a view as `view.to_components()`; this view returns the rendered
    rows instead of building them from items. Stopped at once, like every view we send."""

    def __init__(self, rows: tuple[dict[str, Any], ...]) -> None:
        super().__init__(timeout=None)
        self._rows = [dict(row) for row in rows]
        self.stop()

    def to_components(self) -> list[dict[str, Any]]:
        return [dict(row) for row in self._rows]


def raw_view(rows: tuple[dict[str, Any], ...]) -> discord.ui.View | None:
    return RawComponents(rows) if rows else None


def _button(label: str, custom_id: str, style: discord.ButtonStyle = discord.ButtonStyle.secondary) -> Any:
    return discord.ui.Button(label=label, style=style, custom_id=custom_id)
