"""The README against the code (as sqlite-utils tests its docs): every chat command and every
command-line command is documented, and the documented review subcommands exist."""

from __future__ import annotations

import click

from bot.cli import cli
from bot.commands import COMMANDS
from tests.conftest import REPO

README = (REPO / "README.md").read_text("utf-8")


def test_every_chat_command_is_in_the_readme_table() -> None:
    table = README.split("## Commands", 1)[1].split("The command line:", 1)[0]
    for name in COMMANDS:
        assert f"`/{name}" in table, f"/{name} is missing from the README's command table"


def _leaves(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            out += _leaves(command, (*path, name))
        else:
            out.append((*path, name))
    return out


def test_every_command_line_command_is_in_the_readme() -> None:
    table = README.split("The command line:", 1)[1].split("## Discord and Slack", 1)[0]
    for words in _leaves(cli):
        if words == ("review", "list"):
            words = ("review",)  # documented as plain `briefbot review`
        spelled = [f"`briefbot {' '.join(words)}", f"`{' '.join(words[-2:])}"]
        assert any(s in table for s in spelled), f"briefbot {' '.join(words)} is not in the README's command table"
