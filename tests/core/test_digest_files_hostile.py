"""Digest files that try to crash or stall the loader: each is refused with `file:line: message`,
and every other file of the folder still loads."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bot.core import articles
from bot.core.db import Store
from bot.core.digest_files import check_dir, load_dir
from bot.core.digest_files.validate import MAX_DIGEST_BYTES
from tests.conftest import SEED_ID, SUMMARIES

SEED_YAML = (SUMMARIES / f"{SEED_ID}.yaml").read_text("utf-8")
ARTICLE = """format: 1
id: {id}
review: reviewed
article:
  title: A title
  publisher: Desk
  published: 2022-12-08
  url: https://desk.example/{id}
  text_file: {text_file}
key_points:
  - id: k1
    evidence: The front moved.
"""

HOSTILE: dict[str, tuple[str, str]] = {
    # name: (file content, what the refusal says)
    "a-alias-bomb": (
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
        + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n" for i in range(9)),
        "anchors and aliases",
    ),
    "b-recursive-alias": ("captions: &c [*c]\n", "anchors and aliases"),
    "c-deep": ("format: " + "[" * 950 + "]" * 950 + "\n", "nested more than"),
    "d-list-key": ("? [1, 2]\n: value\n", "a key must be plain text"),
    "e-dev-zero": (ARTICLE.format(id="e-dev-zero", text_file="/dev/zero"), "a file name, not a path"),
    "f-up-and-out": (ARTICLE.format(id="f-up-and-out", text_file="../outside.txt"), "a file name, not a path"),
    "g-two-documents": ("format: 1\n---\nformat: 2\n", "one document"),
    "h-not-yaml": ("format: [1, 2\n", "not valid YAML"),
}


def _good(folder: Path, name: str) -> None:
    (folder / f"{name}.txt").write_text("The front moved.", "utf-8")
    (folder / f"{name}.yaml").write_text(ARTICLE.format(id=name, text_file=f"{name}.txt"), "utf-8")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "summaries"
    folder.mkdir()
    shutil.copy(SUMMARIES / "speakers.yaml", folder)
    for name, (content, _) in HOSTILE.items():
        (folder / f"{name}.yaml").write_text(content, "utf-8")
    _good(folder, "z-good")  # sorted after every poisoned file
    return folder


def test_each_poisoned_file_is_refused_in_one_line_and_the_rest_loads(folder: Path, tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    report = load_dir(store, folder, workers=1)
    assert report.loaded == ["z-good.yaml"]
    refused = {Path(e.file).stem: str(e) for e in report.errors}
    assert set(refused) == set(HOSTILE)
    for name, (_, says) in HOSTILE.items():
        assert says in refused[name], refused[name]
        assert refused[name].startswith(f"{folder / name}.yaml:") or ".yaml:" in refused[name]
        assert "\n" not in refused[name] and len(refused[name]) < 300
    assert store.one("SELECT count(*) FROM articles") == (1,)


def test_check_refuses_the_same_files(folder: Path) -> None:
    report = check_dir(folder)
    assert report.loaded == ["z-good.yaml"] and len(report.errors) == len(HOSTILE)


def test_files_that_are_not_regular_files_inside_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "summaries"
    folder.mkdir()
    shutil.copy(SUMMARIES / "speakers.yaml", folder)
    (folder / "a-dir.yaml").mkdir()
    (folder / "b-dangling.yaml").symlink_to(tmp_path / "nowhere.yaml")
    outside = tmp_path / "outside"
    outside.mkdir()
    _good(outside, "c-outside")
    (folder / "c-outside.yaml").symlink_to(outside / "c-outside.yaml")
    (folder / "c-outside.txt").symlink_to(outside / "c-outside.txt")
    _good(folder, "d-good")
    (folder / "e-inside-link.yaml").symlink_to(folder / "d-good.yaml")  # inside the folder: a link is fine
    report = load_dir(Store(tmp_path / "s.db"), folder, workers=1)
    messages = {Path(e.file).name: e.message for e in report.errors}
    assert "is not a regular file" in messages["a-dir.yaml"]
    assert "does not exist (or is a dangling link)" in messages["b-dangling.yaml"]
    assert "points outside the digest folder" in messages["c-outside.yaml"]
    assert "d-good.yaml" in report.loaded
    assert "id 'd-good' must equal the file name 'e-inside-link'" in str(
        next(e for e in report.errors if "e-inside-link" in e.file)
    )


def test_text_with_nul_or_escape_bytes_is_refused_naming_the_line(tmp_path: Path) -> None:
    folder = tmp_path / "summaries"
    folder.mkdir()
    _good(folder, "nul")
    (folder / "nul.txt").write_text("The front moved.\nSecond line\x00 with a NUL", "utf-8")
    _good(folder, "esc")
    (folder / "esc.txt").write_text("The front moved.\n\n\x1b[31mred\x1b[0m", "utf-8")
    _good(folder, "rtl")
    (folder / "rtl.txt").write_text("The front moved.\u202e evil", "utf-8")
    report = load_dir(Store(tmp_path / "s.db"), folder, workers=1)
    messages = {Path(e.file).stem: str(e) for e in report.errors}
    assert "nul.txt:2: contains a control character (U+0000)" in messages["nul"]
    assert "esc.txt:3: contains a control character" in messages["esc"]
    assert "RIGHT-TO-LEFT OVERRIDE" in messages["rtl"]


def test_a_huge_file_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    folder = tmp_path / "summaries"
    folder.mkdir()
    _good(folder, "huge")
    points = "".join(f"  - id: k{i}\n    evidence: The front moved.\n" for i in range(200_000))
    (folder / "huge.yaml").write_text(ARTICLE.format(id="huge", text_file="huge.txt") + points, "utf-8")
    assert (folder / "huge.yaml").stat().st_size > MAX_DIGEST_BYTES
    [error] = load_dir(Store(tmp_path / "s.db"), folder, workers=1).errors
    assert "bytes; at most" in error.message


def test_deleting_the_digest_file_of_an_ingested_article_keeps_the_article_unreviewed(tmp_path: Path) -> None:
    folder = tmp_path / "summaries"
    folder.mkdir()
    _good(folder, "fetched")
    _good(folder, "curated-only")
    _good(folder, "stays")
    store = Store(tmp_path / "s.db")
    assert load_dir(store, folder, workers=1).ok
    store.write(
        lambda db: db.conn.execute("UPDATE articles SET fetched_at = '2022-12-08T10:00:00' WHERE id = 'fetched'")
    )
    store.write(
        lambda db: db.conn.execute("INSERT INTO article_urls VALUES ('https://desk.example/fetched', 'fetched')")
    )
    os.remove(folder / "fetched.yaml")
    os.remove(folder / "curated-only.yaml")
    report = load_dir(store, folder, workers=1)
    assert report.ok and sorted(report.removed) == ["curated-only.yaml", "fetched.yaml"]
    assert store.one("SELECT review, digest_file, key_point_count FROM articles WHERE id = 'fetched'") == (
        "none",
        None,
        0,
    )
    assert store.one("SELECT count(*) FROM key_points WHERE article_id = 'fetched'") == (0,)
    assert store.one("SELECT 1 FROM articles WHERE id = 'curated-only'") is None
    assert list(articles.loaded_file_names(store)) == [("stays.yaml", "stays")]


def test_loading_an_empty_folder_removes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "summaries"
    folder.mkdir()
    _good(folder, "kept")
    store = Store(tmp_path / "s.db")
    assert load_dir(store, folder, workers=1).ok
    empty = tmp_path / "empty"
    empty.mkdir()
    report = load_dir(store, empty, workers=1)
    assert not report.ok and report.removed == []
    assert "holds no digest files" in str(report.errors[0]) and "nothing removed" in str(report.errors[0])
    assert store.one("SELECT count(*) FROM articles") == (1,)
