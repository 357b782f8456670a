"""Speaker registry: canonical names, aliases, forgiving lookup."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.speakers import SpeakerRegistry, SpeakerRegistryError, read_registry_file
from tests.conftest import SUMMARIES

REG = SpeakerRegistry(read_registry_file(SUMMARIES / "speakers.yaml"))


@pytest.mark.parametrize(
    "query",
    ["Peskov", "peskov", "PESKOV", "Dmitry Peskov", "Dmitri Peskov", "Песков", "Peskow", "Pescov", "dmitry-peskov"],
)
def test_peskov_is_found_forgivingly(query: str) -> None:
    match = REG.resolve(query)
    assert match is not None and match.speaker.id == "dmitry-peskov"


def test_unknown_speaker_gets_suggestions() -> None:
    assert REG.resolve("Boris Johnson") is None
    assert REG.suggest("Peskin")[0] == "Dmitry Peskov"


def test_autocomplete_prefers_canonical_names() -> None:
    choices = REG.complete("pesk")
    assert choices[0] == ("Dmitry Peskov", "dmitry-peskov")
    assert len(REG.complete("")) <= 25


def test_registry_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "speakers.yaml"
    bad.write_text("speakers:\n  - name: Nobody\n", "utf-8")
    with pytest.raises(SpeakerRegistryError, match="needs an id"):
        read_registry_file(bad)
    bad.write_text("speakers:\n  - {id: x, name: X, kind: robot}\n", "utf-8")
    with pytest.raises(SpeakerRegistryError, match="kind must be"):
        read_registry_file(bad)
