"""Records that cross module boundaries: recordings, calibrations and timelines.

Conventions (see docs/recordings.md):

* times are seconds (``t_s``), float64, strictly increasing inside a recording;
* accelerometer values are specific force in g (standing still reads +1 g "up");
* gyroscope values are degrees per second;
* arrays are numpy arrays; optional sensors are ``None`` when absent.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields

import numpy as np
import numpy.typing as npt

from analytics.rules import RULES

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Int8Array = npt.NDArray[np.int8]
BoolArray = npt.NDArray[np.bool_]


def whole_seconds(t0_s: int, n: int) -> IntArray:
    """The times ``t0_s, t0_s + 1, …`` of ``n`` consecutive whole seconds."""
    return t0_s + np.arange(n, dtype=np.int64)


def span_s(t_s: FloatArray) -> float:
    """Seconds from the first to the last of the sample times ``t_s`` (0 when empty)."""
    return float(t_s[-1] - t_s[0]) if t_s.shape[0] else 0.0


class Posture(enum.IntEnum):
    """Per-second posture classes. The integer codes are stable (stored, compared)."""

    NONWEAR = 0
    SITTING = 1
    UPRIGHT = 2
    LYING = 3
    RIDING_SEATED = 4
    RIDING_STANDING = 5

    @property
    def word(self) -> str:
        """The lower-case word used in timelines and reports."""
        return self.name.lower()

    @classmethod
    def from_word(cls, word: str) -> Posture:
        try:
            return cls[word.strip().upper()]
        except KeyError:
            known = ", ".join(p.word for p in cls)
            raise ValueError(f"unknown posture {word!r}; expected one of {known}") from None


POSTURE_WORDS: tuple[str, ...] = tuple(p.word for p in Posture)


@dataclass(frozen=True, slots=True)
class SeatLayout:
    """Positions of the seat-pressure cells, in metres on the seat plane.

    ``x_m`` grows to the sitter's right, ``y_m`` grows forward (towards the knees).
    """

    x_m: FloatArray
    y_m: FloatArray

    @property
    def n_cells(self) -> int:
        return int(self.x_m.shape[0])

    @staticmethod
    def grid(rows: int, cols: int, pitch_m: float = 0.04) -> SeatLayout:
        """A regular grid, cell ``p{r*cols+c:02d}`` at row r (back to front), column c
        (left to right), centred on the seat."""
        r, c = np.divmod(np.arange(rows * cols, dtype=np.float64), cols)
        x = (c - (cols - 1) / 2.0) * pitch_m
        y = (r - (rows - 1) / 2.0) * pitch_m
        return SeatLayout(x_m=x.astype(np.float64), y_m=y.astype(np.float64))


@dataclass(frozen=True, slots=True)
class Recording:
    """Raw sensor samples on one time base.

    All present arrays have ``n`` rows. NaN marks a missing value of one sensor in
    one sample (for example a trunk sample lost while the thigh one arrived).
    """

    t_s: FloatArray
    thigh_acc_g: FloatArray | None = None
    thigh_gyro_dps: FloatArray | None = None
    trunk_acc_g: FloatArray | None = None
    seat_p: FloatArray | None = None
    cadence_rpm: FloatArray | None = None
    seat_unit: str = "counts"
    source: str = ""

    @property
    def n(self) -> int:
        return int(self.t_s.shape[0])

    @property
    def duration_s(self) -> float:
        return span_s(self.t_s)


@dataclass(frozen=True, slots=True)
class Epochs:
    """Per-second aggregates of a recording (the input of posture classification).

    Second ``i`` covers ``[t0_s + i, t0_s + i + 1)``. ``count`` is the number of thigh
    samples in it; seconds with no sample are gaps.
    """

    t0_s: int
    count: IntArray
    thigh_mean_g: FloatArray  # (n, 3), NaN in gaps
    thigh_std_g: FloatArray  # (n,) RMS deviation of the vector from its mean, NaN in gaps
    thigh_range_g: FloatArray  # (n,) max-min of the magnitude, NaN in gaps
    trunk_mean_g: FloatArray | None = None  # (n, 3)
    trunk_std_g: FloatArray | None = None  # (n,)
    trunk_count: IntArray | None = None  # (n,)
    cadence_rpm: FloatArray | None = None  # (n,)
    thigh_pedal_share: FloatArray | None = None
    """(n,) share of the thigh movement's rhythm at pedalling rates rather than step
    rates (:func:`analytics.rhythm.rhythm_features`); NaN near gaps; None when not
    computed."""
    thigh_stride_ratio: FloatArray | None = None
    """(n,) the thigh's swing at half its movement's rate relative to at that rate
    (high in gait: one swing per stride, two landings; near 0 in pedalling)."""
    thigh_rhythm_steady: BoolArray | None = None
    """(n,) the movement keeps one rate over a few seconds (steps, pedal strokes)."""

    @property
    def n(self) -> int:
        return int(self.count.shape[0])

    @property
    def t_s(self) -> IntArray:
        return whole_seconds(self.t0_s, self.n)

    def part(self, lo: int, hi: int) -> Epochs:
        """Seconds ``[lo, hi)`` of these (indices from the first), as views."""
        arrays = {name: getattr(self, name) for name in _EPOCH_ARRAYS}
        return Epochs(
            t0_s=self.t0_s + lo,
            **{k: v[lo:hi] if isinstance(v, np.ndarray) else v for k, v in arrays.items()},
        )


_EPOCH_ARRAYS = tuple(f.name for f in fields(Epochs) if f.name != "t0_s")
"""The per-second arrays of :class:`Epochs` (every field but ``t0_s``)."""


@dataclass(frozen=True, slots=True)
class ThighCalibration:
    """Thigh axes expressed in the sensor frame (unit vectors).

    ``up`` is the specific-force direction while standing still (the thigh's long
    axis, pointing from knee to hip). ``forward`` is perpendicular to ``up`` and is the
    specific-force direction while sitting with a level thigh (the front of the
    thigh facing the ceiling). ``source`` says how it was obtained.
    """

    up: FloatArray
    forward: FloatArray
    source: str = "auto"
    confidence: float = 1.0
    upright_refs: FloatArray | None = None
    """Extra directions that also mean "thigh vertical" (rows; e.g. the gait axis of a
    phone that moved in the pocket). ``up`` is always used."""
    sit_threshold_deg: float = RULES.sit_threshold_deg
    """Thigh inclination from upright above which a still thigh is seated."""

    @property
    def lateral(self) -> FloatArray:
        (u0, u1, u2), (f0, f1, f2) = self.up, self.forward  # np.cross's terms, as it forms them
        v = np.array([u1 * f2 - u2 * f1, u2 * f0 - u0 * f2, u0 * f1 - u1 * f0])
        return np.asarray(v / np.linalg.norm(v), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class TrunkCalibration:
    """Trunk (or sacrum) sensor axes in its own frame: ``up`` while standing upright,
    ``forward`` the direction the specific force tilts to when leaning forward."""

    up: FloatArray
    forward: FloatArray
    source: str = "auto"


@dataclass(frozen=True, slots=True)
class Timeline:
    """The per-second result: posture and hip flexion on the input's time base."""

    t0_s: int
    posture: Int8Array
    hip_flexion_deg: FloatArray  # NaN where unknown
    reclined: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))
    hip_from_trunk: bool = False
    dt_s: float = 1.0
    """Length of one step of the timeline: 1 s from sensors, 0.1 s for activPAL events."""
    stepping: BoolArray | None = None
    """Where known (activPAL), which upright steps are stepping rather than standing."""
    seat_peak: FloatArray | None = None
    """Seat-mat peak pressure per step (NaN unoccupied), when a mat was recorded."""
    seat_load: FloatArray | None = None
    """Seat-mat load above the empty baseline per step, when a mat was recorded."""

    @property
    def n(self) -> int:
        return int(self.posture.shape[0])

    @property
    def t_s(self) -> IntArray:
        """Whole-second times (for 1 s steps)."""
        return whole_seconds(self.t0_s, self.n)

    @property
    def times_s(self) -> FloatArray:
        """Start time of every step, for any step length."""
        return self.t0_s + np.arange(self.n, dtype=np.float64) * self.dt_s

    def seconds_in(self, posture: Posture) -> int:
        return int(np.count_nonzero(self.posture == posture))
