"""`.env.example` documents every setting, each with a one-line comment above it."""

from __future__ import annotations

import re

from bot.settings import ENV_NAMES
from tests.conftest import REPO


def test_env_example_documents_every_setting() -> None:
    lines = (REPO / ".env.example").read_text("utf-8").splitlines()
    documented = {}
    for i, line in enumerate(lines):
        m = re.match(r"^([A-Z_]+)=", line)
        if m:
            documented[m.group(1)] = lines[i - 1]
    assert set(documented) == set(ENV_NAMES.values())
    for name, comment in documented.items():
        assert comment.startswith("# ") and len(comment) > 10, name
