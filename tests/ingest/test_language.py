"""Language detection from scripts and stop words (the page's lang attribute is a fallback)."""

from __future__ import annotations

import pytest

from bot.ingest.language import detect_language
from tests.ingest.conftest import GROUND_TRUTH


@pytest.mark.parametrize(
    "text, code",
    [
        ("The Kremlin is done seizing territory from Ukraine, a Russian spokesperson said on Thursday.", "en"),
        ("Der Kreml erklärte am Donnerstag, Russland wolle keine weiteren Gebiete der Ukraine erobern.", "de"),
        ("Le Kremlin a déclaré jeudi que la Russie ne cherchait plus à conquérir de territoire.", "fr"),
        ("Кремль заявил в четверг, что Россия больше не намерена захватывать территории Украины.", "ru"),
        ("Кремль заявив у четвер, що Росія більше не має наміру захоплювати території України.", "uk"),
        ("Kindle書籍を読む場合は、一般的にスマホやタブレットなどで読むことが多いと思います。", "ja"),
    ],
)
def test_languages(text: str, code: str) -> None:
    assert detect_language(text) == code


def test_declared_language_is_only_a_fallback() -> None:
    assert detect_language("Der Hund schläft im Haus und die Katze ist auch da.", "en") == "de"
    assert detect_language("12-7 34-10 56-3", "pt-BR") == "pt"
    assert detect_language("12-7 34-10") is None


def test_benchmark_pages_in_portuguese_and_german() -> None:
    codes = [detect_language(v["articleBody"]) for v in GROUND_TRUTH.values()]
    assert codes.count("en") >= 80
    assert codes.count("pt") == 2 and codes.count("de") == 2 and codes.count("id") == 2
