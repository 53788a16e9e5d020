"""The sections of the review page, in the order a physiotherapist asks the
questions: the two-minute summary (flags first, then a few figures), bout lengths,
the longest bouts, breaks against prompts, saddle time, week over week, next-morning
pain, day by day, and how the figures are made (the daily and hip sections are a
chart alone: :mod:`collector.review.html` places them)."""

from __future__ import annotations

from analytics.durations import format_h_colon_min, format_h_min, format_min, format_threshold
from analytics.review_records import CORRELATION_N_FLOOR, DayReview, Review
from analytics.review_wording import HIP_LIMIT, POSTURE_HOLD
from collector.plural import counted
from collector.review.chart_kit import Chart, bin_label
from collector.review.html_kit import (
    SECTIONS,
    esc,
    figure_html,
    flag_label,
    html_section,
    html_table,
)
from collector.review.meta import ReportMeta


def summary_section(r: Review, meta: ReportMeta) -> str:
    t = r.totals
    parts: list[str] = []
    if not r.has_data:
        parts.append(
            '<div class="banner" role="alert"><strong>No data.</strong> The history holds '
            f"no sensor data for {esc(meta.user)} from {r.first_day} to {r.last_day}. "
            "Check the date range and that the sensor was worn and the service running."
            "</div>"
        )
    items = [
        f'<li class="flag {f.level}"><span class="tag">{esc(flag_label(f.kind))}</span> '
        f"{esc(f.text)}</li>"
        for f in r.flags
    ]
    parts.append('<h3 id="h-flags">Flags</h3>')
    parts.append(
        f'<ul class="flags" aria-labelledby="h-flags">{"".join(items)}</ul>'
        if items
        else "<p>Nothing to flag.</p>"
    )
    a = t.adherence
    tiles = [
        ("valid days", f"{t.valid_days} of {t.days}"),
        (
            "compression per valid day",
            format_h_min(t.mean_compression_valid_s)
            if t.mean_compression_valid_s is not None
            else "–",
        ),
        (f"days over {format_threshold(r.high_compression_s)}", str(t.high_compression_days)),
        (f"bouts over {format_threshold(r.long_bout_s)}", str(t.long_bouts)),
        ("longest bout", format_h_min(t.longest_bout_s) if t.longest_bout_s else "–"),
        (
            f"hip > {HIP_LIMIT} per valid day",
            format_h_min(t.mean_hip_gt90_valid_s) if t.mean_hip_gt90_valid_s is not None else "–",
        ),
        (
            "prompts followed by a break",
            f"{a.taken} of {a.prompted}" if a.known else "unknown",
        ),
        (
            "mornings above baseline",
            f"{r.pain.above} of {len(r.pain.mornings)}" if r.pain.mornings else "no scores",
        ),
    ]
    if r.any_riding:
        tiles.extend(saddle_tiles(r))
    parts.append(
        '<dl class="tiles">'
        + "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in tiles)
        + "</dl>"
    )
    links = "".join(
        f'<li><a href="#{k}">{esc(title)}</a></li>'
        for k, title in SECTIONS[1:]
        if k != "saddle" or r.any_riding
    )
    parts.append(f'<nav aria-label="Sections" class="toc"><ol>{links}</ol></nav>')
    return html_section("summary", "".join(parts))


def saddle_tiles(r: Review) -> list[tuple[str, str]]:
    """Seated saddle time. Rides whose file cannot tell seated from standing (no thigh
    sensor, no rider position) make it a lower bound, never a 0: their riding time is
    shown beside it."""
    seated = r.totals.saddle_seated_s
    unknown = [x for x in r.rides if x.seated_s is None]
    if not unknown:
        return [("seated saddle time", format_h_min(seated))]
    return [
        ("seated saddle time", f"at least {format_h_min(seated)}" if seated > 0 else "unknown"),
        (
            f"riding, seated not known ({counted(len(unknown), 'ride')})",
            format_h_min(sum(x.riding_s for x in unknown)),
        ),
    ]


def longest_section(r: Review) -> str:
    rows = [
        [
            f"{b.date} {b.start_local}",
            format_h_min(b.duration_s),
            format_h_min(b.seated_s),
            str(b.micro_breaks),
            format_h_min(b.hip_gt90_s) if b.hip_gt90_s else "0",
            f"{b.hip_dose_deg_min:.0f}",
            {"break": "a break", "gap": "sensor gap", "open": "end of data"}.get(
                b.ended_by, b.ended_by
            ),
        ]
        for b in r.longest_bouts
    ]
    if not rows:
        return html_section("longest", "<p>No compression bouts in the range.</p>")
    table = html_table(
        f"The {len(rows)} longest compression bouts (local start time)",
        [
            "start",
            "length",
            "seated",
            "micro-breaks",
            f"hip > {HIP_LIMIT}",
            "dose (deg·min)",
            "ended by",
        ],
        rows,
        cls="num",
    )
    note = (
        '<p class="note">A compression bout runs through micro-breaks (upright for less '
        f"than {format_min(r.params.break_s)}) and ends with a real break, a sensor gap "
        "or the end of the data.</p>"
    )
    return html_section("longest", table + note)


def bouts_section(r: Review, chart: Chart) -> str:
    b = r.bins
    rows = [
        [bin_label(lab), str(cn), format_h_colon_min(ct), str(sn), format_h_colon_min(st)]
        for lab, cn, ct, sn, st in zip(
            b.labels,
            b.compression_counts,
            b.compression_time_s,
            b.sitting_counts,
            b.sitting_time_s,
            strict=True,
        )
    ]
    table = html_table(
        "Bouts by length (times h:mm)",
        ["length", "compression bouts", "time", "activPAL sitting bouts", "time"],
        rows,
        cls="num",
    )
    return html_section("bouts", figure_html(chart) + table)


def adherence_section(r: Review, chart: Chart | None) -> str:
    a = r.totals.adherence
    sources = sorted({d.adherence.source for d in r.days})
    words = {
        "daily": "the live service's daily counters",
        "alerts": "the counters carried by the alerts",
        "counted": "counted here from the alerts and the bouts (approximate)",
        "none": "no alert data (the live service did not run)",
    }
    src = "; ".join(
        f"{sum(d.adherence.source == s for d in r.days)} days: {words[s]}" for s in sources
    )
    if not a.known or chart is None:
        return html_section(
            "adherence",
            "<p>No stand-prompt data in this range: the live service did not record alerts "
            "or daily counters, so adherence is unknown.</p>",
        )
    rows = [
        [
            "range",
            str(a.prompted),
            str(a.taken),
            str(a.late),
            str(a.ignored),
            str(a.natural),
            str(a.snoozed),
        ]
    ]
    table = html_table(
        "Stand prompts and breaks over the range",
        ["", "prompts", "taken", "late", "ignored", "breaks without prompt", "snoozes"],
        rows,
        cls="num",
    )
    return html_section(
        "adherence", figure_html(chart) + table + f'<p class="note">Sources: {esc(src)}.</p>'
    )


def weeks_section(r: Review) -> str:
    rows, classes = [], []
    for w in r.weeks:
        c = w.change
        change = "–" if c.change is None else f"{c.change * 100:+.0f} %"
        rows.append(
            [
                c.week_start.isoformat(),
                f"{c.valid_days} of {w.days}",
                format_h_colon_min(c.mean_daily_compression_s),
                change + (" ⚑ flagged" if c.flagged else ""),
                format_h_colon_min(w.mean_hip_gt90_s),
                str(w.long_bouts),
                "–" if w.mean_morning_pain is None else f"{w.mean_morning_pain:.1f}",
            ]
        )
        classes.append("flagged" if c.flagged else "")
    table = html_table(
        "ISO weeks (Monday first); means over valid days",
        [
            "week of",
            "valid days",
            "compression / day",
            "change",
            f"hip > {HIP_LIMIT} / day",
            f"bouts > {format_threshold(r.long_bout_s)}",
            "next-morning pain",
        ],
        rows,
        row_classes=classes,
        cls="num",
    )
    note = (
        f'<p class="note">Changes beyond ±{r.params.load_change_flag * 100:.0f} % of the '
        "previous week with valid days are flagged: rapid swings in load are a risk of "
        "their own.</p>"
    )
    return html_section("weeks", table + note)


def pain_section(r: Review, chart: Chart) -> str:
    pr = r.pain
    if not pr.mornings:
        return html_section(
            "pain",
            figure_html(chart) + "<p>No morning pain scores were reported in this range.</p>",
        )
    base = "–" if pr.baseline is None else f"{pr.baseline:g}"
    how = {"given": "given", "median": "the median of the morning scores", "none": ""}[
        pr.baseline_source
    ]
    rows, classes = [], []
    for m in pr.mornings:
        rows.append(
            [
                m.date,
                str(m.score) + (" ▲" if m.above_baseline else ""),
                m.previous_date + ("" if m.previous_valid else " (not valid)"),
                format_h_colon_min(m.previous_compression_s),
                "–" if m.previous_long_bouts is None else str(m.previous_long_bouts),
                format_h_colon_min(m.previous_hip_gt90_s),
            ]
        )
        classes.append("flagged" if m.above_baseline else "")
    table = html_table(
        "Morning pain and the previous day (times h:mm; ▲ above baseline)",
        [
            "morning",
            "pain",
            "previous day",
            "compression",
            f"bouts > {format_threshold(r.long_bout_s)}",
            f"hip > {HIP_LIMIT}",
        ],
        rows,
        row_classes=classes,
        cls="num",
    )
    text = (
        f"<p>Baseline {base}/10 ({esc(how)}). {pr.above} of {len(pr.mornings)} mornings "
        f'were above it.</p><p class="correlation">{esc(pr.correlation_text)}</p>'
    )
    return html_section("pain", figure_html(chart) + text + table)


def days_section(r: Review) -> str:
    def row(d: DayReview) -> list[str]:
        a = d.adherence
        return [
            f"{d.weekday} {d.date}" + ("" if d.valid else " *"),
            format_h_colon_min(d.wear_s),
            format_h_colon_min(d.compression_s),
            format_h_colon_min(d.riding_seated_s) if d.riding_seated_s else "",
            str(d.compression_bouts),
            f"{d.bouts_gt30}/{d.long_bouts}",
            format_h_colon_min(d.longest_bout_s),
            format_h_colon_min(d.hip_gt90_s),
            f"{d.hip_dose_deg_min:.0f}",
            f"{a.taken}/{a.prompted}" if a.known else "–",
            "–"
            if d.pain_next_morning is None
            else str(d.pain_next_morning) + (" ▲" if d.pain_next_above_baseline else ""),
        ]

    table = html_table(
        "Every day of the range (times h:mm; * not valid: too little wear)",
        [
            "day",
            "worn",
            "compression",
            "of it riding",
            "bouts",
            f">30 min/>{format_threshold(r.long_bout_s)}",
            "longest",
            f"hip > {HIP_LIMIT}",
            "dose",
            "taken/prompts",
            "pain next morning",
        ],
        [row(d) for d in r.days],
        row_classes=[
            "lowwear" if not d.valid else ("high" if d.high_compression else "") for d in r.days
        ],
        cls="num days",
    )
    return html_section("days", table)


def methods_section(r: Review) -> str:
    p = r.params
    items = [
        "<b>Compression</b> is seated time: sitting and seated riding. A <b>compression "
        f"bout</b> continues through upright spells shorter than {format_min(p.break_s)} "
        "(micro-breaks) and ends with a break of at least that length, a sensor gap or the "
        "end of the data. Bouts belong to the day they start in.",
        f"A day is <b>valid</b> with at least {format_threshold(p.valid_day_wear_s)} of wear. "
        "Non-wear is never sitting and never a break; days with less wear are shown, "
        "marked, and left out of means, week comparisons and the correlation.",
        "<b>Bout bins</b> are the activPAL ones (&lt; 30 min, 30–60 min, 1–2 h, 2–4 h, "
        f"≥ 4 h). activPAL sitting bouts end with {POSTURE_HOLD} upright.",
        f"<b>Hip flexion above {HIP_LIMIT}</b> counts every second above {HIP_LIMIT} while "
        f"sitting or riding; the dose adds the degrees above {HIP_LIMIT} × minutes.",
        "<b>Adherence</b> comes from the live service's daily counters when present, "
        "else from the counters carried by the day's last alert, else it is counted from "
        "the alerts and the bouts (approximate): a break completed soon enough after the "
        "bout's last stand prompt is <i>taken</i>, a later one <i>late</i>; a prompt "
        "followed by another prompt, a late break or a gap is <i>ignored</i>; a break in "
        "a bout without a prompt is <i>natural</i>.",
        "<b>Next-morning pain</b>: the first morning score of each day is set against the "
        "previous local day. The <b>baseline</b> is the median of the morning scores in the "
        "range (the morning after the last day included) unless the clinician gave one; "
        "a morning is above baseline when its score is strictly higher. The rank "
        "correlation (Spearman) uses mornings whose previous day is valid and is shown "
        f"only with at least {CORRELATION_N_FLOOR} of them; with so few points it suggests, "
        "it does not prove.",
        f"<b>Week over week</b>: ISO weeks; the change of mean daily compression over "
        f"valid days against the previous week with valid days, flagged beyond "
        f"±{p.load_change_flag * 100:.0f} %.",
    ]
    return html_section(
        "methods", '<ul class="methods">' + "".join(f"<li>{i}</li>" for i in items) + "</ul>"
    )
