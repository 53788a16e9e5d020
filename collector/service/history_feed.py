"""The live engine's output as history records (see collector.sinks.history.model),
and the revisions of stored hip angles (see analytics.hip_revision)."""

from __future__ import annotations

import dataclasses
import datetime
import math
from collections.abc import Sequence

from analytics.alert_records import Adherence, Alert
from analytics.compression import CompressionBout, ExposureEvent
from analytics.hip_revision import HipRevision, revised_over
from analytics.live import WindowSeconds
from analytics.live_state import DayTotals
from analytics.live_steps import EngineOutput
from collector.service.day_summaries import DaySummaries
from collector.sinks.history.model import (
    BoutRecord,
    DailyRecord,
    EventRecord,
    HistoryRecord,
    TimelineChunk,
)


def timeline_record(
    user: str, sec: WindowSeconds, *, device: str = "", sensor_kind: str = ""
) -> TimelineChunk:
    return TimelineChunk(
        user,
        sec.t0_s,
        sec.posture,
        sec.hip_flexion_deg,
        sec.data,
        device=device,
        sensor_kind=sensor_kind,
    )


def alert_record(user: str, alert: Alert) -> EventRecord:
    return EventRecord(
        user,
        alert.t_s,
        "alert",
        alert.kind.value,
        alert.id,
        # a saddle prompt's value is its saddle bout (continuous seated riding)
        value=alert.bout_minutes if alert.saddle_minutes is None else alert.saddle_minutes,
        message=alert.message,
        payload=alert.to_dict(),
    )


def event_record(user: str, event: ExposureEvent) -> EventRecord:
    ident = f"{event.kind.value}-{round(event.t_s * 1000)}"
    return EventRecord(user, event.t_s, "exposure", event.kind.value, ident, value=event.value)


def bout_record(user: str, bout: CompressionBout) -> BoutRecord:
    return BoutRecord(
        user,
        bout.start_s,
        bout.end_s,
        bout.seated_s,
        bout.micro_breaks,
        bout.hip_gt90_s,
        bout.hip_dose_deg_min,
        bout.ended_by.value,
        bout.gap_s,
    )


def daily_record(
    user: str, totals: DayTotals, adherence: Adherence, tz: datetime.tzinfo
) -> DailyRecord:
    date = datetime.date(1970, 1, 1) + datetime.timedelta(days=totals.day)
    midnight = datetime.datetime.combine(date, datetime.time(0, 0), tz).timestamp()
    same_day = adherence.day == totals.day
    a = adherence if same_day else Adherence(day=totals.day)
    return DailyRecord(
        user,
        date.isoformat(),
        float(midnight),
        totals.compression_s,
        totals.hip_gt90_s,
        totals.bouts_over_30,
        totals.saddle_s,
        a.prompted,
        a.taken,
        a.natural,
        a.late,
        a.snoozed,
        a.ignored,
    )


def with_revisions(out: EngineOutput, days: DaySummaries) -> EngineOutput:
    """``out`` as the history and the day summaries take it: its seconds with the
    hip angle its revisions give them (a revision at a day's close covers the
    seconds of that day among them), and the seconds ``days`` holds already revised
    (before ``out``'s seconds are added to them, which may close the day)."""
    for rev in out.revisions:
        days.revise(rev)
    sec = out.seconds
    if sec is None or not out.revisions:
        return out
    hip = sec.hip_flexion_deg
    for rev in out.revisions:
        hip = revised_over(sec.t0_s, hip, rev)
    return dataclasses.replace(out, seconds=dataclasses.replace(sec, hip_flexion_deg=hip))


def revision_records(
    user: str,
    revisions: Sequence[HipRevision],
    days: DaySummaries,
    tz: datetime.tzinfo,
    *,
    device: str = "",
    sensor_kind: str = "",
) -> list[HistoryRecord]:
    """Revised hip angles (analytics.hip_revision) as history records: their seconds
    written again (every store keeps the last write of a second: the revision
    replaces the angles, it adds no second) and their day's totals (with that day's
    prompt counters as ``days`` noted them)."""
    out: list[HistoryRecord] = []
    for rev in revisions:
        out.append(
            TimelineChunk(
                user,
                rev.t0_s,
                rev.posture,
                rev.hip_flexion_deg,
                rev.data,
                device=device,
                sensor_kind=sensor_kind,
            )
        )
        if rev.totals is not None:
            out.append(daily_record(user, rev.totals, days.adherence(rev.day), tz))
    return out


def records_of(
    user: str,
    *,
    seconds: WindowSeconds | None,
    alerts: tuple[Alert, ...],
    events: tuple[ExposureEvent, ...],
    bouts: tuple[CompressionBout, ...],
    device: str = "",
    sensor_kind: str = "",
) -> list[HistoryRecord]:
    out: list[HistoryRecord] = []
    if seconds is not None and seconds.n:
        out.append(timeline_record(user, seconds, device=device, sensor_kind=sensor_kind))
    out += [alert_record(user, a) for a in alerts]
    out += [event_record(user, e) for e in events if math.isfinite(e.t_s)]
    out += [bout_record(user, b) for b in bouts]
    return out
