"""The live engine: source messages in; final seconds, exposure events, alerts and the
live status out. No I/O and no clock of its own (the data carry the time); the
service loop feeds it and hands its output to the sinks.

Per step (``LiveParams.step_s`` of new final seconds) it merges the sensors' samples
of a sliding window, classifies it (:func:`analytics.live.classify_window`), and
walks the final seconds through the streaming exposure engine and the alert policy:
runs of seconds without valid data in one go, valid seconds one by one (the hip and
milestone clocks are per second). Everything it remembers is in :meth:`state_dict`.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analytics import alerts as al
from analytics import streaming
from analytics.calibration_errors import CalibrationError
from analytics.calibration_evidence import Evidence, refined_thigh, refined_trunk
from analytics.compression import (
    SEATED,
    CompressionBout,
    EventKind,
    ExposureEvent,
    ExposureParams,
    step_classes,
)
from analytics.downtime import DowntimeParams, skip_gap
from analytics.live import (
    DATA_NONE,
    DATA_OK,
    LiveParams,
    WindowSeconds,
    calibrate_window,
    decide_window,
)
from analytics.live_state import (
    DayTotals,
    add_seconds,
    calibration_from_dict,
    calibration_to_dict,
    local_day,
)
from analytics.live_window import RhythmMemo, SecondStats, WindowSamples, window_epochs
from analytics.params import PostureParams
from analytics.records import (
    FloatArray,
    Posture,
    Recording,
    SeatLayout,
    ThighCalibration,
    TrunkCalibration,
)
from analytics.seat_pressure import SeatParams
from collector.sinks.base import LiveStatus
from collector.sources.messages import DeviceStatus, Gap, Message, Role, SampleBlock

log = logging.getLogger(__name__)

ENGINE_STATE_VERSION = 1
BATTERY_LOW_PCT = 20
_DATA_STATE = {0: al.DataState.OK, 1: al.DataState.NO_DATA, 2: al.DataState.SENSOR_OFF}
_COLUMN = {Role.THIGH: "acc_g", Role.TRUNK: "acc_g", Role.SEAT: "seat_p", Role.BIKE: "cadence_rpm"}
_REC_FIELD = {
    Role.THIGH: "thigh_acc_g",
    Role.TRUNK: "trunk_acc_g",
    Role.SEAT: "seat_p",
    Role.BIKE: "cadence_rpm",
}


_STATS_KIND = {Role.THIGH: "vector", Role.TRUNK: "mean", Role.BIKE: "scalar"}


@dataclass
class _Buffer:
    """One role's samples, oldest first."""

    t_s: FloatArray = field(default_factory=lambda: np.empty(0))
    values: FloatArray | None = None
    parts: list[tuple[FloatArray, FloatArray]] = field(default_factory=list)
    last_t_s: float = -math.inf

    def add(self, t_s: FloatArray, values: FloatArray) -> int:
        keep = t_s > self.last_t_s  # a clock that steps back: drop what overlaps
        if not keep.all():
            t_s, values = t_s[keep], values[keep]
        if t_s.shape[0]:
            self.parts.append((t_s, values))
            self.last_t_s = float(t_s[-1])
        return int((~keep).sum())

    def merged(self) -> tuple[FloatArray, FloatArray | None]:
        if self.parts:
            ts = [self.t_s, *(p[0] for p in self.parts)]
            vs = [*([] if self.values is None else [self.values]), *(p[1] for p in self.parts)]
            self.t_s, self.values = np.concatenate(ts), np.concatenate(vs)
            self.parts.clear()
        return self.t_s, self.values

    def trim(self, before_t_s: float) -> None:
        t, v = self.merged()
        cut = int(np.searchsorted(t, before_t_s))
        if cut and v is not None:
            self.t_s, self.values = t[cut:], v[cut:]


@dataclass(frozen=True, slots=True)
class EngineOutput:
    seconds: WindowSeconds | None = None
    events: tuple[ExposureEvent, ...] = ()
    alerts: tuple[al.Alert, ...] = ()
    status: LiveStatus | None = None
    bouts: tuple[CompressionBout, ...] = ()
    """Compression bouts released by the streaming engine (complete: their break or
    gap has ended)."""


@dataclass
class EngineCounters:
    samples: int = 0
    late_samples: int = 0
    gaps: int = 0
    seconds: int = 0
    alerts: int = 0
    restart_pauses: int = 0
    calibration_failures: int = 0


class LiveEngine:
    """See the module docstring. ``roles``: the sensors configured (thigh or seat
    required)."""

    def __init__(
        self,
        roles: set[Role],
        *,
        alert_params: al.AlertParams | None = None,
        exposure_params: ExposureParams | None = None,
        posture_params: PostureParams | None = None,
        live_params: LiveParams | None = None,
        utc_offset_s: Callable[[float], float] | None = None,
        seat_layout: SeatLayout | None = None,
        saved: dict[str, Any] | None = None,
        seat_baseline: Sequence[float] | None = None,
    ) -> None:
        if not roles & {Role.THIGH, Role.SEAT}:
            raise ValueError("the live service needs a thigh sensor or a seat mat")
        self.roles = roles
        self.primary = Role.THIGH if Role.THIGH in roles else Role.SEAT
        self.alert_params = alert_params or al.AlertParams()
        self.exposure_params = exposure_params or ExposureParams(break_s=self.alert_params.break_s)
        self.posture_params = posture_params or PostureParams()
        self.live = live_params or LiveParams()
        self.utc_offset_s = utc_offset_s or (lambda _t: 0.0)
        self.seat_layout = seat_layout
        self.seat_baseline = None if seat_baseline is None else tuple(seat_baseline)
        """The mat's empty-seat baseline: configured, else learned (and kept in the
        state file) from the first window that showed the seat empty."""
        self.counters = EngineCounters()
        self.battery_pct: int | None = None
        self._buffers = {r: _Buffer() for r in roles}
        self._stats = {r: SecondStats(_STATS_KIND[r]) for r in roles if r in _STATS_KIND}
        """Each sensor's per-second statistics, kept across steps (not with a seat mat,
        whose window is merged and analysed whole)."""
        self._rhythm = RhythmMemo()
        self._last_calibration_try_s = -math.inf
        self._calibration_note: str | None = None
        self.thigh: ThighCalibration | None = None
        self.trunk: TrunkCalibration | None = None
        self.evidence = Evidence.empty()
        self._tried_to = -math.inf
        self.emitted_to: int | None = None
        self.origin_s: int | None = None
        """The first second (where the batch pipeline's blocks start)."""
        self.stream: streaming.StreamState | None = None
        self.alerts = al.AlertState()
        self.totals: DayTotals | None = None
        self.last_posture = Posture.NONWEAR
        self.last_data = DATA_NONE
        self._restored = False
        self._now_t_s = -math.inf
        self.downtime = DowntimeParams()
        self._skipped: EngineOutput | None = None
        if saved is not None:
            self._restore(saved)

    # --- persistence -------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "version": ENGINE_STATE_VERSION,
            "emitted_to": self.emitted_to,
            "origin_s": self.origin_s,
            "stream": None if self.stream is None else self.stream.to_dict(),
            "alerts": self.alerts.to_dict(),
            "totals": None if self.totals is None else self.totals.to_dict(),
            "calibration": calibration_to_dict(self.thigh, self.trunk),
            "calibration_evidence": self.evidence.to_dict(),
            "seat_baseline": None if self.seat_baseline is None else list(self.seat_baseline),
        }

    def _restore(self, d: dict[str, Any]) -> None:
        if d.get("version") != ENGINE_STATE_VERSION:
            raise ValueError(
                f"the saved service state has version {d.get('version')}, this sitload "
                f"reads {ENGINE_STATE_VERSION}; delete the state file to start afresh"
            )
        self.emitted_to = None if d.get("emitted_to") is None else int(d["emitted_to"])
        self.origin_s = None if d.get("origin_s") is None else int(d["origin_s"])
        self.stream = (
            None if d.get("stream") is None else streaming.StreamState.from_dict(d["stream"])
        )
        self.alerts = al.AlertState.from_dict(d["alerts"])
        self.totals = None if d.get("totals") is None else DayTotals.from_dict(d["totals"])
        self.thigh, self.trunk = calibration_from_dict(d.get("calibration") or {})
        saved_evidence = d.get("calibration_evidence")  # absent in states of older versions
        if saved_evidence is not None:
            self.evidence = Evidence.from_dict(saved_evidence)
        if d.get("seat_baseline") is not None:  # tracked since: newer than the setting
            self.seat_baseline = tuple(float(v) for v in d["seat_baseline"])
        self._restored = self.emitted_to is not None

    @property
    def buffered_samples(self) -> int:
        """Samples kept for the window (bounded by the context, not by the data)."""
        total = 0
        for buf in self._buffers.values():
            total += buf.t_s.shape[0] + sum(p[0].shape[0] for p in buf.parts)
        return total

    @property
    def calibrated(self) -> bool:
        return self.primary != Role.THIGH or self.thigh is not None

    @property
    def resume_from_t_s(self) -> float | None:
        """Where a replayed source should start so the window has its context again."""
        if self.emitted_to is None:
            return None
        return float(self._context_from(self.emitted_to))

    # --- input -------------------------------------------------------------------
    def accept(self, message: Message) -> None:
        if isinstance(message, SampleBlock):
            self._accept_block(message)
        elif isinstance(message, Gap):
            self.counters.gaps += 1
        elif isinstance(message, DeviceStatus) and message.battery_pct is not None:
            self.battery_pct = message.battery_pct

    def _accept_block(self, b: SampleBlock) -> None:
        if b.role not in self._buffers or b.n == 0:
            return
        values = getattr(b, _COLUMN[b.role])
        if values is None:
            return
        if b.role == Role.BIKE:
            values = np.asarray(values, dtype=np.float64).reshape(-1)
        if self.emitted_to is None:
            self.emitted_to = math.floor(float(b.t_s[0])) if b.role == self.primary else None
            self.origin_s = self.emitted_to
        elif self._restored:
            self._resume(float(b.t_s[0]))
        self.counters.late_samples += self._buffers[b.role].add(b.t_s, values)
        self.counters.samples += b.n

    def _resume(self, first_t_s: float) -> None:
        """First data after a restart: downtime shorter than a break pauses the clocks
        (see analytics.streaming.pause); longer downtime is a gap like any other."""
        self._restored = False
        assert self.emitted_to is not None
        gap = math.floor(first_t_s) - self.emitted_to
        if gap <= 0:
            return
        if gap >= self.alert_params.break_s:
            self._skip_gap(gap)
            log.info("resumed after %d s of downtime: one gap (the bout, if any, ends)", gap)
            return
        if self.stream is None:
            return
        self.stream = streaming.pause(self.stream, gap)
        self.alerts = al.pause(self.alerts, float(gap))
        self.emitted_to += gap
        self.counters.restart_pauses += 1
        log.info("resumed after %d s of downtime: the bout clock was paused", gap)

    def _skip_gap(self, gap: int) -> None:
        """Move over ``gap`` seconds without data at once (see analytics.downtime): the
        alert policy sees one gap step at the next second it gets; the exposure
        events the gap causes come with the next :meth:`process`."""
        assert self.emitted_to is not None
        if self.stream is not None:
            self.stream, out = skip_gap(self.stream, gap, self.exposure_params)
            before = self._skipped or EngineOutput()
            self._skipped = EngineOutput(
                events=before.events + out.events, bouts=before.bouts + out.bouts
            )
        self.emitted_to += gap
        self.last_posture, self.last_data = Posture.NONWEAR, DATA_NONE

    def _skip_long_silence(self) -> None:
        """A live clock that jumped forward while every sensor was silent and every
        second with data is final: one gap instead of ``fill_max_s`` or more seconds
        of no data (see :class:`analytics.downtime.DowntimeParams`)."""
        wm = self._watermark()
        if wm is None or self.emitted_to is None:
            return
        newest = max(b.last_t_s for b in self._buffers.values())
        if self.emitted_to <= newest:
            return
        gap = math.floor(wm) - self.live.lag_s - self.emitted_to
        if gap > self.downtime.fill_max_s:
            self._skip_gap(gap)
            log.warning("the clock moved on by %d s at once: one gap (the bout, if any, ends)", gap)

    def tick(self, now_t_s: float) -> None:
        """The current time, for live sensors (data time = wall time): when every
        sensor has been silent for ``silent_after_s``, time still moves on, so the
        missing seconds become final as no data (and the person hears that the
        sensor is off while it is off, not when it comes back)."""
        self._now_t_s = now_t_s

    # --- processing --------------------------------------------------------------
    def _watermark(self) -> float | None:
        lasts = [b.last_t_s for b in self._buffers.values() if math.isfinite(b.last_t_s)]
        if not lasts or not math.isfinite(self._buffers[self.primary].last_t_s):
            return None
        newest = max(lasts)
        silent = self._now_t_s - self.live.silent_after_s
        if silent > newest:  # everything silent: the clock decides
            return silent
        active = [t for t in lasts if newest - t <= self.live.silent_after_s]
        return min(active)

    def _window(self, from_s: float, to_s: float) -> Recording | None:
        parts: list[tuple[Role, FloatArray, FloatArray]] = []
        for role, buf in self._buffers.items():
            t, v = buf.merged()
            if v is None:
                continue
            lo, hi = np.searchsorted(t, [from_s, to_s])
            if hi > lo:
                parts.append((role, t[lo:hi], v[lo:hi]))
        if not any(role == self.primary for role, _, _ in parts):
            return None
        t_all = np.concatenate([p[1] for p in parts])
        order = np.argsort(t_all, kind="stable")
        n = t_all.shape[0]
        cols: dict[str, FloatArray] = {}
        start = 0
        inverse = np.empty(n, dtype=np.int64)
        inverse[order] = np.arange(n)
        for role, t, v in parts:
            rows = inverse[start : start + t.shape[0]]
            start += t.shape[0]
            shape = (n,) if v.ndim == 1 else (n, v.shape[1])
            col = np.full(shape, np.nan)
            col[rows] = v
            cols[_REC_FIELD[role]] = col
        return Recording(
            t_s=t_all[order],
            thigh_acc_g=cols.get("thigh_acc_g"),
            trunk_acc_g=cols.get("trunk_acc_g"),
            seat_p=cols.get("seat_p"),
            cadence_rpm=cols.get("cadence_rpm"),
        )

    def _window_samples(self, from_s: float, to_s: float) -> WindowSamples | None:
        """The window of :meth:`_window`, sensor by sensor, with the per-second
        statistics of its complete seconds reused from earlier steps."""
        keep_from = self._context_from(self.emitted_to) if self.emitted_to is not None else 0
        parts: dict[Role, tuple[SecondStats, FloatArray, FloatArray]] = {}
        for role, stats in self._stats.items():
            buf = self._buffers[role]
            t, v = buf.merged()
            if v is None:
                continue
            stats.update(t, v, math.floor(buf.last_t_s), keep_from)
            lo, hi = np.searchsorted(t, [from_s, to_s])
            if hi > lo:
                parts[role] = (stats, t[lo:hi], v[lo:hi])
        if self.primary not in parts:
            return None
        t0 = math.floor(min(float(p[1][0]) for p in parts.values()))
        n_sec = math.floor(max(float(p[1][-1]) for p in parts.values())) - t0 + 1
        return window_epochs(
            t0,
            n_sec,
            parts[Role.THIGH],
            parts.get(Role.TRUNK),
            parts.get(Role.BIKE),
            self._rhythm,
        )

    def process(self, *, flush: bool = False) -> EngineOutput:
        """Make final what the data allow (``flush``: everything buffered, at the end
        of a replay); call after accepting messages."""
        self._skip_long_silence()
        out = self._process(flush=flush)
        skipped, self._skipped = self._skipped, None
        if skipped is None:
            return out
        return dataclasses.replace(
            out, events=skipped.events + out.events, bouts=skipped.bouts + out.bouts
        )

    def _process(self, *, flush: bool = False) -> EngineOutput:
        wm = self._watermark()
        if wm is None or self.emitted_to is None:
            return EngineOutput()
        lag = 0 if flush else self.live.lag_s
        final_to = math.floor(wm) + (1 if flush else 0) - lag
        # held seconds (see analytics.live_hold) are tried again after step_s more
        done_to = max(self.emitted_to, self._tried_to)
        if final_to - (self.emitted_to if flush else done_to) < (1 if flush else self.live.step_s):
            return EngineOutput()
        if not self.calibrated:
            final_to = self._calibrate_or_hold(wm, final_to)
            if final_to <= self.emitted_to:
                return EngineOutput(status=self.status())
        from_s = self.emitted_to
        window = self._window_samples if Role.SEAT not in self.roles else self._window
        rec = window(self._context_from(from_s), math.floor(wm) + 1)
        if rec is None or not self.calibrated:
            n = final_to - from_s
            sec = WindowSeconds(
                from_s,
                np.full(n, Posture.NONWEAR, dtype=np.int8),
                np.full(n, np.nan),
                np.full(n, DATA_NONE, dtype=np.int8),
            )
        else:
            decided = decide_window(
                rec,
                from_s,
                final_to,
                thigh=self.thigh,
                trunk=self.trunk,
                params=self.posture_params,
                live=self.live,
                seat_layout=self.seat_layout,
                seat_params=None
                if self.seat_baseline is None
                else SeatParams(empty_baseline=self.seat_baseline),
                end_s=None if flush else math.floor(wm) + 1,
            )
            sec = decided.seconds
            self._tried_to = final_to
            if decided.evidence is not None:
                self._learn(decided.evidence)
            if sec.n == 0:
                return EngineOutput(status=self.status())
            final_to = from_s + sec.n
            if sec.seat_baseline is not None:
                self.seat_baseline = tuple(float(v) for v in sec.seat_baseline)
        events, alerts, bouts = self._walk(sec)
        self.emitted_to = final_to
        for buf in self._buffers.values():
            buf.trim(self._context_from(final_to))
        self.counters.seconds += sec.n
        self.counters.alerts += len(alerts)
        return EngineOutput(sec, tuple(events), tuple(alerts), self.status(), tuple(bouts))

    def _context_from(self, from_s: int) -> int:
        """Start of the window that classifies seconds from ``from_s``: ``context_s``
        earlier, floored to whole off-body blocks counted from the first second (the
        batch pipeline's blocks, so both judge the same blocks)."""
        start = from_s - self.live.context_s
        block = self.posture_params.frozen_block_s
        origin = self.origin_s if self.origin_s is not None else start
        return origin + ((start - origin) // block) * block

    def _learn(self, evidence: Evidence) -> None:
        """Keep improving the automatic calibration as the data show it."""
        self.evidence = self.evidence.plus(evidence)
        if self.thigh is not None:
            self.thigh = refined_thigh(self.thigh, self.evidence)
        if self.trunk is not None:
            before = self.trunk.source
            self.trunk = refined_trunk(self.trunk, self.evidence)
            if before != self.trunk.source:
                log.info("trunk sensor: its forward direction is now known")

    def _calibrate_or_hold(self, wm: float, final_to: int) -> int:
        assert self.emitted_to is not None
        if wm - self._last_calibration_try_s >= 60.0 or final_to - self.emitted_to > 600:
            self._last_calibration_try_s = wm
            rec = self._window(self.emitted_to - self.live.context_s, wm + 1)
            if rec is not None:
                try:
                    self.thigh, self.trunk = calibrate_window(rec, self.posture_params)
                    self.evidence = Evidence.empty()
                    log.info("thigh sensor calibrated (%s)", self.thigh.source)
                    return final_to
                except CalibrationError as exc:
                    self.counters.calibration_failures += 1
                    self._calibration_note = str(exc)
        # still no calibration: hold, but no longer than calibration_hold_s
        return min(final_to, math.floor(wm) - self.live.calibration_hold_s)

    def _walk(
        self, sec: WindowSeconds
    ) -> tuple[list[ExposureEvent], list[al.Alert], list[CompressionBout]]:
        if self.stream is None:
            self.stream = streaming.begin(float(sec.t0_s), 1.0)
        self.stream, out = streaming.advance(
            self.stream, sec.posture, sec.hip_flexion_deg, self.exposure_params
        )
        hip_s = out.hip_gt90_s
        assert hip_s is not None
        self._add_totals(sec, out.events)
        alerts: list[al.Alert] = []
        battery_low = self.battery_pct is not None and self.battery_pct < BATTERY_LOW_PCT
        data = sec.data.tolist()
        posture = sec.posture.tolist()
        hip = hip_s.tolist()
        i, n = 0, sec.n
        while i < n:
            t = float(sec.t0_s + i)
            j = i + 1
            if data[i] != DATA_OK:  # a run of seconds without valid data: one step
                while j < n and data[j] == data[i]:
                    j += 1
                inp = al.AlertInput(
                    t_s=t,
                    posture=Posture.NONWEAR,
                    dt_s=float(j - i),
                    local_offset_s=self.utc_offset_s(t),
                    data=_DATA_STATE[data[i]],
                    battery_low=battery_low,
                )
            else:
                inp = al.AlertInput(
                    t_s=t,
                    posture=Posture(posture[i]),
                    local_offset_s=self.utc_offset_s(t),
                    battery_low=battery_low,
                    hip_gt90_s=hip[i],
                )
            self.alerts, new = al.step(self.alerts, self.alert_params, inp)
            alerts += new
            i = j
        if n:
            self.last_posture = Posture(posture[-1])
            self.last_data = data[-1]
        return list(out.events), alerts, list(out.bouts)

    def _add_totals(self, sec: WindowSeconds, events: tuple[ExposureEvent, ...]) -> None:
        """The day's totals, split where the local day changes inside the chunk."""
        first = local_day(sec.t0_s, self.utc_offset_s(sec.t0_s))
        last_t = sec.t0_s + sec.n - 1
        last = local_day(last_t, self.utc_offset_s(last_t))
        days = (
            np.full(sec.n, first)
            if first == last
            else np.array([local_day(t, self.utc_offset_s(t)) for t in range(sec.t0_s, last_t + 1)])
        )
        milestone = self.exposure_params.milestones_min[0]
        for day in range(first, last + 1):
            mask = days == day
            if not mask.any():
                continue
            reached = sum(
                1
                for e in events
                if e.kind == EventKind.BOUT_MINUTES
                and e.value == milestone
                and local_day(e.t_s, self.utc_offset_s(e.t_s)) == day
            )
            self.totals = add_seconds(
                self.totals or DayTotals(day=day),
                day,
                sec.posture[mask],
                sec.hip_flexion_deg[mask],
                bouts_reached=reached,
            )

    # --- commands and status -----------------------------------------------------
    def now_t_s(self) -> float:
        """Data time of the end of the last final second (commands apply here)."""
        if self.alerts.next_t_s is not None:
            return self.alerts.next_t_s
        return float(self.emitted_to) if self.emitted_to is not None else 0.0

    def command(self, text: str) -> list[al.Alert]:
        """Apply a command from the person; never raises (a bad one is REJECTED)."""
        t = self.now_t_s()
        if text.strip().lower() == "calibrate":
            return [self._recalibrate(t)]
        self.alerts, out = al.apply_command(self.alerts, self.alert_params, text, t)
        self.counters.alerts += len(out)
        return out

    def _recalibrate(self, t: float) -> al.Alert:
        ident = f"calibrate-{round(t * 1000)}"
        if self.primary != Role.THIGH:
            return al.Alert(
                ident,
                al.AlertKind.REJECTED,
                t,
                "A seat mat needs no calibration.",
                command="calibrate",
            )
        wm = self._watermark()
        rec = None if wm is None else self._window(wm - self.live.context_s, wm + 1)
        try:
            if rec is None:
                raise CalibrationError("no thigh data yet; wear the sensor and try again")
            self.thigh, self.trunk = calibrate_window(rec, self.posture_params)
            self.evidence = Evidence.empty()
        except CalibrationError as exc:
            return al.Alert(
                ident,
                al.AlertKind.REJECTED,
                t,
                f"Calibration failed: {exc}",
                command="calibrate",
            )
        minutes = self.live.context_s // 60
        return al.Alert(
            ident,
            al.AlertKind.STATUS,
            t,
            f"Calibrated from the last {minutes} minutes of data.",
            command="calibrate",
        )

    def status(self) -> LiveStatus:
        t = self.now_t_s()
        offset = self.utc_offset_s(t)
        day = local_day(t, offset)
        totals = self.totals if self.totals is not None and self.totals.day == day else None
        ok = self.last_data == DATA_OK
        seated = bool(step_classes(np.array([self.last_posture], dtype=np.int8))[0] == SEATED)
        bout = self.alerts.bout_start_t_s
        return LiveStatus(
            t_s=t,
            sitting=seated if ok else None,
            posture=self.last_posture.name.lower() if ok else "nonwear",
            data=_DATA_STATE[self.last_data].value,
            bout_minutes=0.0 if bout is None else round((t - bout) / 60.0, 2),
            today_sitting_min=0.0 if totals is None else round(totals.compression_s / 60.0, 2),
            today_bouts_over_30=0 if totals is None else totals.bouts_over_30,
            today_hip_gt90_min=0.0 if totals is None else round(totals.hip_gt90_s / 60.0, 2),
            adherence=self.alerts.adherence if self.alerts.day == day else al.Adherence(day=day),
            battery_pct=self.battery_pct,
            snoozed_until_t_s=self.alerts.snoozed_until_t_s
            if self.alerts.snoozed_until_t_s is not None and self.alerts.snoozed_until_t_s > t
            else None,
            calibrated=self.calibrated,
            calibration_source=None if self.thigh is None else self.thigh.source,
            calibration_confidence=None
            if self.thigh is None
            else round(float(self.thigh.confidence), 2),
        )


def zone_offset(tz: datetime.tzinfo) -> Callable[[float], float]:
    """``utc_offset_s`` for a time zone (DST included)."""

    def offset(t_s: float) -> float:
        off = datetime.datetime.fromtimestamp(t_s, tz).utcoffset()
        return 0.0 if off is None else off.total_seconds()

    return offset
