"""Where ``sitload run`` gets its data: a replayed file, the simulator or BLE sensors.

A plan says which sensors (roles) the run has and builds the sources. A simulation
longer than a day is made one day at a time (:class:`SimulationPlan`), and each day
a few minutes at a time as it is replayed, so that the service's memory does not grow
with the length of the data: only the minutes being replayed are in memory.
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

SIM_PART_S = 600
"""A simulated piece is made and replayed this many seconds of samples at a time."""
SIM_CHUNK_H = 24.0
"""A simulation is made in pieces of at most this many hours (a day, with its own
seed; each piece is made and replayed :data:`SIM_PART_S` at a time)."""


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
    with its own seed (:func:`chunk_seed`). A piece is made a few minutes at a time as it
    is replayed (:func:`collector.sources.simulator.simulate_parts`): only the
    minutes being replayed are in memory."""

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

    def _start_t_s(self, extra: dict[str, Any]) -> float:
        return float(extra.setdefault("sim_start_t_s", self.start()))

    def piece(self, extra: dict[str, Any], k: int) -> Iterator[Recording]:
        """Piece ``k``'s recording, in consecutive parts (made as they are read)."""
        from collector.sources.simulator import simulate_parts

        s = self.source
        t0 = self._start_t_s(extra) + k * self.piece_h * 3600.0
        return simulate_parts(
            s.profile,
            self.piece_h,
            chunk_seed(s.seed, k),
            start_t_s=t0,
            trunk=s.trunk,
            seat=s.seat,
            part_s=SIM_PART_S,
        )

    def roles(self, extra: dict[str, Any]) -> set[Role]:
        """The simulator's sensors: the thigh always, the trunk and the seat mat when
        set, the crank (cadence) for a cyclist."""
        s = self.source
        roles = {Role.THIGH}
        if s.trunk:
            roles.add(Role.TRUNK)
        if s.seat:
            roles.add(Role.SEAT)
        if s.profile == "cyclist":
            roles.add(Role.BIKE)
        return roles

    def recordings(
        self, extra: dict[str, Any], resume_t_s: float | None
    ) -> Iterator[Iterator[Recording]]:
        """The pieces in order (each in parts), each cut to start after the one before
        (and at ``resume_t_s``), made as they are read."""
        # keep t >= after[0]: the resumed time, then just after the piece before's end
        after = [-math.inf if resume_t_s is None else resume_t_s]

        def cut(parts: Iterator[Recording]) -> Iterator[Recording]:
            from_t_s = after[0]
            for part in parts:
                rec = slice_recording(part, from_t_s)
                del part
                if rec.t_s.shape[0]:
                    after[0] = float(np.nextafter(rec.t_s[-1], math.inf))
                    yield rec
                del rec  # not kept while the next part is made

        for k in range(self.pieces):
            t0 = self._start_t_s(extra) + k * self.piece_h * 3600.0
            if t0 + self.piece_h * 3600.0 <= after[0]:
                continue  # resumed past this piece
            yield cut(self.piece(extra, k))

    def build(self, emit: Emit, resume_t_s: float | None, extra: dict[str, Any]) -> list[Source]:
        return [PieceReplay(self.recordings(extra, resume_t_s), emit, speed=self.source.speed)]


class PieceReplay:
    """Replays recordings one after the other (one :class:`ReplaySource` each, of the
    recording's parts); only the part playing is kept."""

    def __init__(self, pieces: Iterator[Iterator[Recording]], emit: Emit, *, speed: float) -> None:
        self.pieces = pieces
        self.emit = emit
        self.speed = speed
        self._current: Source | None = None
        self._stopped = False

    async def run(self) -> None:
        from collector.sources.replay import ReplaySource

        for parts in self.pieces:
            if self._stopped:
                return
            self._current = ReplaySource(
                parts, self.emit, label="sim", speed=self.speed, block_s=1.0
            )
            del parts
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
