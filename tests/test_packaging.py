"""What a non-editable install gets: every package, and every data file the code reads.

pyproject lists packages and package data by hand (summaries/ is packaged as `bot.seed`), so a
new package or a new kind of data file (the tagger's .onnx) is easy to leave out of the wheel;
this test reads the list against the tree.
"""

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def package_folder(package: str) -> Path:
    for name, folder in CONFIG.get("package-dir", {}).items():
        if package == name:
            return ROOT / folder
    return ROOT / package.replace(".", "/")


def test_every_package_of_the_tree_is_listed() -> None:
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "bot").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    listed = set(CONFIG["packages"])
    assert found - listed == set(), "packages missing from pyproject"
    assert all(package_folder(p).is_dir() for p in listed)


def test_every_data_file_is_covered_by_package_data() -> None:
    data = CONFIG["package-data"]
    uncovered = []
    for package in CONFIG["packages"]:
        folder = package_folder(package)
        for path in folder.rglob("*"):
            if (
                not path.is_file()
                or path.suffix in {".py", ".pyc"}
                or (path.name == "README.md" and package != "bot.seed")
            ):
                continue
            owner = next(  # the nearest listed package holding the file
                p for p in sorted(CONFIG["packages"], key=len, reverse=True) if path.is_relative_to(package_folder(p))
            )
            if owner != package:
                continue
            relative = path.relative_to(folder).as_posix()
            if not any(fnmatch.fnmatch(relative, pattern) for pattern in data.get(package, [])):
                uncovered.append(str(path.relative_to(ROOT)))
    assert uncovered == []


def test_the_attribution_model_files_are_in_the_package() -> None:
    model = ROOT / "bot" / "extract" / "model"
    for name in ("encoder.onnx", "roles.onnx", "tokenizer.json", "MANIFEST.json"):
        assert (model / name).is_file(), name
        assert any(fnmatch.fnmatch(name, pattern) for pattern in CONFIG["package-data"]["bot.extract.model"])
