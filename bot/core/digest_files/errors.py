"""The one error of digest files: what is wrong, in which file, at which line, in which field."""

from __future__ import annotations


class DigestFileError(ValueError):
    """A digest file that cannot be accepted; names the file, the line and the field."""

    def __init__(self, file: str, line: int | None, field: str, message: str):
        self.file, self.line, self.field, self.message = file, line, field, message
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")

    def __reduce__(self) -> tuple:  # errors travel back from the loader's worker processes
        return (DigestFileError, (self.file, self.line, self.field, self.message))
