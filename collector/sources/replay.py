"""Replay a recording (or a simulated one) as a live source: the same messages a
BLE source emits, in blocks, paced in real time or ``speed`` times faster.

Each sensor group of the recording becomes a device (``<label>-thigh``,
``-trunk``, ``-seat``, ``-bike``); a spacing longer than ``gap_after_s`` between
consecutive samples of a device is an explicit :class:`Gap`, as from a sensor.

The recording may come in consecutive parts (a long simulation, made an hour at a
time): the messages are those of the parts joined into one recording, and only the
part being played is kept.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import numpy as np

from analytics.records import BoolArray, FloatArray, IntArray, Recording
from analytics.segments import TimeJumpParams
from collector.sources.messages import DeviceStatus, Gap, GapReason, Message, Role, SampleBlock

Emit = Callable[[Message], Awaitable[None]]

BLOCKS_WITHOUT_PAUSE = 64
"""A replay behind time lets the loop run other tasks (the consumer, commands, a
stop) at least every this many blocks (not after each: that costs more than the
block)."""

_COLUMNS: tuple[tuple[Role, str, tuple[tuple[str, str], ...]], ...] = (
    (Role.THIGH, "replay-imu", (("acc_g", "thigh_acc_g"), ("gyro_dps", "thigh_gyro_dps"))),
    (Role.TRUNK, "replay-imu", (("acc_g", "trunk_acc_g"),)),
    (Role.SEAT, "replay-pressure", (("seat_p", "seat_p"),)),
    (Role.BIKE, "replay-cadence", (("cadence_rpm", "cadence_rpm"),)),
)
"""Each sensor group: its role, its kind, and its SampleBlock fields with the
recording's column of each."""


@dataclass(frozen=True, slots=True)
class _Stream:
    """One sensor group's samples still to emit: views of a part's arrays, or what was
    carried over from the part before joined to them."""

    role: Role
    kind: str
    t_s: FloatArray
    arrays: dict[str, FloatArray]
    t_before_s: float
    """The time of the sample before ``t_s[0]`` (NaN: there is none)."""

    def after(self, i: int) -> _Stream:
        """The samples from index ``i`` on, copied (carried over to the next part:
        the part they are in is not kept for them)."""
        before = float(self.t_s[i - 1]) if i > 0 else self.t_before_s
        cols = {k: v[i:].copy() for k, v in self.arrays.items()}
        return _Stream(self.role, self.kind, self.t_s[i:].copy(), cols, before)


def _present(block: FloatArray) -> BoolArray:
    flat = block.reshape(block.shape[0], -1)
    return np.asarray(~np.isnan(flat).all(axis=1))


def _gaps(s: _Stream, t_offset_s: float, gap_after_s: float) -> IntArray:
    """Indexes of the samples of ``s`` that follow a spacing longer than
    ``gap_after_s`` (of the times shifted by ``t_offset_s``; the first sample's from
    the sample before it, when there is one)."""
    if math.isnan(s.t_before_s):
        return np.flatnonzero(np.diff(s.t_s + t_offset_s) > gap_after_s) + 1
    shifted = np.concatenate(([s.t_before_s], s.t_s)) + t_offset_s
    return np.flatnonzero(np.diff(shifted) > gap_after_s)


def _streams(part: Recording, carried: list[_Stream] | None) -> list[_Stream]:
    """Each sensor group's samples of ``part`` (views of the part's arrays where every
    sample is present: a day of samples is not copied), after the samples ``carried``
    over from the part before (one stream each, in the same order)."""
    out: list[_Stream] = []
    for role, kind, columns in _COLUMNS:
        given = {f: getattr(part, c) for f, c in columns if getattr(part, c) is not None}
        if not given:
            continue
        keep = _present(next(iter(given.values())))
        if keep.all():
            st, cols = part.t_s, given
        else:
            st, cols = part.t_s[keep], {k: v[keep] for k, v in given.items()}
        before = math.nan
        if carried is not None:
            old = carried[len(out)]
            before = old.t_before_s
            if old.t_s.shape[0]:
                st = np.concatenate((old.t_s, st))
                cols = {k: np.concatenate((old.arrays[k], v)) for k, v in cols.items()}
        out.append(_Stream(role, kind, st, cols, before))
    return out


class ReplaySource:
    """Emits ``recording`` as blocks of ``block_s`` seconds of data time.

    ``recording`` is one recording or its consecutive parts (an iterable of
    recordings with the same columns, each starting after the one before ends, read
    one at a time). ``speed`` = 1 is real time, 60 runs an hour a minute,
    ``math.inf`` as fast as the consumer takes it. ``t_offset_s`` shifts every time
    (e.g. to "now").
    """

    def __init__(
        self,
        recording: Recording | Iterable[Recording],
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
        self.parts: Iterable[Recording] = (
            (recording,) if isinstance(recording, Recording) else recording
        )
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
        start = asyncio.get_running_loop().time()
        t0 = last_t = math.nan  # the first sample's time: blocks are counted from it
        streams: list[_Stream] = []
        carried: list[_Stream] | None = None  # the last block so far, not emitted yet
        carried_index = 0.0
        carried_played = 0.0
        edge_before = played_before = 0.0  # the last block emitted, when it was due
        for part in self.parts:
            if part.t_s.shape[0] == 0:
                continue
            streams = _streams(part, carried)
            if not streams:
                return
            if carried is None:
                t0 = edge_before = float(part.t_s[0])
                start = asyncio.get_running_loop().time()
                for s in streams:
                    await self.emit(self._status(s, t0, True))
            last_t = float(part.t_s[-1])
            # all streams interleaved by block start, so that devices advance together;
            # only blocks that hold samples: a clock that jumps costs nothing
            index = np.unique(np.floor((part.t_s - t0) / self.block_s))
            if carried is not None:
                index = np.unique(np.concatenate(([carried_index], index)))
            edges = t0 + index * self.block_s
            # data time played before each block: a pause is replayed, a clock change
            # (a step beyond max_time_jump_s) is not waited for
            steps = np.diff(edges, prepend=edge_before)
            steps[steps > self.jumps.max_time_jump_s] = self.block_s
            played = np.cumsum(np.concatenate(([played_before], steps)))[1:]
            cuts = [np.searchsorted(s.t_s, edges).tolist() for s in streams]
            # the last block may go on in the next part: carried over, emitted later
            n = edges.shape[0] - 1
            if not await self._play(streams, cuts, played[:n].tolist(), start):
                carried = None
                break
            carried = [s.after(c[n]) for s, c in zip(streams, cuts, strict=True)]
            carried_index, carried_played = float(index[n]), float(played[n])
            if n > 0:
                edge_before, played_before = float(edges[n - 1]), float(played[n - 1])
        if carried is not None:
            await self._play(
                carried, [[0, s.t_s.shape[0]] for s in carried], [carried_played], start
            )
        if math.isfinite(last_t):
            for s in streams:
                await self.emit(self._status(s, last_t, False))

    async def _play(
        self, streams: list[_Stream], cuts: list[list[int]], played: list[float], start: float
    ) -> bool:
        """Blocks ``0 .. len(played) - 1`` of ``streams`` (block ``b`` of stream ``i`` is
        ``cuts[i][b] .. cuts[i][b + 1] - 1``), each when its data time ``played[b]`` is
        due; False when stopped. Behind time (a replay as fast as it can go), the
        blocks go on without a pause for :data:`BLOCKS_WITHOUT_PAUSE` blocks at most."""
        loop = asyncio.get_running_loop()
        gaps = [_gaps(s, self.t_offset_s, self.gap_after_s) for s in streams]
        gap_cuts = [np.searchsorted(g, c).tolist() for g, c in zip(gaps, cuts, strict=True)]
        gap_lists = [g.tolist() for g in gaps]
        devices = [f"{self.label}-{s.role}" for s in streams]
        timed = math.isfinite(self.speed)
        behind = 0
        for b, played_s in enumerate(played):
            if self._stop.is_set():
                return False
            wait_s = start + (played_s + self.block_s) / self.speed - loop.time() if timed else 0.0
            if wait_s > 0.0:
                await asyncio.sleep(wait_s)
                behind = 0
            else:
                behind += 1
                if behind >= BLOCKS_WITHOUT_PAUSE:
                    await asyncio.sleep(0)
                    behind = 0
            for i, s in enumerate(streams):
                lo, hi = cuts[i][b], cuts[i][b + 1]
                if hi <= lo:
                    continue
                g_lo, g_hi = gap_cuts[i][b], gap_cuts[i][b + 1]
                if g_lo == g_hi:  # no gap: one block
                    t = s.t_s[lo:hi] + self.t_offset_s
                    # copies: a queue of messages must not keep a replayed day alive
                    arrays = {k: v[lo:hi].copy() for k, v in s.arrays.items()}
                    await self.emit(SampleBlock(devices[i], s.kind, s.role, t, **arrays))
                    self.blocks += 1
                else:
                    await self._emit_block(s, lo, hi, gap_lists[i][g_lo:g_hi])
        return True

    async def _emit_block(self, s: _Stream, lo: int, hi: int, gaps: list[int]) -> None:
        """Samples ``lo .. hi - 1`` of ``s``, split at ``gaps`` (the indexes in
        ``lo .. hi - 1`` that follow a spacing longer than ``gap_after_s``: each
        becomes an explicit gap)."""
        device = f"{self.label}-{s.role}"
        t = s.t_s[lo:hi] + self.t_offset_s
        starts = gaps if gaps[0] == lo else [lo, *gaps]
        for a, b in itertools.pairwise([*starts, hi]):
            if a != lo or gaps[0] == lo:
                before = float(s.t_s[a - 1]) if a > 0 else s.t_before_s
                t_after = float(t[a - lo])
                await self.emit(
                    Gap(device, before + self.t_offset_s, t_after, GapReason.DISCONNECTED)
                )
            arrays = {k: v[a:b].copy() for k, v in s.arrays.items()}
            await self.emit(SampleBlock(device, s.kind, s.role, t[a - lo : b - lo], **arrays))
            self.blocks += 1

    def _status(self, s: _Stream, t_s: float, connected: bool) -> DeviceStatus:
        return DeviceStatus(
            f"{self.label}-{s.role}", t_s + self.t_offset_s, connected, None, "replay"
        )
