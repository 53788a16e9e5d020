"""The review's records (what :func:`analytics.review.review` returns, frozen) and
the thresholds it judges days and bouts by. Definitions: ``docs/report.md``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final, Literal

from analytics.adherence import AdherenceCounts
from analytics.compression import ExposureParams
from analytics.load_change import WeekChange
from analytics.review_rides import RideRow
from analytics.saddle_weeks import SaddleWeek

HIGH_COMPRESSION_S: Final = 6 * 3600.0
"""A day with more compression than this is a *high-compression day* (flags)."""
LONG_BOUT_S: Final = 3600.0
"""A compression bout longer than this is a *long bout*."""
CORRELATION_N_FLOOR: Final = 5
"""The rank correlation is reported only with at least this many pairs."""

AdherenceSource = Literal["daily", "alerts", "counted", "none"]


@dataclass(frozen=True, slots=True)
class DayAdherence:
    """Prompt adherence of one local day (definitions in docs/alerts.md)."""

    date: str
    prompted: int
    taken: int
    natural: int
    late: int
    snoozed: int
    ignored: int
    source: AdherenceSource

    @staticmethod
    def of(date: str, c: AdherenceCounts, source: AdherenceSource) -> DayAdherence:
        return DayAdherence(
            date, c.prompted, c.taken, c.natural, c.late, c.snoozed, c.ignored, source
        )

    @property
    def counts(self) -> AdherenceCounts:
        return AdherenceCounts(
            self.prompted, self.taken, self.natural, self.late, self.snoozed, self.ignored
        )

    @property
    def known(self) -> bool:
        return self.source != "none"

    @property
    def taken_share(self) -> float | None:
        """Share of the day's stand prompts followed by a taken break."""
        return self.taken / self.prompted if self.prompted else None


@dataclass(frozen=True, slots=True, kw_only=True)
class DayReview:
    """One local day. Times in seconds; bouts are those that start on the day. A day
    the timeline does not reach has only its date, weekday and adherence: every
    measure is zero and the day is not valid."""

    date: str
    weekday: str
    wear_s: float = 0.0
    valid: bool = False
    """Enough wear (``params.valid_day_wear_s``) for the day to count."""
    sitting_s: float = 0.0
    riding_seated_s: float = 0.0
    compression_s: float = 0.0
    """Sitting plus seated riding."""
    compression_bouts: int = 0
    bouts_gt30: int = 0
    """Compression bouts longer than 30 min."""
    long_bouts: int = 0
    """Compression bouts longer than the review's ``long_bout_s``."""
    longest_bout_s: float = 0.0
    """Longest compression bout that starts on the day."""
    sitting_bouts_gt30min: int = 0
    """activPAL sitting bouts (10 s rule) longer than 30 min."""
    sitting_bouts_gt60min: int = 0
    sit_to_stand: int = 0
    hip_gt90_s: float = 0.0
    """Time with hip flexion above 90° (seated and riding)."""
    hip_dose_deg_min: float = 0.0
    """Degree·minutes above 90°."""
    breaks_taken: int = 0
    micro_breaks: int = 0
    saddle_ride_s: float = 0.0
    saddle_seated_s: float = 0.0
    saddle_longest_seated_s: float = 0.0
    saddle_hip_gt90_s: float = 0.0
    adherence: DayAdherence
    high_compression: bool = False
    """More compression than the review's ``high_compression_s`` (valid days only)."""
    pain_next_morning: int | None = None
    pain_next_above_baseline: bool = False


@dataclass(frozen=True, slots=True)
class BoutDistribution:
    """Bouts of the range by length, in the activPAL bins of analytics.periods."""

    labels: tuple[str, ...]
    edges_s: tuple[float, ...]
    """Lower edges of the bins after the first."""
    sitting_counts: tuple[int, ...]
    """activPAL sitting bouts (ended by 10 s upright)."""
    sitting_time_s: tuple[float, ...]
    compression_counts: tuple[int, ...]
    """Compression bouts (ended by a break of ``break_s``)."""
    compression_time_s: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class LongBout:
    """One of the longest compression bouts of the range."""

    start_s: float
    date: str
    start_local: str
    """Local ``HH:MM``."""
    duration_s: float
    seated_s: float
    micro_breaks: int
    hip_gt90_s: float
    hip_dose_deg_min: float
    ended_by: str
    """``break``, ``gap`` (the sensor stopped) or ``open`` (end of the data)."""


@dataclass(frozen=True, slots=True)
class SaddleBout:
    """A seated riding bout (stands on the pedals shorter than 10 s stay inside)."""

    start_s: float
    date: str
    start_local: str
    duration_s: float
    hip_gt90_s: float
    """Seated time in the bout with hip flexion above 90°."""


@dataclass(frozen=True, slots=True)
class MorningPain:
    """A morning pain score and the previous local day's exposure."""

    date: str
    """The morning's local date."""
    t_s: float
    score: int
    above_baseline: bool
    previous_date: str
    previous_known: bool
    """The timeline covers the previous day."""
    previous_valid: bool
    """The previous day had enough wear; only such pairs enter the correlation."""
    previous_compression_s: float | None
    previous_long_bouts: int | None
    previous_hip_gt90_s: float | None
    previous_high_compression: bool | None


@dataclass(frozen=True, slots=True)
class Correlation:
    rho: float
    """Spearman's rank correlation, -1 … 1."""
    n: int


@dataclass(frozen=True, slots=True)
class PainResponse:
    baseline: float | None
    baseline_source: Literal["median", "given", "none"]
    mornings: tuple[MorningPain, ...]
    above: int
    """Mornings above baseline."""
    above_after_high: int
    """Mornings above baseline after a high-compression day."""
    after_high: int
    """Mornings after a high-compression day."""
    after_other: int
    """Mornings after a valid day that was not high-compression."""
    above_after_other: int
    pairs: int
    """Mornings whose previous day is valid (the correlation's candidates)."""
    correlation: Correlation | None
    """Only with at least CORRELATION_N_FLOOR pairs and varying series."""
    correlation_text: str


@dataclass(frozen=True, slots=True)
class WeekRow:
    """One ISO week: the load change (as ExposureReport.weeks) and context."""

    change: WeekChange
    days: int
    """Days of the week inside the range."""
    mean_hip_gt90_s: float | None
    """Mean over the week's valid days."""
    long_bouts: int
    mean_morning_pain: float | None
    """Mean of the week's morning scores that answer for days of the week."""


FlagKind = Literal[
    "no_data",
    "pain",
    "correlation",
    "load_change",
    "saddle_load",
    "long_bouts",
    "hip",
    "adherence",
    "wear",
]


@dataclass(frozen=True, slots=True)
class Flag:
    kind: FlagKind
    level: Literal["alert", "note"]
    """``alert``: worth discussing; ``note``: context."""
    text: str


@dataclass(frozen=True, slots=True)
class Totals:
    days: int
    valid_days: int
    wear_s: float
    compression_s: float
    mean_compression_valid_s: float | None
    """Mean daily compression over valid days."""
    high_compression_days: int
    long_bouts: int
    longest_bout_s: float
    hip_gt90_s: float
    hip_dose_deg_min: float
    mean_hip_gt90_valid_s: float | None
    saddle_seated_s: float
    adherence: DayAdherence
    """The range's sums (``source``: the weakest source of its days)."""


@dataclass(frozen=True, slots=True)
class Review:
    first_day: dt.date
    last_day: dt.date
    tz: str
    params: ExposureParams
    high_compression_s: float
    long_bout_s: float
    has_data: bool
    """Any wear in the range."""
    days: tuple[DayReview, ...]
    totals: Totals
    bins: BoutDistribution
    longest_bouts: tuple[LongBout, ...]
    any_riding: bool
    saddle_bouts: tuple[SaddleBout, ...]
    """The longest seated riding bouts (empty without riding)."""
    weeks: tuple[WeekRow, ...]
    pain: PainResponse
    flags: tuple[Flag, ...]
    """The flags, most important first (alerts before notes)."""
    rides: tuple[RideRow, ...] = ()
    """Every ride of the range (ride records and riding spells of the timeline)."""
    saddle_weeks: tuple[SaddleWeek, ...] = ()
    """The weekly saddle load (every ISO week of the range; empty without riding)."""


__all__ = [
    "CORRELATION_N_FLOOR",
    "HIGH_COMPRESSION_S",
    "LONG_BOUT_S",
    "AdherenceSource",
    "BoutDistribution",
    "Correlation",
    "DayAdherence",
    "DayReview",
    "Flag",
    "FlagKind",
    "LongBout",
    "MorningPain",
    "PainResponse",
    "Review",
    "SaddleBout",
    "Totals",
    "WeekRow",
]
