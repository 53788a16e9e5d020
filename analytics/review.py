"""The physiotherapist's review of a date range: what happened to the tendon, day by
day, next to the pain the patient reported (pure: numpy + stdlib, time passed in).

Inputs are the history of one person:

* a per-second :class:`~analytics.records.Timeline` (posture, hip flexion) that covers
  the range (it may start earlier: a day before the range serves only as the
  "previous day" of the first morning's pain score);
* the live service's alerts (anything with ``t_s``, ``kind`` and ``payload``, such as
  ``collector.sinks.history.model.EventRecord`` with ``source == "alert"``);
* the live service's daily counters (``DailyRecord``: ``date``, ``prompted`` …);
* pain reports (``PainReport``: ``t_s``, ``score`` 0–10, ``when``).

The records are read through small protocols, so this module never imports the
collector. Everything heavy is :func:`analytics.exposure.exposure_report`.

Definitions (see ``docs/report.md``):

* **Days** are local calendar days of ``tz``, ``first_day`` to ``last_day``
  inclusive. A day is *valid* with at least ``params.valid_day_wear_s`` of wear (10 h by
  default); a day with less is shown as *low wear*, never as a good day.
* **Compression** is seated time: sitting plus seated riding. A **long bout** is a
  compression bout longer than ``long_bout_s`` (60 min). Bouts belong to the day in
  which they start, with their full length.
* **Bout distribution**: the activPAL bins of :mod:`analytics.periods`
  (< 30 min, 30–60 min, 1–2 h, 2–4 h, ≥ 4 h), for activPAL sitting bouts (ended by
  10 s upright) and for compression bouts (ended by a break of ``break_s``).
* **Adherence** per day, from the first source that has the day: the live service's
  daily record (``daily``); else the counters carried by the day's last alert
  (``alerts``); else counted here (``counted``): stand prompts and snoozes from the
  alerts, breaks from the timeline's compression bouts, with the rules of
  docs/alerts.md (a break within ``taken_within_s`` of the bout's last prompt is
  taken, a later one late; a prompt followed by another prompt, a late break or a
  gap is ignored; a break in a bout without a prompt is natural). Counting ignores
  snoozes' extension of the taken window, quiet hours and working hours, so it is an
  approximation. Without any alerts or daily records adherence is unknown
  (``none``).
* **24-hour response**: each *morning* pain report on a local day ``M`` (the first
  one if there are several) is paired with the previous local day ``M − 1``. The
  mornings used are those of ``first_day`` … ``last_day + 1`` (the morning after the
  last day answers for it). The **baseline** is the median of those morning scores,
  unless one is given. A morning is *above baseline* when its score is strictly
  greater. The **rank correlation** (Spearman, average ranks for ties) between the
  previous day's compression time and the morning score uses only mornings whose
  previous day is valid; it is reported only when there are at least
  :data:`CORRELATION_N_FLOOR` of them and both series vary.
* **Week over week**: :func:`analytics.load_change.load_change` over the range's
  days, exactly as :attr:`analytics.exposure.ExposureReport.weeks`.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import tzinfo
from typing import Any, Final, Literal, Protocol
from zoneinfo import ZoneInfo

import numpy as np

from analytics.alerts import STAND_PROMPTS, AlertKind
from analytics.compression import BoutEnd, CompressionBout, ExposureParams
from analytics.exposure import ExposureReport, PeriodExposure, exposure_report
from analytics.load_change import DailyExposure, WeekChange, load_change
from analytics.periods import BOUT_BIN_EDGES_S, BOUT_BIN_LABELS
from analytics.records import FloatArray, Timeline
from analytics.rules import RULES
from analytics.saddle import SaddleContext

HIGH_COMPRESSION_S: Final = 6 * 3600.0
"""A day with more compression than this is a *high-compression day* (flags)."""
LONG_BOUT_S: Final = 3600.0
"""A compression bout longer than this is a *long bout*."""
CORRELATION_N_FLOOR: Final = 5
"""The rank correlation is reported only with at least this many pairs."""
SADDLE_STAND_S: Final = RULES.saddle_stand_s
"""Standing on the pedals this long ends a saddle bout (as analytics/saddle.py)."""

AdherenceSource = Literal["daily", "alerts", "counted", "none"]
_WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_STAND_PROMPT_KINDS: Final = frozenset(k.value for k in STAND_PROMPTS)
_COUNTER_KEYS: Final = ("prompted", "taken", "natural", "late", "snoozed", "ignored")


# --------------------------------------------------------------------------- inputs


class AlertLike(Protocol):
    """An alert as the history keeps it (``EventRecord`` with ``source == "alert"``)."""

    @property
    def t_s(self) -> float: ...
    @property
    def kind(self) -> str: ...
    @property
    def payload(self) -> Mapping[str, Any]: ...


class DailyLike(Protocol):
    """The live service's counters of one local day (``DailyRecord``)."""

    @property
    def date(self) -> str: ...
    @property
    def prompted(self) -> int: ...
    @property
    def taken(self) -> int: ...
    @property
    def natural(self) -> int: ...
    @property
    def late(self) -> int: ...
    @property
    def snoozed(self) -> int: ...
    @property
    def ignored(self) -> int: ...


class PainLike(Protocol):
    """A pain report (``PainReport``)."""

    @property
    def t_s(self) -> float: ...
    @property
    def score(self) -> int: ...
    @property
    def when(self) -> str: ...


@dataclass(frozen=True, slots=True)
class AlertMark:
    """A plain alert, for callers without history records (tests, replays)."""

    t_s: float
    kind: str
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PainScore:
    """A plain pain report, for callers without history records."""

    t_s: float
    score: int
    when: str = "morning"


# --------------------------------------------------------------------------- results


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

    @property
    def known(self) -> bool:
        return self.source != "none"

    @property
    def taken_share(self) -> float | None:
        """Share of the day's stand prompts followed by a taken break."""
        return self.taken / self.prompted if self.prompted else None


@dataclass(frozen=True, slots=True)
class DayReview:
    """One local day. Times in seconds; bouts are those that start on the day."""

    date: str
    weekday: str
    wear_s: float
    valid: bool
    """Enough wear (``params.valid_day_wear_s``) for the day to count."""
    sitting_s: float
    riding_seated_s: float
    compression_s: float
    """Sitting plus seated riding."""
    compression_bouts: int
    bouts_gt30: int
    """Compression bouts longer than 30 min."""
    long_bouts: int
    """Compression bouts longer than the review's ``long_bout_s``."""
    longest_bout_s: float
    """Longest compression bout that starts on the day."""
    sitting_bouts_gt30min: int
    """activPAL sitting bouts (10 s rule) longer than 30 min."""
    sitting_bouts_gt60min: int
    sit_to_stand: int
    hip_gt90_s: float
    """Time with hip flexion above 90° (seated and riding)."""
    hip_dose_deg_min: float
    """Degree·minutes above 90°."""
    breaks_taken: int
    micro_breaks: int
    saddle_ride_s: float
    saddle_seated_s: float
    saddle_longest_seated_s: float
    saddle_hip_gt90_s: float
    adherence: DayAdherence
    high_compression: bool
    """More compression than the review's ``high_compression_s`` (valid days only)."""
    pain_next_morning: int | None
    pain_next_above_baseline: bool


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
    "no_data", "pain", "correlation", "load_change", "long_bouts", "hip", "adherence", "wear"
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


# --------------------------------------------------------------------------- helpers


def zone_of(tz: str | tzinfo) -> tzinfo:
    """A ``tzinfo`` from an IANA name (``ZoneInfoNotFoundError`` if unknown)."""
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def _zone_name(tz: str | tzinfo) -> str:
    return tz if isinstance(tz, str) else str(getattr(tz, "key", None) or tz)


def local_midnight_s(day: dt.date, zone: tzinfo) -> float:
    """Unix time of the first instant of local ``day``."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()


def _local(t_s: float, zone: tzinfo) -> dt.datetime:
    return dt.datetime.fromtimestamp(t_s, zone)


def _date_of(t_s: float, zone: tzinfo) -> str:
    """The local ISO date of ``t_s``. Every zone's offset is a whole number of quarter
    hours, so the date is constant over each UTC quarter hour: cached by it."""
    return _quarter_date(math.floor(t_s / 900.0), zone)


@functools.lru_cache(maxsize=4096)
def _quarter_date(quarter: int, zone: tzinfo) -> str:
    return _local(quarter * 900.0, zone).date().isoformat()


def _dates(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def rank(x: FloatArray) -> FloatArray:
    """Ranks 1 … n, ties given their average rank."""
    n = x.shape[0]
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(n, dtype=np.float64)
    ranks[order] = np.arange(1, n + 1, dtype=np.float64)
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return np.asarray(sums[inverse] / counts[inverse], dtype=np.float64)


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's rank correlation (Pearson's r of the average ranks); None with fewer
    than 2 pairs or when either series is constant."""
    a = np.asarray(x, dtype=np.float64)
    b = np.asarray(y, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError("x and y must be 1-D and of the same length")
    if a.shape[0] < 2:
        return None
    ra, rb = rank(a), rank(b)
    da, db = ra - ra.mean(), rb - rb.mean()
    den = math.sqrt(float(np.dot(da, da)) * float(np.dot(db, db)))
    if den == 0.0:
        return None
    return max(-1.0, min(1.0, float(np.dot(da, db)) / den))


def hm(seconds: float) -> str:
    """``2 h 05 min`` / ``35 min``."""
    minutes = round(seconds / 60.0)
    h, m = divmod(minutes, 60)
    return f"{h} h {m:02d} min" if h else f"{m} min"


def threshold_words(seconds: float) -> str:
    """A threshold in words: ``6 h``, ``90 min``, ``1 h``."""
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    return f"{seconds / 60:g} min"


def _score(x: float) -> str:
    return f"{x:g}"


# --------------------------------------------------------------------------- adherence


_NONE_COUNTS = (0, 0, 0, 0, 0, 0)


def _counted_adherence(
    bouts: Sequence[CompressionBout],
    alerts: Sequence[AlertLike],
    zone: tzinfo,
    break_s: float,
    taken_within_s: float,
) -> dict[str, list[int]]:
    """Counters per local date, reconstructed from stand prompts, snoozes and the
    compression bouts (see the module docstring)."""
    out: dict[str, list[int]] = {}

    def add(t_s: float, key: str, n: int = 1) -> None:
        if n:
            out.setdefault(_date_of(t_s, zone), [0] * 6)[_COUNTER_KEYS.index(key)] += n

    prompts = sorted(a.t_s for a in alerts if a.kind in _STAND_PROMPT_KINDS)
    for a in alerts:
        if a.kind == AlertKind.SNOOZED.value:
            add(a.t_s, "snoozed")
    starts = np.array([b.start_s for b in bouts], dtype=np.float64)
    ends = np.array([b.end_s for b in bouts], dtype=np.float64)
    which = np.searchsorted(starts, np.array(prompts, dtype=np.float64), side="right") - 1
    in_bout: dict[int, list[float]] = {}
    for t, i in zip(prompts, which.tolist(), strict=True):
        add(t, "prompted")
        if i >= 0 and t <= ends[i] + 1.0:
            in_bout.setdefault(i, []).append(t)
    for i, b in enumerate(bouts):
        ps = in_bout.get(i, [])
        for _earlier, later in itertools.pairwise(ps):
            add(later, "ignored")  # passed without a break: the next level came
        done = b.end_s + break_s
        if b.ended_by == BoutEnd.BREAK:
            if not ps:
                add(done, "natural")
            elif done <= ps[-1] + taken_within_s + 1e-6:
                add(done, "taken")
            else:
                add(done, "late")
                add(done, "ignored")
        elif b.ended_by == BoutEnd.GAP and ps:
            add(b.end_s, "ignored")
    return out


def _payload_adherence(alerts: Sequence[AlertLike]) -> dict[str, tuple[float, list[int]]]:
    """The counters carried by each date's last alert (``payload["adherence"]``)."""
    out: dict[str, tuple[float, list[int]]] = {}
    for a in alerts:
        adh = a.payload.get("adherence") if a.payload else None
        if not isinstance(adh, Mapping) or not isinstance(adh.get("date"), str):
            continue
        try:
            counts = [int(adh.get(k, 0) or 0) for k in _COUNTER_KEYS]
        except (TypeError, ValueError):
            continue
        date = str(adh["date"])
        if date not in out or a.t_s >= out[date][0]:
            out[date] = (a.t_s, counts)
    return out


def _adherence(
    days: Sequence[str],
    daily: Sequence[DailyLike],
    alerts: Sequence[AlertLike],
    bouts: Sequence[CompressionBout],
    zone: tzinfo,
    params: ExposureParams,
    taken_within_s: float,
) -> dict[str, DayAdherence]:
    by_daily = {d.date: d for d in daily}
    payload = _payload_adherence(alerts)
    counted = (
        _counted_adherence(bouts, alerts, zone, params.break_s, taken_within_s) if alerts else {}
    )
    out: dict[str, DayAdherence] = {}
    for day in days:
        rec = by_daily.get(day)
        if rec is not None:
            c = [int(getattr(rec, k)) for k in _COUNTER_KEYS]
            source: AdherenceSource = "daily"
        elif day in payload:
            c, source = payload[day][1], "alerts"
        elif alerts:
            c, source = counted.get(day, [0] * 6), "counted"
        else:
            c, source = list(_NONE_COUNTS), "none"
        out[day] = DayAdherence(day, c[0], c[1], c[2], c[3], c[4], c[5], source)
    return out


_SOURCE_ORDER: Final[tuple[AdherenceSource, ...]] = ("none", "counted", "alerts", "daily")


def _sum_adherence(rows: Sequence[DayAdherence]) -> DayAdherence:
    known = [r for r in rows if r.known]
    if not known:
        return DayAdherence("total", 0, 0, 0, 0, 0, 0, "none")
    source = min((r.source for r in known), key=_SOURCE_ORDER.index)
    return DayAdherence(
        "total",
        sum(r.prompted for r in known),
        sum(r.taken for r in known),
        sum(r.natural for r in known),
        sum(r.late for r in known),
        sum(r.snoozed for r in known),
        sum(r.ignored for r in known),
        source,
    )


# --------------------------------------------------------------------------- saddle


def saddle_bouts(tl: Timeline, stand_s: float = SADDLE_STAND_S) -> list[SaddleBout]:
    """Seated riding bouts of the whole timeline, with the rules of analytics/saddle.py
    (local dates and times in UTC: :func:`review` re-dates them)."""
    first, last_end, hip90 = SaddleContext(tl).bouts(stand_s)
    dt_s = tl.dt_s
    out = []
    for k in range(first.shape[0]):
        start_s = tl.t0_s + float(first[k]) * dt_s
        out.append(
            SaddleBout(
                start_s=start_s,
                date="",
                start_local="",
                duration_s=float(last_end[k] - first[k]) * dt_s,
                hip_gt90_s=float(hip90[k]) * dt_s,
            )
        )
    return out


# --------------------------------------------------------------------------- pain


def _pain_response(
    pain: Sequence[PainLike],
    zone: tzinfo,
    first_day: dt.date,
    last_day: dt.date,
    day_rows: Mapping[str, PeriodExposure],
    long_by_day: Mapping[str, int],
    high_s: float,
    baseline: float | None,
) -> PainResponse:
    lo, hi = first_day.isoformat(), (last_day + dt.timedelta(days=1)).isoformat()
    firsts: dict[str, PainLike] = {}
    for p in sorted(pain, key=lambda r: r.t_s):
        if p.when != "morning":
            continue
        d = _date_of(p.t_s, zone)
        if lo <= d <= hi and d not in firsts:
            firsts[d] = p
    scores = [firsts[d].score for d in sorted(firsts)]
    if baseline is not None:
        base: float | None = float(baseline)
        base_source: Literal["median", "given", "none"] = "given"
    elif scores:
        base, base_source = float(np.median(scores)), "median"
    else:
        base, base_source = None, "none"
    mornings: list[MorningPain] = []
    for d in sorted(firsts):
        p = firsts[d]
        prev = (dt.date.fromisoformat(d) - dt.timedelta(days=1)).isoformat()
        row = day_rows.get(prev)
        known = row is not None
        valid = row is not None and row.measures.valid
        comp = row.compression_s if row is not None else None
        hip90 = row.hip_at(RULES.hip_flexion_limit_deg) if row is not None else None
        mornings.append(
            MorningPain(
                date=d,
                t_s=p.t_s,
                score=int(p.score),
                above_baseline=base is not None and p.score > base,
                previous_date=prev,
                previous_known=known,
                previous_valid=valid,
                previous_compression_s=comp,
                previous_long_bouts=long_by_day.get(prev, 0) if known else None,
                previous_hip_gt90_s=hip90.total_s if hip90 is not None else None,
                previous_high_compression=(comp is not None and comp > high_s) if valid else None,
            )
        )
    pairs = [m for m in mornings if m.previous_valid and m.previous_compression_s is not None]
    corr: Correlation | None = None
    if len(pairs) >= CORRELATION_N_FLOOR:
        rho = spearman(
            [m.previous_compression_s or 0.0 for m in pairs], [float(m.score) for m in pairs]
        )
        if rho is not None:
            corr = Correlation(rho, len(pairs))
    after_high = [m for m in pairs if m.previous_high_compression]
    after_other = [m for m in pairs if not m.previous_high_compression]
    return PainResponse(
        baseline=base,
        baseline_source=base_source,
        mornings=tuple(mornings),
        above=sum(m.above_baseline for m in mornings),
        above_after_high=sum(m.above_baseline for m in after_high),
        after_high=len(after_high),
        after_other=len(after_other),
        above_after_other=sum(m.above_baseline for m in after_other),
        pairs=len(pairs),
        correlation=corr,
        correlation_text=correlation_text(corr, len(pairs)),
    )


def correlation_text(corr: Correlation | None, pairs: int) -> str:
    """A cautious sentence about the rank correlation."""
    if corr is None:
        if pairs < CORRELATION_N_FLOOR:
            return (
                f"Too few mornings with a valid previous day (n = {pairs}) for a rank "
                f"correlation; it needs at least {CORRELATION_N_FLOOR}."
            )
        return (
            f"No rank correlation: pain or compression did not vary over the {pairs} "
            "mornings with a valid previous day."
        )
    r = corr.rho
    stat = f"Spearman ρ = {r:+.2f}, n = {corr.n} mornings"
    if abs(r) < 0.2:
        return (
            f"Previous-day compression and next-morning pain showed no clear association "
            f"({stat}). A short series cannot rule an effect in or out."
        )
    strength = "weak" if abs(r) < 0.4 else ("moderate" if abs(r) < 0.6 else "strong")
    direction = "more" if r > 0 else "less"
    return (
        f"Days with more compression tended to be followed by {direction} morning pain: "
        f"a {strength} rank correlation ({stat}). Over a short series this is a pointer "
        "for discussion, not proof of cause: other loads and chance also move pain."
    )


# --------------------------------------------------------------------------- review


def _empty_timeline(t0_s: float, t1_s: float) -> Timeline:
    t0 = math.floor(t0_s)
    n = max(0, math.ceil(t1_s) - t0)
    return Timeline(
        t0_s=int(t0),
        posture=np.zeros(n, dtype=np.int8),
        hip_flexion_deg=np.full(n, np.nan),
    )


def _day_review(
    date: str,
    pe: PeriodExposure | None,
    day_bouts: Sequence[CompressionBout],
    adherence: DayAdherence,
    high_s: float,
    long_s: float,
) -> DayReview:
    weekday = _WEEKDAYS[dt.date.fromisoformat(date).weekday()]
    longest = max((b.duration_s for b in day_bouts), default=0.0)
    gt30 = sum(1 for b in day_bouts if b.duration_s > 1800.0)
    n_long = sum(1 for b in day_bouts if b.duration_s > long_s)
    if pe is None:
        return DayReview(
            date=date,
            weekday=weekday,
            wear_s=0.0,
            valid=False,
            sitting_s=0.0,
            riding_seated_s=0.0,
            compression_s=0.0,
            compression_bouts=0,
            bouts_gt30=0,
            long_bouts=0,
            longest_bout_s=0.0,
            sitting_bouts_gt30min=0,
            sitting_bouts_gt60min=0,
            sit_to_stand=0,
            hip_gt90_s=0.0,
            hip_dose_deg_min=0.0,
            breaks_taken=0,
            micro_breaks=0,
            saddle_ride_s=0.0,
            saddle_seated_s=0.0,
            saddle_longest_seated_s=0.0,
            saddle_hip_gt90_s=0.0,
            adherence=adherence,
            high_compression=False,
            pain_next_morning=None,
            pain_next_above_baseline=False,
        )  # the timeline does not reach this day
    m = pe.measures
    hip90 = pe.hip_at(RULES.hip_flexion_limit_deg)
    assert hip90 is not None  # exposure_report always measures 90°
    return DayReview(
        date=date,
        weekday=weekday,
        wear_s=m.wear_s,
        valid=m.valid,
        sitting_s=m.sitting_s,
        riding_seated_s=m.riding_seated_s,
        compression_s=pe.compression_s,
        compression_bouts=pe.compression_bouts,
        bouts_gt30=gt30,
        long_bouts=n_long,
        longest_bout_s=longest,
        sitting_bouts_gt30min=m.sitting_bouts_gt30min,
        sitting_bouts_gt60min=m.sitting_bouts_gt60min,
        sit_to_stand=m.sit_to_stand,
        hip_gt90_s=hip90.total_s,
        hip_dose_deg_min=hip90.total_dose_deg_min,
        breaks_taken=pe.breaks_taken,
        micro_breaks=pe.micro_breaks,
        saddle_ride_s=pe.saddle.ride_s,
        saddle_seated_s=pe.saddle.seated_s,
        saddle_longest_seated_s=pe.saddle.longest_seated_bout_s,
        saddle_hip_gt90_s=pe.saddle.seated_hip_gt90_s,
        adherence=adherence,
        high_compression=m.valid and pe.compression_s > high_s,
        pain_next_morning=None,
        pain_next_above_baseline=False,
    )


def _bins(days: Sequence[PeriodExposure], bouts: Sequence[CompressionBout]) -> BoutDistribution:
    k = len(BOUT_BIN_LABELS)
    s_counts = [0] * k
    s_time = [0.0] * k
    for d in days:
        for i in range(k):
            s_counts[i] += d.measures.bout_bins.counts[i]
            s_time[i] += d.measures.bout_bins.time_s[i]
    lengths = np.array([b.duration_s for b in bouts], dtype=np.float64)
    which = np.searchsorted(np.array(BOUT_BIN_EDGES_S), lengths, side="right")
    c_counts = np.bincount(which, minlength=k)
    c_time = np.bincount(which, weights=lengths, minlength=k)
    return BoutDistribution(
        labels=tuple(BOUT_BIN_LABELS),
        edges_s=tuple(BOUT_BIN_EDGES_S),
        sitting_counts=tuple(s_counts),
        sitting_time_s=tuple(s_time),
        compression_counts=tuple(int(x) for x in c_counts),
        compression_time_s=tuple(float(x) for x in c_time),
    )


def review(
    timeline: Timeline,
    alerts: Sequence[AlertLike] = (),
    daily: Sequence[DailyLike] = (),
    pain: Sequence[PainLike] = (),
    *,
    tz: str | tzinfo,
    first_day: dt.date | None = None,
    last_day: dt.date | None = None,
    baseline: float | None = None,
    params: ExposureParams | None = None,
    taken_within_s: float = 600.0,
    high_compression_s: float = HIGH_COMPRESSION_S,
    long_bout_s: float = LONG_BOUT_S,
    longest_n: int = 10,
    report: ExposureReport | None = None,
) -> Review:
    """The review of local days ``first_day`` … ``last_day`` (default: every day the
    timeline touches). ``tz``: IANA name or tzinfo; ``baseline``: the patient's
    baseline morning pain (default: the median of the morning scores);
    ``taken_within_s``: the alert policy's taken window (for counted adherence);
    ``report``: the timeline's exposure report if the caller already has it (it must
    have been made with the same ``params`` and ``tz``)."""
    if baseline is not None and not 0.0 <= baseline <= 10.0:
        raise ValueError(f"baseline must be 0–10, got {baseline!r}")
    p = params or ExposureParams()
    zone = zone_of(tz)
    tl = timeline
    if first_day is None or last_day is None:
        if tl.n == 0:
            raise ValueError("an empty timeline needs first_day and last_day")
        end_s = tl.t0_s + tl.n * tl.dt_s
        first_day = first_day or _local(float(tl.t0_s), zone).date()
        last_day = last_day or _local(end_s - 1e-6, zone).date()
    if last_day < first_day:
        raise ValueError(f"last_day {last_day} is before first_day {first_day}")
    range_lo = local_midnight_s(first_day, zone)
    range_hi = local_midnight_s(last_day + dt.timedelta(days=1), zone)
    if tl.n == 0:
        tl = _empty_timeline(range_lo, range_hi)
    rep = report if report is not None else exposure_report(tl, p, tz=zone)
    day_rows = {d.measures.date: d for d in rep.days}
    dates = [d.isoformat() for d in _dates(first_day, last_day)]

    bouts_by_day: dict[str, list[CompressionBout]] = {}
    for b in rep.bouts:
        bouts_by_day.setdefault(_date_of(b.start_s, zone), []).append(b)
    long_by_day = {
        d: sum(1 for b in bs if b.duration_s > long_bout_s) for d, bs in bouts_by_day.items()
    }
    adherence = _adherence(dates, daily, alerts, rep.bouts, zone, p, taken_within_s)
    pain_resp = _pain_response(
        pain, zone, first_day, last_day, day_rows, long_by_day, high_compression_s, baseline
    )
    pain_after = {
        (dt.date.fromisoformat(m.date) - dt.timedelta(days=1)).isoformat(): m
        for m in pain_resp.mornings
    }

    days: list[DayReview] = []
    for d in dates:
        row = _day_review(
            d,
            day_rows.get(d),
            bouts_by_day.get(d, []),
            adherence[d],
            high_compression_s,
            long_bout_s,
        )
        m = pain_after.get(d)
        if m is not None:
            row = _replace_pain(row, m.score, m.above_baseline)
        days.append(row)

    range_bouts = [b for b in rep.bouts if range_lo <= b.start_s < range_hi]
    longest = sorted(range_bouts, key=lambda b: (-b.duration_s, b.start_s))[:longest_n]
    long_rows = tuple(
        LongBout(
            start_s=b.start_s,
            date=_date_of(b.start_s, zone),
            start_local=_local(b.start_s, zone).strftime("%H:%M"),
            duration_s=b.duration_s,
            seated_s=b.seated_s,
            micro_breaks=b.micro_breaks,
            hip_gt90_s=b.hip_gt90_s,
            hip_dose_deg_min=b.hip_dose_deg_min,
            ended_by=str(b.ended_by),
        )
        for b in longest
    )
    in_range_pe = [day_rows[d] for d in dates if d in day_rows]
    any_riding = any(r.saddle_ride_s > 0 for r in days)
    s_bouts: list[SaddleBout] = []
    if any_riding:
        for sb in saddle_bouts(tl):
            if range_lo <= sb.start_s < range_hi:
                loc = _local(sb.start_s, zone)
                s_bouts.append(
                    SaddleBout(
                        sb.start_s,
                        loc.date().isoformat(),
                        loc.strftime("%H:%M"),
                        sb.duration_s,
                        sb.hip_gt90_s,
                    )
                )
        s_bouts.sort(key=lambda b: (-b.duration_s, b.start_s))
    weeks = _weeks(days, pain_resp, p.load_change_flag)
    totals = _totals(days, range_bouts, long_bout_s)
    has_data = totals.wear_s > 0
    flags = _flags(
        days, totals, weeks, pain_resp, long_rows, has_data, high_compression_s, long_bout_s, p
    )
    return Review(
        first_day=first_day,
        last_day=last_day,
        tz=_zone_name(tz),
        params=p,
        high_compression_s=high_compression_s,
        long_bout_s=long_bout_s,
        has_data=has_data,
        days=tuple(days),
        totals=totals,
        bins=_bins(in_range_pe, range_bouts),
        longest_bouts=long_rows,
        any_riding=any_riding,
        saddle_bouts=tuple(s_bouts[:longest_n]),
        weeks=weeks,
        pain=pain_resp,
        flags=flags,
    )


def _replace_pain(row: DayReview, score: int, above: bool) -> DayReview:
    return replace(row, pain_next_morning=score, pain_next_above_baseline=above)


def _weeks(days: Sequence[DayReview], pain: PainResponse, flag: float) -> tuple[WeekRow, ...]:
    changes = load_change(
        [DailyExposure(dt.date.fromisoformat(d.date), d.compression_s, d.valid) for d in days],
        flag,
    )
    by_week: dict[dt.date, list[DayReview]] = {}
    for d in days:
        day = dt.date.fromisoformat(d.date)
        by_week.setdefault(day - dt.timedelta(days=day.weekday()), []).append(d)
    pain_by_prev = {m.previous_date: m.score for m in pain.mornings}
    rows = []
    for w in changes:
        ds = by_week.get(w.week_start, [])
        valid = [d for d in ds if d.valid]
        scores = [pain_by_prev[d.date] for d in ds if d.date in pain_by_prev]
        rows.append(
            WeekRow(
                change=w,
                days=len(ds),
                mean_hip_gt90_s=(sum(d.hip_gt90_s for d in valid) / len(valid)) if valid else None,
                long_bouts=sum(d.long_bouts for d in ds),
                mean_morning_pain=(sum(scores) / len(scores)) if scores else None,
            )
        )
    return tuple(rows)


def _totals(
    days: Sequence[DayReview], range_bouts: Sequence[CompressionBout], long_s: float
) -> Totals:
    valid = [d for d in days if d.valid]
    return Totals(
        days=len(days),
        valid_days=len(valid),
        wear_s=sum(d.wear_s for d in days),
        compression_s=sum(d.compression_s for d in days),
        mean_compression_valid_s=(
            sum(d.compression_s for d in valid) / len(valid) if valid else None
        ),
        high_compression_days=sum(d.high_compression for d in days),
        long_bouts=sum(1 for b in range_bouts if b.duration_s > long_s),
        longest_bout_s=max((b.duration_s for b in range_bouts), default=0.0),
        hip_gt90_s=sum(d.hip_gt90_s for d in days),
        hip_dose_deg_min=sum(d.hip_dose_deg_min for d in days),
        mean_hip_gt90_valid_s=(sum(d.hip_gt90_s for d in valid) / len(valid) if valid else None),
        saddle_seated_s=sum(d.saddle_seated_s for d in days),
        adherence=_sum_adherence([d.adherence for d in days]),
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _pain_flag(pain: PainResponse, high: str) -> Flag:
    """The next-morning conclusion. Only mornings whose previous day is valid say
    anything about the load ("tolerated", "followed days with high compression");
    scores after days without enough data are shown, never concluded from."""
    base = f"{_score(pain.baseline or 0.0)}/10, " + (
        "given" if pain.baseline_source == "given" else "the median of the mornings"
    )
    n = len(pain.mornings)
    after_valid = [m for m in pain.mornings if m.previous_valid]
    unpaired = n - len(after_valid)
    if not after_valid:
        it = "it" if n == 1 else "them"
        no_valid = (
            f"{_plural(n, 'morning pain score')}, but no valid day before {it}: not enough "
            "data for a conclusion about the load."
        )
        if pain.above:
            return Flag(
                "pain",
                "alert",
                f"{pain.above} of {n} mornings had pain above baseline ({base}); the days "
                f"before them had too little or no sensor data: not enough data to relate "
                "it to the load.",
            )
        return Flag("pain", "note", no_valid)
    rest = (
        f" {_plural(unpaired, 'more morning score')} "
        f"follow{'s' if unpaired == 1 else ''} a day without enough data."
        if unpaired
        else ""
    )
    above_valid = sum(m.above_baseline for m in after_valid)
    if pain.above_after_high:
        return Flag(
            "pain",
            "alert",
            f"{pain.above_after_high} of {above_valid} mornings with pain above baseline "
            f"({base}) followed days with {high} compression. After such days "
            f"{pain.above_after_high} of {pain.after_high} mornings were above baseline; "
            f"after other valid days {pain.above_after_other} of {pain.after_other}." + rest,
        )
    if above_valid:
        return Flag(
            "pain",
            "alert",
            f"{above_valid} of {len(after_valid)} mornings after a valid day had pain above "
            f"baseline ({base}); none of those days had {high} compression." + rest,
        )
    return Flag(
        "pain",
        "note",
        f"No morning pain above baseline ({base}) in the {_plural(len(after_valid), 'morning')} "
        "after a valid day: the load was tolerated." + rest,
    )


def _flags(
    days: Sequence[DayReview],
    totals: Totals,
    weeks: Sequence[WeekRow],
    pain: PainResponse,
    longest: Sequence[LongBout],
    has_data: bool,
    high_s: float,
    long_s: float,
    p: ExposureParams,
) -> tuple[Flag, ...]:
    alerts: list[Flag] = []
    notes: list[Flag] = []
    if not has_data:
        alerts.append(Flag("no_data", "alert", "No sensor data in this date range."))
    high = f"> {threshold_words(high_s)}"
    if pain.baseline is not None and pain.mornings:
        flag = _pain_flag(pain, high)
        (alerts if flag.level == "alert" else notes).append(flag)
    elif has_data:
        notes.append(Flag("pain", "note", "No morning pain scores in this range."))
    if pain.correlation is not None:
        notes.append(Flag("correlation", "note", pain.correlation_text))
    for w in weeks:
        c = w.change
        if c.flagged and c.change is not None:
            alerts.append(
                Flag(
                    "load_change",
                    "alert",
                    f"Week of {c.week_start.isoformat()}: daily compression "
                    f"{c.change * 100:+.0f} % against the week before "
                    f"(beyond ±{p.load_change_flag * 100:.0f} %).",
                )
            )
    if totals.long_bouts and longest:
        top = longest[0]
        alerts.append(
            Flag(
                "long_bouts",
                "alert",
                f"{totals.long_bouts} compression bouts over {threshold_words(long_s)}; "
                f"the longest "
                f"{hm(top.duration_s)} on {top.date} from {top.start_local}.",
            )
        )
    if totals.hip_gt90_s >= 60.0:
        worst = max(days, key=lambda d: d.hip_gt90_s)
        mean = totals.mean_hip_gt90_valid_s
        per_day = f"{hm(mean)} per valid day, " if mean is not None else ""
        notes.append(
            Flag(
                "hip",
                "note",
                f"Hip flexion above 90°: {per_day}most on {worst.date} "
                f"({hm(worst.hip_gt90_s)}, {worst.hip_dose_deg_min:.0f} deg·min).",
            )
        )
    a = totals.adherence
    if a.prompted:
        share = a.taken / a.prompted * 100
        notes.append(
            Flag(
                "adherence",
                "note",
                f"Breaks taken after {a.taken} of {a.prompted} stand prompts ({share:.0f} %); "
                f"{a.ignored} ignored, {a.snoozed} snoozed, {a.natural} breaks without a "
                "prompt"
                + (" (counted from alerts, approximate)" if a.source == "counted" else "")
                + ".",
            )
        )
    low = [d for d in days if not d.valid and d.wear_s > 0]
    none = [d for d in days if d.wear_s == 0]
    if has_data and (low or none):
        parts = []
        if low:
            parts.append(
                f"{len(low)} with too little wear (< {threshold_words(p.valid_day_wear_s)})"
            )
        if none:
            parts.append(f"{len(none)} without any data")
        k = len(low) + len(none)
        notes.append(
            Flag(
                "wear",
                "note",
                f"{k} of {len(days)} days {'is' if k == 1 else 'are'} not valid: "
                + " and ".join(parts)
                + "; left out of means and comparisons, never counted as good days.",
            )
        )
    return tuple(alerts + notes)


__all__ = [
    "CORRELATION_N_FLOOR",
    "HIGH_COMPRESSION_S",
    "LONG_BOUT_S",
    "AlertLike",
    "AlertMark",
    "BoutDistribution",
    "Correlation",
    "DailyLike",
    "DayAdherence",
    "DayReview",
    "Flag",
    "LongBout",
    "MorningPain",
    "PainLike",
    "PainResponse",
    "PainScore",
    "Review",
    "SaddleBout",
    "Totals",
    "WeekRow",
    "correlation_text",
    "hm",
    "local_midnight_s",
    "rank",
    "review",
    "saddle_bouts",
    "spearman",
    "threshold_words",
    "zone_of",
]
