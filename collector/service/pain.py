"""Pain reports as commands: ``pain SCORE [morning|evening|now] [NOTE…]``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

from analytics.alert_records import Alert, AlertKind
from collector.sinks.history.model import HistoryRecord, PainReport, PainWhen

USAGE = "expected 'pain SCORE [morning|evening|now] [note]' with SCORE a whole number 0–10"
NOTE_MAX = 500


def parse_pain(text: str, user: str, t_s: float) -> PainReport | str:
    """A pain report, or why the text is not one. ``t_s``: when it was reported."""
    words = text.strip().split()
    if not words or words[0].lower() != "pain":
        return f"not a pain report; {USAGE}"
    if len(words) < 2:
        return f"no score; {USAGE}"
    try:
        score = int(words[1])
    except ValueError:
        return f"pain score {words[1]!r} is not a whole number; {USAGE}"
    rest = words[2:]
    when = "now"
    if rest and rest[0].lower() in ("morning", "evening", "now"):
        when, rest = rest[0].lower(), rest[1:]
    note = " ".join(rest)
    if len(note) > NOTE_MAX:
        return f"the note is {len(note)} characters; keep it under {NOTE_MAX}"
    try:
        return PainReport(user, t_s, score, cast(PainWhen, when), note)
    except ValueError as exc:
        return f"{exc}; {USAGE}"


def record_pain(
    submit: Callable[[Sequence[HistoryRecord]], None] | None, user: str, text: str, t_s: float
) -> Alert:
    """The pain report ``text`` of ``user`` at ``t_s`` to the history (``submit``;
    None: no history store), and the answer to it."""
    ident = f"pain-{round(t_s * 1000)}"
    report = parse_pain(text, user, t_s)
    if isinstance(report, str):
        return Alert(ident, AlertKind.REJECTED, t_s, report, command=text.strip())
    if submit is None:
        msg = "No history store is configured: the pain report was not kept."
        return Alert(ident, AlertKind.REJECTED, t_s, msg, command=text.strip())
    submit([report])
    msg = f"Pain {report.score}/10 ({report.when}) recorded."
    return Alert(ident, AlertKind.STATUS, t_s, msg, command=text.strip())


def is_pain(text: str) -> bool:
    words = text.strip().split(maxsplit=1)
    return bool(words) and words[0].lower() == "pain"


def pain_refused(text: str, source: str, t_s: float) -> Alert:
    """The answer to a pain report from a channel that others may write (the MQTT
    command topic): pain is clinical data and comes only from the person."""
    return Alert(
        f"pain-{round(t_s * 1000)}",
        AlertKind.REJECTED,
        t_s,
        f"Pain scores are not taken from {source}: the person reports them with "
        "`sitload pain`, at the terminal, or on their own MQTT pain topic.",
        command=text.strip(),
    )
