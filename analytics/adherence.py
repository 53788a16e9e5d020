"""Prompt adherence: the rules that decide what a stand prompt was followed by,
defined once (pure; see docs/alerts.md).

The live alert policy (:mod:`analytics.alert_rules`) applies them step by step as the
day goes; the review (:mod:`analytics.review_adherence`) applies them afterwards to
the alerts and compression bouts the history kept. Both count with these functions,
so a break is *taken*, *late* or *natural* by the same rule in both:

* a stand prompt at ``t`` sets the deadline :func:`taken_by_s` (``t`` plus the
  policy's ``taken_within_s``);
* an upright spell from ``u`` becomes a break at :func:`break_done_s` (``u`` plus
  ``ExposureParams.break_s``, the one break length of :mod:`analytics.rules`);
* :func:`break_outcome`: a break in a bout without a prompt is *natural*; one done
  by the deadline of the bout's last prompt is *taken*; a later one is *late*;
* :func:`prompt_counts`, :func:`break_counts`, :func:`gap_counts`: what each event
  adds to the day's counters (a prompt that follows a prompt, a late break and a gap
  that ends a prompted bout each count the prompt as *ignored*).
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from typing import Final

SAME_INSTANT_S: Final = 1e-4
"""Times this close count as the same instant (a break done exactly at the deadline
is taken)."""


@dataclass(frozen=True, slots=True)
class AdherenceCounts:
    """Counters of stand prompts and breaks (one day's, or one event's share)."""

    prompted: int = 0
    taken: int = 0
    """Prompts followed by a break done by the deadline."""
    natural: int = 0
    """Breaks in bouts without a prompt."""
    late: int = 0
    """Breaks done after the deadline."""
    snoozed: int = 0
    ignored: int = 0
    """Prompts that passed without a break in time."""

    def __add__(self, other: AdherenceCounts) -> AdherenceCounts:
        return AdherenceCounts(
            prompted=self.prompted + other.prompted,
            taken=self.taken + other.taken,
            natural=self.natural + other.natural,
            late=self.late + other.late,
            snoozed=self.snoozed + other.snoozed,
            ignored=self.ignored + other.ignored,
        )


COUNTER_NAMES: Final = tuple(f.name for f in dataclasses.fields(AdherenceCounts))
"""The counters' names, in their order (as the live service stores them)."""
NO_COUNTS: Final = AdherenceCounts()
SNOOZE_COUNTS: Final = AdherenceCounts(snoozed=1)


class BreakOutcome(enum.StrEnum):
    NATURAL = "natural"
    """The bout had no prompt."""
    TAKEN = "taken"
    """Done by the deadline of the bout's last prompt."""
    LATE = "late"
    """Done after it."""


def taken_by_s(prompt_s: float, taken_within_s: float) -> float:
    """The deadline a stand prompt at ``prompt_s`` sets: a break done by then is taken
    (``taken_within_s``: ``AlertParams.taken_within_s``)."""
    return prompt_s + taken_within_s


def break_done_s(upright_from_s: float, break_s: float) -> float:
    """When an upright spell from ``upright_from_s`` has become a break
    (``break_s``: ``ExposureParams.break_s``)."""
    return upright_from_s + break_s


def break_outcome(done_s: float, deadline_s: float | None) -> BreakOutcome:
    """A break done at ``done_s`` in a bout whose last prompt set ``deadline_s``
    (:func:`taken_by_s`, moved on by snoozes and short gaps in the live policy);
    ``None``: the bout had no prompt."""
    if deadline_s is None:
        return BreakOutcome.NATURAL
    if done_s <= deadline_s + SAME_INSTANT_S:
        return BreakOutcome.TAKEN
    return BreakOutcome.LATE


def prompt_counts(after_prompt: bool) -> AdherenceCounts:
    """A stand prompt; ``after_prompt``: the bout already had one, which thereby passed
    without a break (ignored)."""
    return AdherenceCounts(prompted=1, ignored=int(after_prompt))


_BREAK_COUNTS: Final = {
    BreakOutcome.NATURAL: AdherenceCounts(natural=1),
    BreakOutcome.TAKEN: AdherenceCounts(taken=1),
    BreakOutcome.LATE: AdherenceCounts(late=1, ignored=1),
}


def break_counts(outcome: BreakOutcome) -> AdherenceCounts:
    """A break: a late one also counts its prompt as ignored."""
    return _BREAK_COUNTS[outcome]


def gap_counts(prompted: bool) -> AdherenceCounts:
    """A sensor gap long enough to end the bout: its prompt (if any) was ignored."""
    return AdherenceCounts(ignored=int(prompted))


__all__ = [
    "COUNTER_NAMES",
    "NO_COUNTS",
    "SAME_INSTANT_S",
    "SNOOZE_COUNTS",
    "AdherenceCounts",
    "BreakOutcome",
    "break_counts",
    "break_done_s",
    "break_outcome",
    "gap_counts",
    "prompt_counts",
    "taken_by_s",
]
