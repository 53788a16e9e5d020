"""The one error type of the recording readers and writers.

A :class:`RecordingError` is a *permanent* error in the sense of the design: the file
is wrong, retrying will not help, and the message tells the person what to change.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path


class RecordingError(Exception):
    """A recording file cannot be read (or written).

    ``path`` is the file as the caller named it. ``row`` is the 1-based line number as
    a text editor shows it (for Parquet, the 1-based record number; ``row_word`` says
    which). ``column`` is the column name when one is to blame. ``message`` says what
    is wrong and what to do about it.

    ``str()`` is one line, for example::

        data.csv: row 17, column thigh_ax_g: 'abc' is not a number; fix or delete the row
    """

    path: Path
    message: str
    row: int | None
    column: str | None
    row_word: str

    def __init__(
        self,
        path: str | PathLike[str],
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        row_word: str = "row",
    ) -> None:
        super().__init__(path, message, row, column, row_word)
        self.path = Path(path)
        self.message = message
        self.row = row
        self.column = column
        self.row_word = row_word

    def __reduce__(self) -> tuple[object, ...]:
        return (
            _rebuild,
            (str(self.path), self.message, self.row, self.column, self.row_word),
        )

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"{self.row_word} {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        location = f"{self.path}: " + (", ".join(where) + ": " if where else "")
        return location + " ".join(self.message.split())


def _rebuild(
    path: str, message: str, row: int | None, column: str | None, row_word: str
) -> RecordingError:
    return RecordingError(path, message, row=row, column=column, row_word=row_word)
