"""The error every reading step raises for a file that cannot be a survey export."""

from __future__ import annotations

from pathlib import Path


class ExportError(ValueError):
    """A raw export that cannot be read; the message names the file (and row/column) and what to do."""

    def __init__(self, path: str | Path, problem: str, row: int | None = None, column: str | None = None):
        where = str(path)
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column '{column}'"
        super().__init__(f"{where}: {problem}")
        self.path, self.problem, self.row, self.column = str(path), problem, row, column
