"""Record source messages to a sitload CSV recording as they arrive.

Every sample keeps its own time: rows are the union of the devices' sample
times, and a row fills only the sensor groups that sampled at that instant (the
others are empty, which the format reads as "that sensor sent nothing"). Nothing
is resampled and gaps stay gaps.

Rows are appended every ``flush_every_s`` of data time, up to a *watermark*: the
latest time every active device has reached (a device silent for more than
``lag_s`` of data time does not hold the others back). A sample that arrives
behind the watermark cannot be inserted any more; it is counted in
``late_dropped`` (it happens only when a device's clock jumps back). The header
waits up to ``header_wait_s`` of data for every configured device; a device that
first sends after that has no columns, and its samples are counted in
``unrecorded``. Accepted
data is on disk within ``flush_every_s`` and survives a crash of the recorder.
Gaps and the devices' counters go to a JSON sidecar (``FILE.session.json``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from analytics.records import FloatArray, Recording
from collector.recordings.csv_writer import write_csv_chunk
from collector.sources.messages import DeviceStatus, Gap, Message, Role, SampleBlock


@dataclass
class _Pending:
    t_s: list[FloatArray] = field(default_factory=list)
    values: dict[str, list[FloatArray]] = field(default_factory=dict)
    last_t_s: float = -np.inf

    def add(self, block: SampleBlock) -> None:
        self.t_s.append(block.t_s)
        for name in ("acc_g", "gyro_dps", "seat_p", "cadence_rpm"):
            value = getattr(block, name)
            if value is not None:
                self.values.setdefault(name, []).append(value)
        self.last_t_s = float(block.t_s[-1])

    def take(self, upto_t_s: float) -> tuple[FloatArray, dict[str, FloatArray]] | None:
        if not self.t_s:
            return None
        t = np.concatenate(self.t_s)
        values = {k: np.concatenate(v) for k, v in self.values.items()}
        cut = int(np.searchsorted(t, upto_t_s, side="right"))
        self.t_s = [t[cut:]] if cut < t.shape[0] else []
        self.values = {k: [v[cut:]] for k, v in values.items()} if self.t_s else {}
        if cut == 0:
            return None
        return t[:cut], {k: v[:cut] for k, v in values.items()}


class Recorder:
    """Accepts messages (``await recorder.accept(m)`` is an ``Emit``) and appends
    rows to ``path``. Call :meth:`close` at the end to write the rest."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        roles: set[Role],
        *,
        flush_every_s: float = 2.0,
        lag_s: float = 5.0,
        header_wait_s: float = 30.0,
        seat_unit: str = "counts",
    ) -> None:
        if not roles & {Role.THIGH, Role.SEAT}:
            raise ValueError(
                "a recording needs a thigh sensor or a seat mat; add a device with role "
                "thigh or seat"
            )
        self.path = Path(path)
        self.roles = roles
        self.flush_every_s = flush_every_s
        self.lag_s = lag_s
        self.header_wait_s = header_wait_s
        self.seat_unit = seat_unit
        self.rows = 0
        self.samples = 0
        self.late_dropped = 0
        self.unrecorded = 0  # samples of a device that has no columns in the header
        self.gaps: list[Gap] = []
        self.status: dict[str, DeviceStatus] = {}
        self.counters: dict[str, dict[str, Any]] = {}
        self._pending: dict[Role, _Pending] = {r: _Pending() for r in roles}
        self._widths: dict[Role, dict[str, int]] = {}
        self._written_t_s = -np.inf
        self._next_flush_t_s: float | None = None
        self._file: BinaryIO | None = None
        self._names: tuple[str, ...] | None = None

    async def accept(self, message: Message) -> None:
        if isinstance(message, SampleBlock):
            self._add(message)
        elif isinstance(message, Gap):
            self.gaps.append(message)
        else:
            self.status[message.device] = message

    def _add(self, block: SampleBlock) -> None:
        if block.role not in self._pending:
            return
        keep = block.t_s > max(self._written_t_s, self._pending[block.role].last_t_s)
        if not keep.all():
            self.late_dropped += int((~keep).sum())
            if not keep.any():
                return
            block = SampleBlock(
                block.device,
                block.kind,
                block.role,
                block.t_s[keep],
                *(
                    None if a is None else a[keep]
                    for a in (
                        block.acc_g,
                        block.gyro_dps,
                        block.seat_p,
                        block.cadence_rpm,
                        block.power_w,
                    )
                ),
            )
        self._pending[block.role].add(block)
        self.samples += block.n
        if self._next_flush_t_s is None:
            self._next_flush_t_s = float(block.t_s[0]) + self.flush_every_s
        if block.t_s[-1] >= self._next_flush_t_s:
            self.flush()
            self._next_flush_t_s = float(block.t_s[-1]) + self.flush_every_s

    def watermark_t_s(self) -> float:
        lasts = [p.last_t_s for p in self._pending.values() if np.isfinite(p.last_t_s)]
        if not lasts:
            return -np.inf
        newest = max(lasts)
        return min(t for t in lasts if t >= newest - self.lag_s)

    def _waiting_for_roles(self) -> bool:
        """Before the header is written, wait (up to ``header_wait_s`` of data) for
        every configured device, so that each gets its columns."""
        firsts = [p.t_s[0][0] for p in self._pending.values() if p.t_s]
        lasts = [p.last_t_s for p in self._pending.values() if p.t_s]
        missing = any(not p.t_s for p in self._pending.values())
        return missing and bool(firsts) and max(lasts) - min(firsts) < self.header_wait_s

    def flush(self, final: bool = False) -> None:
        if self._file is None and not final and self._waiting_for_roles():
            return
        upto = np.inf if final else self.watermark_t_s()
        taken = {r: p.take(upto) for r, p in self._pending.items()}
        parts = {r: v for r, v in taken.items() if v is not None}
        if not parts:
            return
        t = np.unique(np.concatenate([v[0] for v in parts.values()]))
        recording = self._assemble(t, parts)
        if recording is None:
            return
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "wb")  # noqa: SIM115 - kept open across flushes
            self._names = write_csv_chunk(self._file, recording, header=True)
        else:
            names = write_csv_chunk(self._file, recording, header=False)
            assert names == self._names
        self._file.flush()
        os.fsync(self._file.fileno())
        self.rows += t.shape[0]
        self._written_t_s = float(t[-1])

    def _assemble(
        self, t: FloatArray, parts: dict[Role, tuple[FloatArray, dict[str, FloatArray]]]
    ) -> Recording | None:
        for role, (_, values) in parts.items():
            if self._file is None and role not in self._widths:
                self._widths[role] = {
                    k: v.shape[1] if v.ndim == 2 else 0 for k, v in values.items()
                }
            widths = self._widths.get(role, {})
            if {k: v.shape[1] if v.ndim == 2 else 0 for k, v in values.items()} != widths:
                # a device that was not there when the header was written, or that
                # changed what it sends: its samples cannot get columns now
                self.unrecorded += parts[role][0].shape[0]
                values.clear()
        if self._file is None and not (set(parts) & {Role.THIGH, Role.SEAT}):
            return None  # wait for a thigh or seat sample before the header
        fields: dict[str, FloatArray] = {}

        def column(role: Role, name: str) -> FloatArray | None:
            width = self._widths.get(role, {}).get(name)
            if width is None:
                return None
            shape = (t.shape[0], width) if width else (t.shape[0],)
            out = np.full(shape, np.nan)
            if role in parts and name in parts[role][1]:
                rows = np.searchsorted(t, parts[role][0])
                out[rows] = parts[role][1][name]
            return out

        fields["thigh_acc_g"] = column(Role.THIGH, "acc_g")  # type: ignore[assignment]
        fields["thigh_gyro_dps"] = column(Role.THIGH, "gyro_dps")  # type: ignore[assignment]
        fields["trunk_acc_g"] = column(Role.TRUNK, "acc_g")  # type: ignore[assignment]
        fields["seat_p"] = column(Role.SEAT, "seat_p")  # type: ignore[assignment]
        fields["cadence_rpm"] = column(Role.BIKE, "cadence_rpm")  # type: ignore[assignment]
        return Recording(t_s=t, seat_unit=self.seat_unit, source="sitload record", **fields)

    def close(self, counters: dict[str, dict[str, Any]] | None = None) -> None:
        """Write what is pending, close the file and write the session sidecar."""
        self.flush(final=True)
        if self._file is not None:
            self._file.close()
            self._file = None
        sidecar = {
            "recording": self.path.name,
            "rows": self.rows,
            "samples": self.samples,
            "late_dropped": self.late_dropped,
            "unrecorded": self.unrecorded,
            "gaps": [
                {
                    "device": g.device,
                    "start_t_s": g.start_t_s,
                    "end_t_s": g.end_t_s,
                    "reason": str(g.reason),
                    "lost_samples": g.lost_samples,
                }
                for g in self.gaps
            ],
            "devices": counters or self.counters,
        }
        self.path.with_name(self.path.name + ".session.json").write_text(
            json.dumps(sidecar, indent=2) + "\n"
        )
