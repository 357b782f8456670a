"""Curated digest files: one article = `NAME.yaml` (metadata and curated content) + `NAME.txt`.

The format is documented in `summaries/README.md`. This package owns the schema (`schema.py`),
YAML read with line numbers (`yaml_lines.py`), validation against the text (`validate.py`),
writing (`write.py`) and loading folders into the store (`load.py`).
"""

from bot.core.digest_files.errors import DigestFileError
from bot.core.digest_files.load import LoadReport, check_dir, digest_files, load_dir
from bot.core.digest_files.schema import FORMAT_VERSION, ID_PATTERN
from bot.core.digest_files.validate import SPEAKERS_FILE, ValidationContext, default_context, read_digest, validate
from bot.core.digest_files.write import dump_digest, slugify, write_digest_files
from bot.core.digest_files.yaml_lines import parse_yaml

__all__ = [
    "FORMAT_VERSION",
    "ID_PATTERN",
    "SPEAKERS_FILE",
    "DigestFileError",
    "LoadReport",
    "ValidationContext",
    "check_dir",
    "default_context",
    "digest_files",
    "dump_digest",
    "load_dir",
    "parse_yaml",
    "read_digest",
    "slugify",
    "validate",
    "write_digest_files",
]
