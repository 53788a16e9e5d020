"""The review's sentences: every piece of English the review record carries (the
flags' texts and the correlation sentence), in one catalogue (pure).

Why here and not in collector/review/: the sentences are part of the
:class:`~analytics.review_records.Review` record (``Flag.text``,
``PainResponse.correlation_text``), which every output format carries as it is, the
HTML page, the CSV's sources and the JSON object alike; so they are made where the
review is made. They are kept apart from the arithmetic (:mod:`analytics.review_flags`
decides which flags are raised and how loud) so the wording can be reviewed and
changed without touching a number. Durations are written by :mod:`analytics.durations`.
"""

from __future__ import annotations

from analytics.durations import format_h_min, format_threshold
from analytics.review_records import CORRELATION_N_FLOOR, Correlation, PainResponse
from analytics.rules import RULES

HIP_LIMIT = f"{RULES.hip_flexion_limit_deg:g}°"
"""The hip flexion limit as the review writes it (``90°``)."""
POSTURE_HOLD = f"{RULES.posture_hold_s} s"
"""The activPAL posture rule's hold (``10 s``)."""
SADDLE_STAND = f"{RULES.saddle_stand_s:g} s"
"""Standing on the pedals this long ends a saddle bout (``10 s``)."""


def plural(n: int, word: str) -> str:
    """``1 morning``, ``2 mornings``."""
    return f"{n} {word}" + ("" if n == 1 else "s")


def high_compression_words(high_s: float) -> str:
    """``> 6 h``."""
    return f"> {format_threshold(high_s)}"


def baseline_words(pain: PainResponse) -> str:
    """``3/10, given`` or ``3/10, the median of the mornings``."""
    return f"{pain.baseline or 0.0:g}/10, " + (
        "given" if pain.baseline_source == "given" else "the median of the mornings"
    )


# --------------------------------------------------------------------------- pain


def pain_without_valid_days(n: int) -> str:
    it = "it" if n == 1 else "them"
    return (
        f"{plural(n, 'morning pain score')}, but no valid day before {it}: not enough "
        "data for a conclusion about the load."
    )


def pain_above_without_valid_days(above: int, n: int, base: str) -> str:
    return (
        f"{above} of {n} mornings had pain above baseline ({base}); the days "
        f"before them had too little or no sensor data: not enough data to relate "
        "it to the load."
    )


def pain_unpaired_tail(unpaired: int) -> str:
    """The sentence added about mornings after days without enough data (or none)."""
    if not unpaired:
        return ""
    return (
        f" {plural(unpaired, 'more morning score')} "
        f"follow{'s' if unpaired == 1 else ''} a day without enough data."
    )


def pain_after_high_days(pain: PainResponse, above_valid: int, base: str, high: str) -> str:
    return (
        f"{pain.above_after_high} of {above_valid} mornings with pain above baseline "
        f"({base}) followed days with {high} compression. After such days "
        f"{pain.above_after_high} of {pain.after_high} mornings were above baseline; "
        f"after other valid days {pain.above_after_other} of {pain.after_other}."
    )


def pain_above_not_after_high_days(above_valid: int, after_valid: int, base: str, high: str) -> str:
    return (
        f"{above_valid} of {after_valid} mornings after a valid day had pain above "
        f"baseline ({base}); none of those days had {high} compression."
    )


def pain_tolerated(after_valid: int, base: str) -> str:
    return (
        f"No morning pain above baseline ({base}) in the {plural(after_valid, 'morning')} "
        "after a valid day: the load was tolerated."
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


# --------------------------------------------------------------------------- other flags

NO_DATA = "No sensor data in this date range."
NO_PAIN_SCORES = "No morning pain scores in this range."


def load_change(week_start: str, change: float, flag: float) -> str:
    return (
        f"Week of {week_start}: daily compression "
        f"{change * 100:+.0f} % against the week before "
        f"(beyond ±{flag * 100:.0f} %)."
    )


def saddle_load_change(week_start: str, change: float | None, saddle_s: float, flag: float) -> str:
    if change is None:
        return (
            f"Week of {week_start}: {format_h_min(saddle_s)} on the saddle after a week "
            "without rides (a sudden return in load)."
        )
    return (
        f"Week of {week_start}: saddle time {change * 100:+.0f} % against the week before "
        f"(beyond ±{flag * 100:.0f} %), {format_h_min(saddle_s)} in the week."
    )


def long_bouts(n: int, long_s: float, longest_s: float, date: str, start_local: str) -> str:
    return (
        f"{n} compression bouts over {format_threshold(long_s)}; the longest "
        f"{format_h_min(longest_s)} on {date} from {start_local}."
    )


def hip(mean_valid_s: float | None, worst_date: str, worst_s: float, worst_dose: float) -> str:
    per_day = f"{format_h_min(mean_valid_s)} per valid day, " if mean_valid_s is not None else ""
    return (
        f"Hip flexion above {HIP_LIMIT}: {per_day}most on {worst_date} "
        f"({format_h_min(worst_s)}, {worst_dose:.0f} deg·min)."
    )


def adherence(
    taken: int, prompted: int, ignored: int, snoozed: int, natural: int, counted: bool
) -> str:
    share = taken / prompted * 100
    return (
        f"Breaks taken after {taken} of {prompted} stand prompts ({share:.0f} %); "
        f"{ignored} ignored, {snoozed} snoozed, {natural} breaks without a prompt"
        + (" (counted from alerts, approximate)" if counted else "")
        + "."
    )


def wear(low: int, none: int, days: int, valid_day_wear_s: float) -> str:
    parts = []
    if low:
        parts.append(f"{low} with too little wear (< {format_threshold(valid_day_wear_s)})")
    if none:
        parts.append(f"{none} without any data")
    k = low + none
    return (
        f"{k} of {days} days {'is' if k == 1 else 'are'} not valid: "
        + " and ".join(parts)
        + "; left out of means and comparisons, never counted as good days."
    )
