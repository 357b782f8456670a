"""Page buttons for long answers, stateless so they keep working after a restart.

A button's custom_id carries the page it shows and the command that redraws the answer
(`bb:pg:2:status:region=UA-14`), built from the canonical ids of the answer (region code,
speaker id, date), never from what the user typed. Pressing it re-runs the command through the
core and edits the message in place. discord.py's DynamicItem routes the press by pattern, so no
view has to be remembered per message.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

import discord

from bot.render.discord_embeds import RenderedAnswer

if TYPE_CHECKING:
    from bot.frontends.discord.client import BriefbotClient

CUSTOM_ID_MAX = 100
PAGE_TEMPLATE = r"bb:pg:(?P<page>[0-9]{1,4}):(?P<name>[a-z_]{1,20}):(?P<args>[^:]{0,70})"


def page_custom_id(page: int, name: str, args: tuple[tuple[str, str], ...]) -> str:
    return f"bb:pg:{page}:{name}:{urlencode(args)}"


class PageButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=PAGE_TEMPLATE):
    """ "◀ Previous" / "Next ▶" of a paged answer."""

    def __init__(self, page: int, name: str, args: tuple[tuple[str, str], ...], *, label: str) -> None:
        self.page = page
        self.name = name
        self.args = args
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=page_custom_id(page, name, args),
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PageButton:
        args = tuple(parse_qsl(match["args"], keep_blank_values=True))
        label = getattr(item, "label", None) or "Page"
        return cls(int(match["page"]), match["name"], args, label=label)

    async def callback(self, interaction: discord.Interaction[BriefbotClient]) -> None:  # type: ignore[override]
        await interaction.client.frontend.show_page(interaction, self.name, dict(self.args), self.page)


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
        view.add_item(PageButton(page - 1, name, args, label=f"◀ Page {page}"))
    if page < last:
        view.add_item(PageButton(page + 1, name, args, label=f"Page {page + 2} ▶"))
    return view
