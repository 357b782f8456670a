"""The schema of a digest file (pydantic): fields, types, vocabulary, and the format version.

Values arrive as strings from the YAML reader (`yaml_lines.py`); pydantic types them and says
where a value is wrong, which the validator turns into `file:line: field: message`.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.core.models import ClaimType, ItemState, QuoteKind

FORMAT_VERSION = 1
ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,120}$"
_ID = ID_PATTERN


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class ArticleIn(_Strict):
    title: str = Field(min_length=1)
    publisher: str = Field(min_length=1)
    author: str | None = None
    published: dt.date
    url: str = Field(pattern=r"^https?://\S+$")
    language: str = "en"
    text_file: str = Field(min_length=1)


class DecisionIn(_Strict):
    state: ItemState
    by: str = Field(min_length=1, max_length=200)
    at: dt.datetime


class ItemReviewIn(_Strict):
    """`review:` of one item: its state, who decided and when; an edit's former values; the
    decisions before this one."""

    state: ItemState
    by: str | None = Field(default=None, min_length=1, max_length=200)
    at: dt.datetime | None = None
    was: dict[str, str] = {}
    history: list[DecisionIn] = []

    @field_validator("at")
    @classmethod
    def _aware(cls, v: dt.datetime | None) -> dt.datetime | None:
        if v is not None and v.tzinfo is None:
            raise ValueError("a decision's time needs its offset (e.g. 2026-12-01T09:30:00+00:00)")
        return v


class KeyPointIn(_Strict):
    id: str = Field(pattern=_ID)
    evidence: str = Field(min_length=1)
    review: ItemReviewIn | None = None


class QuoteIn(_Strict):
    id: str = Field(pattern=_ID)
    speaker: str = Field(min_length=1)
    mention: str = Field(min_length=1)
    role: str = ""
    kind: QuoteKind
    words: str = Field(min_length=1)
    cue: str | None = None
    via: str | None = None
    said_on: str | None = None
    confidence: float | None = Field(default=None, ge=0, le=1)
    review: ItemReviewIn | None = None


class ClaimIn(_Strict):
    id: str = Field(pattern=_ID)
    region: str = Field(min_length=1)
    claim: ClaimType
    actor: str = Field(min_length=1)
    asserted_by: str = Field(min_length=1)
    evidence: str = Field(min_length=1)
    via: str | None = None
    when: str | None = None
    confidence: float | None = Field(default=None, ge=0, le=1)
    review: ItemReviewIn | None = None


class ContradictionIn(_Strict):
    id: str = Field(pattern=_ID)
    a: str = Field(min_length=1)
    b: str = Field(min_length=1)
    why: str = Field(min_length=1, max_length=300)
    regions: list[str] = []
    confirmed: bool = True
    review: ItemReviewIn | None = None


class DigestFileIn(_Strict):
    format: int
    id: str = Field(pattern=_ID)
    review: Literal["reviewed", "draft", "none"]  # none: an ingested article's skeleton, not yet curated
    article: ArticleIn
    captions: list[str] = []
    key_points: list[KeyPointIn] = []
    quotes: list[QuoteIn] = []
    claims: list[ClaimIn] = []
    contradictions: list[ContradictionIn] = []

    @field_validator("format")
    @classmethod
    def _known_format(cls, v: int) -> int:
        if v != FORMAT_VERSION:
            raise ValueError(f"format {v} is not known to this briefbot (it reads format {FORMAT_VERSION})")
        return v

    @field_validator("captions")
    @classmethod
    def _non_empty(cls, v: list[str]) -> list[str]:
        if any(not c.strip() for c in v):
            raise ValueError("a caption cannot be empty")
        return v
