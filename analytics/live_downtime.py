"""Downtime in the live engine: the first data after a restart (the clocks paused, or
one gap) and a live clock that jumped forward while every sensor was silent (one
gap), moved over at once (:func:`analytics.downtime.skip_gap`)."""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

from analytics import stream_state
from analytics.alert_rules import pause
from analytics.downtime import skip_gap
from analytics.live import DATA_NONE
from analytics.live_steps import EngineOutput
from analytics.records import Posture

if TYPE_CHECKING:
    from analytics.live_engine import LiveEngine

log = logging.getLogger(__name__)


def resume(engine: LiveEngine, first_t_s: float) -> None:
    """First data after a restart: downtime shorter than a break pauses the clocks
    (see analytics.stream_state.pause); longer downtime is a gap like any other."""
    engine._restored = False
    assert engine.emitted_to is not None
    gap = math.floor(first_t_s) - engine.emitted_to
    if gap <= 0:
        return
    if gap >= engine.exposure_params.break_s:
        gap_at_once(engine, gap)
        log.info("resumed after %d s of downtime: one gap (the bout, if any, ends)", gap)
        return
    if engine.stream is None:
        return
    engine.stream = stream_state.pause(engine.stream, gap)
    engine.alerts = pause(engine.alerts, float(gap))
    engine.emitted_to += gap
    engine.counters.restart_pauses += 1
    log.info("resumed after %d s of downtime: the bout clock was paused", gap)


def gap_at_once(engine: LiveEngine, gap: int) -> None:
    """Move over ``gap`` seconds without data at once (see analytics.downtime): the
    alert policy sees one gap step at the next second it gets; the exposure
    events the gap causes come with the next :meth:`LiveEngine.process`."""
    assert engine.emitted_to is not None
    if engine.stream is not None:
        engine.stream, out = skip_gap(engine.stream, gap, engine.exposure_params)
        before = engine._skipped or EngineOutput()
        engine._skipped = EngineOutput(
            events=before.events + out.events, bouts=before.bouts + out.bouts
        )
    engine.emitted_to += gap
    engine.last_posture, engine.last_data = Posture.NONWEAR, DATA_NONE


def skip_long_silence(engine: LiveEngine, wm: float | None) -> None:
    """A live clock that jumped forward while every sensor was silent and every
    second with data is final: one gap instead of ``fill_max_s`` or more seconds
    of no data (see :class:`analytics.downtime.DowntimeParams`; ``wm``: the engine's
    watermark, :meth:`LiveEngine._watermark`)."""
    if wm is None or engine.emitted_to is None:
        return
    newest = max(b.last_t_s for b in engine._buffers.values())
    if engine.emitted_to <= newest:
        return
    gap = math.floor(wm) - engine.live.lag_s - engine.emitted_to
    if gap > engine.downtime.fill_max_s:
        gap_at_once(engine, gap)
        log.warning("the clock moved on by %d s at once: one gap (the bout, if any, ends)", gap)
