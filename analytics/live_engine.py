"""The live engine: each sensor's samples in; final seconds, exposure events, alerts
and the live status out. No I/O and no clock of its own (the data carry the time); the
service (``collector.service``) feeds it the sensors' messages and hands its output
to the sinks.

Per step (``LiveParams.step_s`` of new final seconds) it classifies the sliding
window (:func:`analytics.live.decide_window`; for a thigh sensor from the per-second
statistics kept across steps, :mod:`analytics.live_window`) and walks the final
seconds through the streaming exposure engine and the alert policy
(:mod:`analytics.live_steps`). Everything it remembers is in :meth:`state_dict`,
except the inputs of the local day's hip angles (:attr:`hip_day`, a few MB: a
restart revises only the seconds it emits, see :mod:`analytics.hip_revision`).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

import numpy as np

from analytics import stream_state, streaming
from analytics.alert_commands import apply_command
from analytics.alert_params import AlertParams
from analytics.alert_records import Alert
from analytics.alert_state import AlertState
from analytics.calibration_evidence import Evidence, refined_thigh, refined_trunk
from analytics.compression import (
    CompressionBout,
    ExposureEvent,
)
from analytics.downtime import DowntimeParams
from analytics.hip_revision import Directions, HipDay, HipRevision, with_totals
from analytics.live import (
    DATA_NONE,
    LiveParams,
    WindowSeconds,
    decide_window,
)
from analytics.live_buffers import SEAT, THIGH, KeptSeconds, SampleBuffer, merged_window
from analytics.live_calibration import (
    CALIBRATION_TRY_S,
    anchor_up,
    calibrate_or_hold,
    held_status,
    recalibrate,
)
from analytics.live_downtime import resume, skip_long_silence
from analytics.live_saved import restore, saved_state
from analytics.live_state import DayTotals
from analytics.live_status import LiveStatus, status_of
from analytics.live_steps import (
    EngineCounters,
    EngineOutput,
    alert_steps,
    step_days,
    step_totals,
)
from analytics.live_window import WindowSamples
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

log = logging.getLogger(__name__)

BATTERY_LOW_PCT = 20
_NOTHING = EngineOutput()


class LiveEngine:
    """See the module docstring. ``roles``: the sensors configured (``thigh``,
    ``trunk``, ``seat``, ``bike``; thigh or seat required)."""

    def __init__(
        self,
        roles: AbstractSet[str],
        *,
        alert_params: AlertParams | None = None,
        posture_params: PostureParams | None = None,
        live_params: LiveParams | None = None,
        utc_offset_s: Callable[[float], float] | None = None,
        seat_layout: SeatLayout | None = None,
        saved: dict[str, Any] | None = None,
        seat_baseline: Sequence[float] | None = None,
    ) -> None:
        if not roles & {THIGH, SEAT}:
            raise ValueError("the live service needs a thigh sensor or a seat mat")
        self.roles = roles
        self.primary = THIGH if THIGH in roles else SEAT
        self.alert_params = alert_params or AlertParams()
        self.exposure_params = self.alert_params.exposure
        """The exposure rules of the streaming engine: the alert policy's own."""
        self.posture_params = posture_params or PostureParams()
        self.live = live_params or LiveParams()
        self.utc_offset_s = utc_offset_s or (lambda _t: 0.0)
        self.seat_layout = seat_layout
        self.seat_baseline = None if seat_baseline is None else tuple(seat_baseline)
        """The mat's empty-seat baseline: configured, else learned (and kept in the
        state file) from the first window that showed the seat empty."""
        self.counters = EngineCounters()
        self.battery_pct: int | None = None
        self._buffers = {r: SampleBuffer() for r in roles}
        self._kept = KeptSeconds.of(roles)
        """Each sensor's per-second statistics and the thigh's rhythm, kept across
        steps (not with a seat mat, whose window is merged and analysed whole)."""
        self.last_calibration_try_s = -math.inf
        self.anchor_wait_s = CALIBRATION_TRY_S  # see anchor_up
        self.calibration_note: str | None = None
        self.thigh: ThighCalibration | None = None
        self.trunk: TrunkCalibration | None = None
        self.evidence = Evidence.empty()
        self._tried_to = -math.inf
        self.emitted_to: int | None = None
        self.origin_s: int | None = None
        """The first second (where the batch pipeline's blocks start)."""
        self.stream: stream_state.StreamState | None = None
        self.alerts = AlertState()
        self.totals: DayTotals | None = None
        self.last_posture = Posture.NONWEAR
        self.last_data = DATA_NONE
        self._restored = False
        self._now_t_s = -math.inf
        self._newest_t_s = -math.inf  # the newest sample's time, any sensor's
        self._held_status_to: float = -math.inf  # see held_status
        self.downtime = DowntimeParams()
        self._skipped: EngineOutput | None = None
        self.hip_day = HipDay()
        """The inputs of the local day's stored hip angles, for their revision."""
        self._revisions: list[HipRevision] = []
        if saved is not None:
            restore(self, saved)

    # --- persistence -------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """What a restart needs (:mod:`analytics.live_saved`)."""
        return saved_state(self)

    @property
    def buffered_samples(self) -> int:
        """Samples kept for the window (bounded by the context, not by the data)."""
        return sum(b.n for b in self._buffers.values())

    @property
    def calibrated(self) -> bool:
        return self.primary != THIGH or self.thigh is not None

    @property
    def resume_from_t_s(self) -> float | None:
        """Where a replayed source should start so the window has its context again."""
        if self.emitted_to is None:
            return None
        return float(self._context_from(self.emitted_to))

    # --- input -------------------------------------------------------------------
    def add_samples(self, role: str, t_s: FloatArray, values: FloatArray) -> None:
        """Samples of the sensor ``role`` (times sorted; a thigh or trunk gives (n, 3)
        specific force in g, a seat mat (n, cells), a bike (n,) cadence in rpm)."""
        buf, n = self._buffers.get(role), t_s.shape[0]
        if buf is None or n == 0:
            return
        if self.emitted_to is None:
            self.emitted_to = math.floor(float(t_s[0])) if role == self.primary else None
            self.origin_s = self.emitted_to
        elif self._restored:
            resume(self, float(t_s[0]))
        late = buf.add(t_s, values)
        if late:
            self.counters.late_samples += late
        self.counters.samples += n
        if buf.last_t_s > self._newest_t_s:
            self._newest_t_s = buf.last_t_s

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
        return merged_window(self._buffers, self.primary, from_s, to_s)

    def _window_samples(self, from_s: float, to_s: float) -> WindowSamples | Recording | None:
        """The window of :meth:`_window`, sensor by sensor, with the per-second
        statistics of its complete seconds reused from earlier steps."""
        keep_from = self._context_from(self.emitted_to) if self.emitted_to is not None else 0
        return self._kept.window(self._buffers, from_s, to_s, keep_from)

    def _step_window(self, from_s: int, wm: float) -> WindowSamples | Recording | None:
        """The window that classifies the seconds from ``from_s`` at watermark ``wm``
        (with a seat mat, its merged samples)."""
        window = self._window_samples if SEAT not in self.roles else self._window
        return window(self._context_from(from_s), math.floor(wm) + 1)

    def process(self, *, flush: bool = False) -> EngineOutput:
        """Make final what the data allow (``flush``: everything buffered, at the end
        of a replay); call after accepting messages."""
        if not flush and self._not_due():
            return _NOTHING
        wm = self._watermark()
        skip_long_silence(self, wm)
        out = self._process(wm, flush=flush)
        skipped, self._skipped = self._skipped, None
        revisions, self._revisions = tuple(self._revisions), []  # see revise_day
        if revisions:
            out = dataclasses.replace(out, revisions=revisions)
        if skipped is None:
            return out
        return dataclasses.replace(
            out, events=skipped.events + out.events, bouts=skipped.bouts + out.bouts
        )

    def _not_due(self) -> bool:
        """True when :meth:`process` surely has nothing to give (a sensor sending
        sample by sample is processed after each message): no output waiting, and the
        watermark (at most the newest sample's time, or the silent clock's) short of
        the next step and of a silence :func:`skip_long_silence` would skip."""
        if self.emitted_to is None or self._skipped is not None or self._revisions:
            return False
        lp, done_to = self.live, max(self.emitted_to, self._tried_to)
        due = lp.lag_s + min(done_to + lp.step_s, self.emitted_to + self.downtime.fill_max_s + 1)
        return max(self._newest_t_s, self._now_t_s - lp.silent_after_s) < due

    def _process(self, wm: float | None, *, flush: bool = False) -> EngineOutput:
        if wm is None or self.emitted_to is None:
            return EngineOutput()
        lag = 0 if flush else self.live.lag_s
        final_to = math.floor(wm) + (1 if flush else 0) - lag
        # held seconds (see analytics.live_hold) are tried again after step_s more
        done_to = max(self.emitted_to, self._tried_to)
        if final_to - (self.emitted_to if flush else done_to) < (1 if flush else self.live.step_s):
            return EngineOutput()
        if not self.calibrated:
            held_to = calibrate_or_hold(self, wm, final_to)
            if held_to - self.emitted_to < (1 if flush else self.live.step_s):  # whole steps
                return held_status(self, final_to)
            final_to = held_to
        from_s = self.emitted_to
        rec = self._step_window(from_s, wm)
        anchor_up(self, wm, rec)
        directions: Directions | None = None
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
            sec, directions = decided.seconds, decided.directions
            self._tried_to = final_to
            if decided.evidence is not None:
                self._learn(decided.evidence)
            if sec.n == 0:
                return EngineOutput(status=self.status())
            final_to = from_s + sec.n
            if sec.seat_baseline is not None:
                self.seat_baseline = tuple(float(v) for v in sec.seat_baseline)
        events, alerts, bouts = self._walk(sec, directions)
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

    def _walk(
        self, sec: WindowSeconds, directions: Directions | None
    ) -> tuple[list[ExposureEvent], list[Alert], list[CompressionBout]]:
        if self.stream is None:
            self.stream = stream_state.begin(float(sec.t0_s), 1.0)
        self.stream, out = streaming.advance(
            self.stream, sec.posture, sec.hip_flexion_deg, self.exposure_params
        )
        hip_s = out.hip_gt90_s
        assert hip_s is not None
        days = step_days(sec, self.utc_offset_s)
        milestone = self.exposure_params.milestones_min[0]
        totals = step_totals(self.totals, sec, days, out.events, self.utc_offset_s, milestone)
        self.totals = totals[-1]
        self._revisions += self.hip_day.take(
            sec.t0_s,
            days,
            (sec.posture, sec.data, sec.hip_flexion_deg),
            directions,
            (self.thigh, self.trunk),
            totals[:-1],
        )
        battery_low = self.battery_pct is not None and self.battery_pct < BATTERY_LOW_PCT
        self.alerts, alerts = alert_steps(
            self.alerts, self.alert_params, sec, hip_s, self.utc_offset_s, battery_low=battery_low
        )
        if sec.n:
            self.last_posture = Posture(int(sec.posture[-1]))
            self.last_data = int(sec.data[-1])
        return list(out.events), alerts, list(out.bouts)

    # --- commands and status -----------------------------------------------------
    def now_t_s(self) -> float:
        """Data time of the end of the last final second (commands apply here)."""
        if self.alerts.next_t_s is not None:
            return self.alerts.next_t_s
        return float(self.emitted_to) if self.emitted_to is not None else 0.0

    def command(self, text: str) -> list[Alert]:
        """Apply a command from the person; never raises (a bad one is REJECTED)."""
        t = self.now_t_s()
        if text.strip().lower() == "calibrate":
            return [recalibrate(self, t)]
        self.alerts, out = apply_command(self.alerts, self.alert_params, text, t)
        self.counters.alerts += len(out)
        return out

    def revise_day(self) -> tuple[HipRevision, ...]:
        """The stored hip angles of the local day in progress, revised with the
        calibration known now when it has moved (:mod:`analytics.hip_revision`),
        with the day's totals (also the live status's from now on): at the end of a
        run, and before a recalibration (then forgotten)."""
        rev = self.hip_day.revise(self.thigh, self.trunk)
        pending, self._revisions = tuple(self._revisions), []
        if rev is None:
            return pending
        if self.totals is not None and self.totals.day == rev.day:
            rev = with_totals(rev, self.totals)
            self.totals = rev.totals
        return (*pending, rev)

    def status(self) -> LiveStatus:
        return status_of(self)
