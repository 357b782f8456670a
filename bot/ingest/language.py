"""Language of an article's text, from its writing system and its function words.

Owns `detect_language(text, declared)`. Non-Latin scripts decide alone where they are
unambiguous (kana: ja, Hangul: ko, Han only: zh); otherwise the language whose stop-word list
(jusText's lists, installed with trafilatura; 61 languages used) covers most of the
text's words wins, among languages written in the same script. The page's `lang` attribute
is only a fallback: the benchmark pages show it is often wrong (German under lang="en").

Why not py3langid (trafilatura's optional detector): its model costs about 75 MB of memory in
every extraction process, nearly as much as the extractor itself; the stop-word lists of one
script cost about 10 MB, loaded once, and a text about 2 ms.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections import Counter

import justext

# Writing system -> the languages whose jusText stop-word list is used for it (ISO 639-1 and
# the list's name). A script with one language decides alone, without loading a list. Lists of
# minor varieties that overlap a major language and would steal its texts (Simple English,
# Aragonese, Malay for Indonesian...) are left out.
_BY_SCRIPT: dict[str, dict[str, str]] = {
    "LATIN": {
        "af": "Afrikaans", "sq": "Albanian", "az": "Azerbaijani", "eu": "Basque", "bs": "Bosnian",
        "ca": "Catalan", "hr": "Croatian", "cs": "Czech", "da": "Danish", "nl": "Dutch", "en": "English",
        "et": "Estonian", "fi": "Finnish", "fr": "French", "de": "German", "hu": "Hungarian",
        "is": "Icelandic", "id": "Indonesian", "ga": "Irish", "it": "Italian", "lv": "Latvian",
        "lt": "Lithuanian", "mt": "Maltese", "nb": "Norwegian_Bokmal", "nn": "Norwegian_Nynorsk",
        "pl": "Polish", "pt": "Portuguese", "ro": "Romanian", "sk": "Slovak", "sl": "Slovenian",
        "es": "Spanish", "sv": "Swedish", "tr": "Turkish", "uz": "Uzbek", "vi": "Vietnamese", "cy": "Welsh",
    },
    "CYRILLIC": {
        "be": "Belarusian", "bg": "Bulgarian", "kk": "Kazakh", "ky": "Kyrgyz", "mk": "Macedonian",
        "ru": "Russian", "sr": "Serbian", "uk": "Ukrainian",
    },
    "ARABIC": {"ar": "Arabic", "fa": "Persian", "ur": "Urdu"},
    "DEVANAGARI": {"hi": "Hindi", "mr": "Marathi", "ne": "Nepali"},
}  # fmt: skip
_SINGLE_SCRIPT = {
    "ARMENIAN": "hy", "BENGALI": "bn", "GEORGIAN": "ka", "GREEK": "el", "GUJARATI": "gu", "HEBREW": "he",
    "KANNADA": "kn", "HANGUL": "ko", "MALAYALAM": "ml", "TAMIL": "ta", "TELUGU": "te", "THAI": "th",
    "HIRAGANA": "ja", "KATAKANA": "ja",
}  # fmt: skip
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
def _stoplists(script: str) -> dict[str, frozenset[str]]:
    """ISO 639-1 code -> stop words, for the languages written in `script` (loaded once)."""
    return {code: frozenset(justext.get_stoplist(name)) for code, name in _BY_SCRIPT.get(script, {}).items()}


def detect_language(text: str, declared: str | None = None) -> str | None:
    """ISO 639-1 code of `text`, or the declared one (or None) when the text says too little."""
    sample = text[:1200]
    script = _dominant_script(sample[:400])
    if script == "CJK":
        return "ja" if re.search(r"[\u3040-\u30ff]", sample) else "zh"
    if script in _SINGLE_SCRIPT:
        return _SINGLE_SCRIPT[script]
    words = [w.lower() for w in _WORD.findall(sample)]
    if script == "CYRILLIC" and _UKRAINIAN_LETTERS.search(sample) and not _RUSSIAN_LETTERS.search(sample):
        return "uk"  # і ї є ґ are Ukrainian, ы э ъ Russian: the letters decide better than word lists
    best, best_score, best_hits = None, 0.0, 0
    for code, stop in _stoplists(script).items():
        hits = sum(1 for w in words if w in stop)
        # Lists range from 300 to 7,000 words; a long list must not win by its length.
        score = hits / math.sqrt(len(stop))
        if score > best_score:
            best, best_score, best_hits = code, score, hits
    if best is not None and best_hits >= MIN_HITS:
        return best
    return declared.split("-")[0].lower() if declared else None
