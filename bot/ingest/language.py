"""Language of an article's text, from its writing system and its function words.

Owns `detect_language(text, declared)`. Non-Latin scripts decide alone where they are
unambiguous (kana: ja, Hangul: ko, Han only: zh); otherwise the language whose stop-word list
(jusText's lists for ~100 languages, already installed with trafilatura) covers most of the
text's words wins, among languages written in the same script. The page's `lang` attribute
is only a fallback: the benchmark pages show it is often wrong (German under lang="en").

Why not py3langid (trafilatura's optional detector): its model costs about 75 MB of memory in
every extraction process, more than the whole extractor; this costs about 3 MB and 3 ms.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections import Counter

import justext
import pycountry

# Stop-word lists of minor varieties and regional languages that overlap a major one and
# would steal its texts (Simple English, Aragonese, Low Saxon...).
_SKIP = {
    "Simple_English", "Aragonese", "Asturian", "Aromanian", "Lombard", "Neapolitan", "Piedmontese",
    "Sicilian", "Samogitian", "Low_Saxon", "Walloon", "Volapuk", "Ido", "Waray_Waray",
    "Bishnupriya_Manipuri", "Newar", "Belarusian_Taraskievica", "Serbo_Croatian", "Occitan", "Latin",
    "Esperanto", "Cebuano", "Haitian", "West_Frisian", "Luxembourgish", "Javanese", "Sundanese",
    "Tagalog", "Malay", "Galician", "Chuvash", "Quechua", "Western_Panjabi", "Breton", "Igbo",
    "Yoruba", "Swahili", "Turkmen", "Kurdish",
}  # fmt: skip
_EXTRA_CODES = {"Norwegian_Bokmal": "nb", "Norwegian_Nynorsk": "nn", "Greek": "el", "Kyrgyz": "ky", "Nepali": "ne"}
_WORD = re.compile(r"\w+", re.UNICODE)
MIN_HITS = 3
_UKRAINIAN_LETTERS = re.compile(r"[іїєґІЇЄҐ]")
_RUSSIAN_LETTERS = re.compile(r"[ыэъЫЭЪ]")


def _script(ch: str) -> str:
    try:
        return unicodedata.name(ch).split(" ", 1)[0]
    except ValueError:
        return ""


def _dominant_script(text: str) -> str:
    counts = Counter(_script(ch) for ch in text if ch.isalpha())
    return counts.most_common(1)[0][0] if counts else ""


@functools.cache
def _stoplists() -> dict[str, tuple[str, frozenset[str]]]:
    """ISO 639-1 code -> (script, stop words)."""
    lists: dict[str, tuple[str, frozenset[str]]] = {}
    for name in justext.get_stoplists():
        if name in _SKIP:
            continue
        code = _EXTRA_CODES.get(name)
        if code is None:
            lang = pycountry.languages.get(name=name.replace("_", " "))
            code = getattr(lang, "alpha_2", None) if lang else None
        if not code:
            continue
        words = frozenset(justext.get_stoplist(name))
        lists[code] = (_dominant_script("".join(words)), words)
    return lists


def detect_language(text: str, declared: str | None = None) -> str | None:
    """ISO 639-1 code of `text`, or the declared one (or None) when the text says too little."""
    sample = text[:1200]
    script = _dominant_script(sample[:400])
    if script in {"HIRAGANA", "KATAKANA"} or (script == "CJK" and re.search(r"[\u3040-\u30ff]", sample)):
        return "ja"
    if script == "HANGUL":
        return "ko"
    if script == "CJK":
        return "zh"
    words = [w.lower() for w in _WORD.findall(sample)]
    if script == "CYRILLIC" and _UKRAINIAN_LETTERS.search(sample) and not _RUSSIAN_LETTERS.search(sample):
        return "uk"  # і ї є ґ are Ukrainian, ы э ъ Russian: the letters decide better than word lists
    best, best_score, best_hits = None, 0.0, 0
    for code, (list_script, stop) in _stoplists().items():
        if list_script != script:
            continue
        hits = sum(1 for w in words if w in stop)
        # Lists range from 300 to 7,000 words; a long list must not win by its length.
        score = hits / math.sqrt(len(stop))
        if score > best_score:
            best, best_score, best_hits = code, score, hits
    if best is not None and best_hits >= MIN_HITS:
        return best
    return declared.split("-")[0].lower() if declared else None
