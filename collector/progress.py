"""The progress bar of a long command that counts what it has done (days read,
patients' reports written): one look everywhere, and gone when the work is."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress


def counting_bar(console: Console, label: str, unit: str, *, shown: bool = False) -> Progress:
    """``label ━━━━ done/total unit  time left`` on ``console``, transient; hidden
    when ``console`` is not a terminal unless ``shown`` (the caller decided). rich's
    progress module is imported only here (a cold report with no bar starts faster)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn(label),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} " + unit),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not (shown or console.is_terminal),
    )
