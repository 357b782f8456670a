"""Folding of names for forgiving lookup: case, accents, apostrophes, punctuation, spacing.

Shared by the gazetteer and the speaker registry so that both match the same way.
"""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = dict.fromkeys(map(ord, "'’ʼ`´‘"), None)
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def fold(text: str) -> str:
    """'Zaporizhzhia Oblast' -> 'zaporizhzhia oblast'; 'Chornomors’k' -> 'chornomorsk'; 'Kyïv' -> 'kyiv'."""
    text = text.translate(_APOSTROPHES)
    if not text.isascii():  # ASCII has no accents to drop (most names: the fast path)
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())


def clean_input(text: str, limit: int = 200) -> str:
    """User input for a lookup: control and format characters dropped, spaces collapsed, bounded."""
    kept = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    return " ".join(kept.split())[:limit]
