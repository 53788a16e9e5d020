"""Replay a recording (or a simulated one) as a live source: the same messages a
BLE source emits, in blocks, paced in real time or ``speed`` times faster.

Each sensor group of the recording becomes a device (``<label>-thigh``,
``-trunk``, ``-seat``, ``-bike``); a spacing longer than ``gap_after_s`` between
consecutive samples of a device is an explicit :class:`Gap`, as from a sensor.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import numpy as np

from analytics.records import FloatArray, IntArray, Recording
from analytics.segments import TimeJumpParams
from collector.sources.messages import DeviceStatus, Gap, GapReason, Message, Role, SampleBlock

Emit = Callable[[Message], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class _Stream:
    role: Role
    kind: str
    t_s: FloatArray
    arrays: dict[str, FloatArray]
    gaps: IntArray
    """Indexes of the samples that follow a spacing longer than ``gap_after_s``."""


def _streams(recording: Recording, t_offset_s: float, gap_after_s: float) -> list[_Stream]:
    """Each sensor group's samples (views of the recording's arrays where every
    sample is present: a day of samples is not copied) and where a spacing longer
    than ``gap_after_s`` (of the times shifted by ``t_offset_s``) starts."""
    t = recording.t_s
    out: list[_Stream] = []

    def present(block: FloatArray) -> FloatArray:
        flat = block.reshape(block.shape[0], -1)
        return np.asarray(~np.isnan(flat).all(axis=1))

    def add(role: Role, kind: str, **arrays: FloatArray | None) -> None:
        given = {k: v for k, v in arrays.items() if v is not None}
        if not given:
            return
        keep = present(next(iter(given.values())))
        if keep.all():
            st, cols = t, given
        else:
            st, cols = t[keep], {k: v[keep] for k, v in given.items()}
        gaps = np.flatnonzero(np.diff(st + t_offset_s) > gap_after_s) + 1
        out.append(_Stream(role, kind, st, cols, gaps))

    add(Role.THIGH, "replay-imu", acc_g=recording.thigh_acc_g, gyro_dps=recording.thigh_gyro_dps)
    add(Role.TRUNK, "replay-imu", acc_g=recording.trunk_acc_g)
    add(Role.SEAT, "replay-pressure", seat_p=recording.seat_p)
    add(Role.BIKE, "replay-cadence", cadence_rpm=recording.cadence_rpm)
    return out


class ReplaySource:
    """Emits ``recording`` as blocks of ``block_s`` seconds of data time.

    ``speed`` = 1 is real time, 60 runs an hour a minute, ``math.inf`` as fast as
    the consumer takes it. ``t_offset_s`` shifts every time (e.g. to "now").
    """

    def __init__(
        self,
        recording: Recording,
        emit: Emit,
        *,
        label: str = "replay",
        speed: float = 1.0,
        block_s: float = 1.0,
        gap_after_s: float = 2.0,
        t_offset_s: float = 0.0,
        jumps: TimeJumpParams | None = None,
    ) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        self.recording = recording
        self.emit = emit
        self.label = label
        self.speed = speed
        self.block_s = block_s
        self.gap_after_s = gap_after_s
        self.t_offset_s = t_offset_s
        self.jumps = jumps or TimeJumpParams()
        self.blocks = 0
        self._stop = asyncio.Event()

    async def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        streams = _streams(self.recording, self.t_offset_s, self.gap_after_s)
        if not streams or self.recording.t_s.shape[0] == 0:
            return
        t0 = float(self.recording.t_s[0])
        # all streams interleaved by block start, so that devices advance together;
        # only blocks that hold samples: a clock that jumps costs nothing
        index = np.unique(np.floor((self.recording.t_s - t0) / self.block_s))
        edges = t0 + index * self.block_s
        # data time played before each block: a pause is replayed, a clock change
        # (a step beyond max_time_jump_s) is not waited for
        steps = np.diff(edges, prepend=t0)
        steps[steps > self.jumps.max_time_jump_s] = self.block_s
        played = np.cumsum(steps)
        cuts = [np.searchsorted(s.t_s, edges) for s in streams]
        loop = asyncio.get_running_loop()
        start = loop.time()
        for s in streams:
            await self.emit(self._status(s, t0, True))
        for b in range(edges.shape[0]):
            if self._stop.is_set():
                break
            if math.isfinite(self.speed):
                due = start + (float(played[b]) + self.block_s) / self.speed
                await asyncio.sleep(max(0.0, due - loop.time()))
            else:
                await asyncio.sleep(0)
            for i, s in enumerate(streams):
                lo, hi = (
                    int(cuts[i][b]),
                    int(cuts[i][b + 1]) if b + 1 < len(cuts[i]) else s.t_s.shape[0],
                )
                if hi <= lo:
                    continue
                await self._emit_block(s, lo, hi)
        for s in streams:
            await self.emit(self._status(s, float(self.recording.t_s[-1]), False))

    def _status(self, s: _Stream, t_s: float, connected: bool) -> DeviceStatus:
        return DeviceStatus(
            f"{self.label}-{s.role}", t_s + self.t_offset_s, connected, None, "replay"
        )

    async def _emit_block(self, s: _Stream, lo: int, hi: int) -> None:
        """Samples ``lo .. hi - 1`` of ``s``, split where a spacing longer than
        ``gap_after_s`` is (each becomes an explicit gap)."""
        device = f"{self.label}-{s.role}"
        t = s.t_s[lo:hi] + self.t_offset_s
        g_lo, g_hi = np.searchsorted(s.gaps, [lo, hi])  # gaps at indexes lo .. hi - 1
        gaps = s.gaps[g_lo:g_hi].tolist()
        starts = gaps if gaps and gaps[0] == lo else [lo, *gaps]
        for a, b in itertools.pairwise([*starts, hi]):
            if a != lo or gaps[:1] == [lo]:
                t_before = float(s.t_s[a - 1] + self.t_offset_s)
                t_after = float(t[a - lo])
                await self.emit(Gap(device, t_before, t_after, GapReason.DISCONNECTED))
            # copies: a queue of messages must not keep a replayed day alive
            arrays = {k: v[a:b].copy() for k, v in s.arrays.items()}
            await self.emit(SampleBlock(device, s.kind, s.role, t[a - lo : b - lo], **arrays))
            self.blocks += 1
