"""Where ``sitload run`` gets its data: a replayed file, the simulator or BLE sensors.

A plan says which sensors (roles) the run has and builds the sources. A simulation
longer than a day is made one day at a time (:class:`SimulationPlan`), so that the
service's memory does not grow with the length of the data: only the day being
replayed is in memory.
"""

from __future__ import annotations

import datetime
import logging
import math
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any, Protocol

import numpy as np

from analytics.records import Recording
from collector.config import Settings, SourceSettings
from collector.sources.messages import Message, Role
from collector.timezone import chosen_zone

log = logging.getLogger(__name__)

Emit = Callable[[Message], Awaitable[None]]

SIM_CHUNK_H = 24.0
"""A simulation is made in pieces of at most this many hours (a day: one day of
50 Hz thigh + trunk samples is what the service holds at most)."""


class Source(Protocol):
    async def run(self) -> None: ...

    async def stop(self) -> None: ...


def local_zone(name: str | None) -> datetime.tzinfo:
    """The configured zone, else this machine's IANA zone (its daylight-saving rules
    included: a fixed offset would misplace local midnight after a clock change)."""
    return chosen_zone(name)


def slice_recording(rec: Recording, from_t_s: float) -> Recording:
    """The samples at or after ``from_t_s`` (a replay resuming a saved state)."""
    keep = rec.t_s >= from_t_s
    if keep.all():
        return rec
    cols = {
        name: (None if getattr(rec, name) is None else getattr(rec, name)[keep])
        for name in ("thigh_acc_g", "thigh_gyro_dps", "trunk_acc_g", "seat_p", "cadence_rpm")
    }
    return Recording(t_s=rec.t_s[keep], seat_unit=rec.seat_unit, source=rec.source, **cols)


def roles_of(rec: Recording) -> set[Role]:
    roles = set()
    if rec.thigh_acc_g is not None:
        roles.add(Role.THIGH)
    if rec.trunk_acc_g is not None:
        roles.add(Role.TRUNK)
    if rec.seat_p is not None:
        roles.add(Role.SEAT)
    if rec.cadence_rpm is not None:
        roles.add(Role.BIKE)
    return roles


def simulation_start(tz: datetime.tzinfo, now_s: float) -> float:
    """08:00 local time today: a simulated day starts at work."""
    today = datetime.datetime.fromtimestamp(now_s, tz).date()
    return datetime.datetime.combine(today, datetime.time(8, 0), tz).timestamp()


class SourcePlan(Protocol):
    """How to build the run's sources. ``extra`` is the state saved with the engine
    (a simulation keeps its start time there, so a restart replays the same day)."""

    def roles(self, extra: dict[str, Any]) -> set[Role]: ...

    def build(
        self, emit: Emit, resume_t_s: float | None, extra: dict[str, Any]
    ) -> list[Source]: ...


class RecordingPlan:
    """A recording replayed at ``speed`` (made on first use)."""

    def __init__(
        self,
        make: Callable[[dict[str, Any]], Recording],
        *,
        speed: float,
        label: str,
    ) -> None:
        self.make = make
        self.speed = speed
        self.label = label
        self._rec: Recording | None = None

    def recording(self, extra: dict[str, Any]) -> Recording:
        if self._rec is None:
            self._rec = self.make(extra)
        return self._rec

    def roles(self, extra: dict[str, Any]) -> set[Role]:
        return roles_of(self.recording(extra))

    def build(self, emit: Emit, resume_t_s: float | None, extra: dict[str, Any]) -> list[Source]:
        from collector.sources.replay import ReplaySource

        rec = self.recording(extra)
        self._rec = None  # the source holds it now, and only while it runs
        if resume_t_s is not None:
            rec = slice_recording(rec, resume_t_s)
        return [ReplaySource(rec, emit, label=self.label, speed=self.speed, block_s=1.0)]


def chunk_seed(seed: int, k: int) -> int:
    """The simulator seed of piece ``k`` of a long simulation (piece 0: ``seed``
    itself, so a simulation of a day or less is what ``simulate`` gives)."""
    if k == 0:
        return seed
    return int(np.random.SeedSequence([seed, k]).generate_state(1)[0])


class SimulationPlan:
    """The simulator's recording, made and replayed one piece (at most ``chunk_h``
    hours) at a time: piece ``k`` starts ``k`` pieces after the simulation's start,
    with its own seed (:func:`chunk_seed`)."""

    def __init__(
        self,
        source: SourceSettings,
        start: Callable[[], float],
        *,
        chunk_h: float = SIM_CHUNK_H,
    ) -> None:
        self.source = source
        self.start = start
        self.pieces = max(1, math.ceil(source.hours / chunk_h - 1e-9))
        self.piece_h = source.hours / self.pieces
        self._first: Recording | None = None

    def _start_t_s(self, extra: dict[str, Any]) -> float:
        return float(extra.setdefault("sim_start_t_s", self.start()))

    def piece(self, extra: dict[str, Any], k: int) -> Recording:
        from collector.sources.simulator import simulate

        if k == 0 and self._first is not None:
            rec, self._first = self._first, None
            return rec
        s = self.source
        t0 = self._start_t_s(extra) + k * self.piece_h * 3600.0
        sim = simulate(
            s.profile, self.piece_h, chunk_seed(s.seed, k), start_t_s=t0, trunk=s.trunk, seat=s.seat
        )
        return sim.recording

    def roles(self, extra: dict[str, Any]) -> set[Role]:
        if self._first is None:
            self._first = self.piece(extra, 0)
        return roles_of(self._first)

    def recordings(self, extra: dict[str, Any], resume_t_s: float | None) -> Iterator[Recording]:
        """The pieces in order, each cut to start after the one before (and at
        ``resume_t_s``), made as they are needed."""
        from_t_s = -math.inf if resume_t_s is None else resume_t_s  # keep t >= from_t_s
        for k in range(self.pieces):
            t0 = self._start_t_s(extra) + k * self.piece_h * 3600.0
            if t0 + self.piece_h * 3600.0 <= from_t_s:
                continue  # resumed past this piece
            rec = slice_recording(self.piece(extra, k), from_t_s)
            if rec.t_s.shape[0]:
                from_t_s = float(np.nextafter(rec.t_s[-1], math.inf))
                yield rec
            del rec  # not kept while the next piece is made

    def build(self, emit: Emit, resume_t_s: float | None, extra: dict[str, Any]) -> list[Source]:
        return [PieceReplay(self.recordings(extra, resume_t_s), emit, speed=self.source.speed)]


class PieceReplay:
    """Replays recordings one after the other (one :class:`ReplaySource` each); only
    the one playing is kept."""

    def __init__(self, pieces: Iterator[Recording], emit: Emit, *, speed: float) -> None:
        self.pieces = pieces
        self.emit = emit
        self.speed = speed
        self._current: Source | None = None
        self._stopped = False

    async def run(self) -> None:
        from collector.sources.replay import ReplaySource

        for rec in self.pieces:
            if self._stopped:
                return
            self._current = ReplaySource(rec, self.emit, label="sim", speed=self.speed, block_s=1.0)
            del rec
            await self._current.run()
            self._current = None

    async def stop(self) -> None:
        self._stopped = True
        if self._current is not None:
            await self._current.stop()


class BlePlan:
    """The configured BLE sensors (``KIND[:ADDRESS|NAME][/ROLE]`` each)."""

    def __init__(self, devices: Sequence[str], **ctx: Any) -> None:
        from collector.ble.session import parse_device, unique_labels

        self.specs = unique_labels([parse_device(d, i) for i, d in enumerate(devices)])
        self.ctx = ctx

    def roles(self, extra: dict[str, Any]) -> set[Role]:
        from collector.ble.session import default_role

        return {s.role or default_role(s.kind) for s in self.specs}

    def build(self, emit: Emit, resume_t_s: float | None, extra: dict[str, Any]) -> list[Source]:
        from collector.ble.source import BleContext, BleSource

        ctx = BleContext(**self.ctx)
        return [BleSource(s, ctx, emit) for s in self.specs]


def plan_for(settings: Settings, tz: datetime.tzinfo, now_s: float) -> SourcePlan:
    """The source plan of the settings (replay file, simulator or BLE)."""
    s = settings.source
    if s.kind == "ble":
        return BlePlan(s.devices)
    if s.kind == "replay":
        from collector.recordings import load_recording

        assert s.file is not None
        path = s.file

        def load(_extra: dict[str, Any]) -> Recording:
            loaded = load_recording(path)
            for w in loaded.warnings:
                log.warning("%s: %s", path, w)
            return loaded.recording

        return RecordingPlan(load, speed=s.speed, label="replay")
    return SimulationPlan(s, lambda: simulation_start(tz, now_s))


def source_key(settings: Settings) -> str:
    """Identifies the data a saved state belongs to (a replay resumes only its own)."""
    s = settings.source
    if s.kind == "replay":
        return f"replay:{s.file}"
    if s.kind == "simulate":
        return f"simulate:{s.profile}:{s.hours:g}:{s.seed}:{s.trunk}:{s.seat}"
    return "ble"
