"""Calibration learnt as the data show it (the live service): thigh "up", trunk
"forward".

The batch calibration (:func:`analytics.orientation.calibrate_trunk`) sees the whole
day: ``forward`` comes from the forward lean around sit<->stand transitions, else from
the lean of a rider on the saddle, else from the mean seated tilt; without any of
them it is ``auto-provisional`` and the hip angle stays thigh-only. The live service
calibrates from its first window, usually a walk to the desk or to the bike, which
shows none of them. Here the same three kinds of evidence are *summed* over the
seconds as they become final (:func:`gather`, :func:`Evidence.plus`) and the
trunk calibration is upgraded from the sums with the batch rules and priorities
(:func:`refined_trunk`).

The thigh's ``up`` is the centre of the standing cluster of still gravity
directions; the batch finds it over the whole day, the live service from its first
window (often a few seconds of standing). Still upright seconds within
``PostureParams.cone_deg`` of ``up`` are summed as well, and ``up`` follows their
mean (:func:`refined_thigh`), as the batch cluster centre is the mean of its members.

Sums need no history: they are kept in the service state.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from analytics import posture_codes as code
from analytics.geometry import perpendicular, unit, unit_rows
from analytics.orientation import still_seconds, valid_seconds
from analytics.params import PostureParams
from analytics.records import (
    Epochs,
    FloatArray,
    Int8Array,
    ThighCalibration,
    TrunkCalibration,
)

TRANSITION_BEFORE_S = 4
TRANSITION_AFTER_S = 3
"""Seconds around a sit<->stand change searched for the largest trunk tilt (as
``calibrate_trunk``)."""
_TILT_FLOOR_SIN = float(np.sin(np.radians(10.0)))
_FROM_LYING_COS = float(np.cos(np.radians(60.0)))
_SEATED_TRUNK_COS = float(np.cos(np.radians(45.0)))
TRANSITIONS_NEEDED = 2
TRANSITION_AGREEMENT = 0.3
"""Transition leans count when at least two agree: |sum| >= this × their number."""
LEAN_NEEDED_S = 60
LEAN_AGREEMENT = 0.05
"""Riding or seated tilt counts after this many seconds, when |sum| > this × seconds."""
STANDING_NEEDED_S = 10
"""Still upright seconds needed before ``up`` follows their mean (as the batch trunk
calibration needs). The first window often holds only walking, whose direction is
then ``up``: the thigh leans forward a few degrees on average while walking, so any
standing still is the better reference."""


_VECTORS = (
    "transition_sum",
    "riding_sum",
    "seated_sum",
    "standing_sum",
    "trunk_standing_sum",
)
_COUNTS = ("transitions", "riding_s", "seated_s", "standing_s", "trunk_standing_s")


def _zero() -> FloatArray:
    return np.zeros(3)


@dataclass(frozen=True, slots=True)
class Evidence:
    """Sums of unit directions, by kind: the trunk's tilt perpendicular to its
    ``up`` (around transitions, riding, seated) and the thigh's still upright
    directions."""

    transition_sum: FloatArray
    transitions: int
    riding_sum: FloatArray
    riding_s: int
    seated_sum: FloatArray
    seated_s: int
    standing_sum: FloatArray
    standing_s: int
    trunk_standing_sum: FloatArray
    """The trunk's still directions while standing (its ``up``), as the thigh's."""
    trunk_standing_s: int

    @staticmethod
    def empty() -> Evidence:
        return Evidence(_zero(), 0, _zero(), 0, _zero(), 0, _zero(), 0, _zero(), 0)

    def plus(self, other: Evidence) -> Evidence:
        return Evidence(
            self.transition_sum + other.transition_sum,
            self.transitions + other.transitions,
            self.riding_sum + other.riding_sum,
            self.riding_s + other.riding_s,
            self.seated_sum + other.seated_sum,
            self.seated_s + other.seated_s,
            self.standing_sum + other.standing_sum,
            self.standing_s + other.standing_s,
            self.trunk_standing_sum + other.trunk_standing_sum,
            self.trunk_standing_s + other.trunk_standing_s,
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: getattr(self, k).tolist() for k in _VECTORS}
        out.update({k: int(getattr(self, k)) for k in _COUNTS})
        return out

    @staticmethod
    def from_dict(d: dict[str, Any]) -> Evidence:
        try:
            vectors = {k: np.asarray(d[k], dtype=np.float64).reshape(3) for k in _VECTORS}
            counts = {k: int(d[k]) for k in _COUNTS}
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(
                f"the saved calibration evidence is damaged ({exc}); delete the state file"
            ) from None
        values: dict[str, Any] = {**vectors, **counts}
        return Evidence(**values)


def gather(
    ep: Epochs,
    posture: Int8Array,
    thigh: ThighCalibration,
    trunk: TrunkCalibration | None,
    lo: int,
    hi: int,
    p: PostureParams,
    *,
    directions: tuple[FloatArray, FloatArray | None] | None = None,
) -> Evidence:
    """Evidence from seconds ``[lo, hi)`` of a window (indices into ``posture`` and
    ``ep``; a transition at ``i`` looks at ``[i-4, i+3)``, so the window should hold
    a few seconds on either side). ``posture`` is the smoothed posture; lying counts
    as the sitting it was before the trunk made it lying. ``directions``: the unit
    rows of the thigh's and the trunk's mean vectors when the caller has them."""
    sel = np.zeros(posture.shape[0], dtype=np.bool_)
    sel[lo:hi] = True
    d_thigh = unit_rows(ep.thigh_mean_g) if directions is None else directions[0]
    with np.errstate(invalid="ignore"):
        near_up = d_thigh @ thigh.up >= np.cos(np.radians(p.cone_deg))
    standing = sel & valid_seconds(ep, p) & still_seconds(ep, p) & near_up
    standing &= posture == code.UPRIGHT
    standing_sum = d_thigh[standing].sum(axis=0) if standing.any() else _zero()
    standing_s = int(np.count_nonzero(standing))
    if trunk is None or ep.trunk_mean_g is None:
        return Evidence(_zero(), 0, _zero(), 0, _zero(), 0, standing_sum, standing_s, _zero(), 0)
    up = trunk.up
    d = unit_rows(ep.trunk_mean_g) if directions is None or directions[1] is None else directions[1]
    finite = np.isfinite(d[:, 0]) & np.isfinite(d[:, 1]) & np.isfinite(d[:, 2])
    with np.errstate(invalid="ignore"):
        along = d @ up
    perp = d - np.outer(along, up)
    sit = (posture == code.SITTING) | (posture == code.LYING)
    stand = posture == code.UPRIGHT
    change = np.flatnonzero((sit[:-1] & stand[1:]) | (stand[:-1] & sit[1:])) + 1
    change = change[(change >= lo) & (change < hi)]
    t_sum, t_n = _zero(), 0
    for i in change:
        a, b = max(0, int(i) - TRANSITION_BEFORE_S), min(d.shape[0], int(i) + TRANSITION_AFTER_S)
        ok = finite[a:b]
        if not ok.any():
            continue
        if np.any(along[a:b][ok] < _FROM_LYING_COS):
            continue  # getting up from lying, not from a chair
        w = perp[a:b][ok]
        norms = np.linalg.norm(w, axis=1)
        k = int(np.argmax(norms))
        if norms[k] > _TILT_FLOOR_SIN:
            t_sum = t_sum + w[k] / norms[k]
            t_n += 1
    with np.errstate(invalid="ignore"):
        trunk_standing = standing & finite & (along >= np.cos(np.radians(p.cone_deg)))
    riding = sel & finite & (posture == code.RIDING_SEATED)
    with np.errstate(invalid="ignore"):
        seated = sel & finite & (posture == code.SITTING) & (along > _SEATED_TRUNK_COS)
    return Evidence(
        t_sum,
        t_n,
        perp[riding].sum(axis=0) if riding.any() else _zero(),
        int(np.count_nonzero(riding)),
        perp[seated].sum(axis=0) if seated.any() else _zero(),
        int(np.count_nonzero(seated)),
        standing_sum,
        standing_s,
        d[trunk_standing].sum(axis=0) if trunk_standing.any() else _zero(),
        int(np.count_nonzero(trunk_standing)),
    )


def lean_direction(ev: Evidence) -> tuple[FloatArray, str] | None:
    """The direction the trunk leans to (unit, perpendicular to ``up``) and what it
    came from, by the batch priorities: transitions, riding, seated tilt."""
    if ev.transitions >= TRANSITIONS_NEEDED:
        n = float(np.linalg.norm(ev.transition_sum))
        if n >= TRANSITION_AGREEMENT * ev.transitions:
            return unit(ev.transition_sum), "transitions"
    for total, count, kind in (
        (ev.riding_sum, ev.riding_s, "riding"),
        (ev.seated_sum, ev.seated_s, "sitting"),
    ):
        if count >= LEAN_NEEDED_S and float(np.linalg.norm(total)) > LEAN_AGREEMENT * count:
            return unit(total), kind
    return None


def refined_trunk(trunk: TrunkCalibration, ev: Evidence) -> TrunkCalibration:
    """``trunk`` with ``forward`` from the evidence when it shows a lean (source
    ``auto``); unchanged otherwise. Only automatic calibrations are refined."""
    if trunk.source not in ("auto", "auto-provisional"):
        return trunk
    up = trunk.up
    if ev.trunk_standing_s >= STANDING_NEEDED_S:
        up = unit(ev.trunk_standing_sum)
    found = lean_direction(ev)
    if found is None:
        if up is trunk.up:
            return trunk
        return TrunkCalibration(up=up, forward=perpendicular(up), source=trunk.source)
    # leaning forward tilts the measured specific force towards the back (-forward);
    # the sums were taken about earlier estimates of ``up``: keep it perpendicular
    back = found[0] - float(found[0] @ up) * up
    return TrunkCalibration(up=up, forward=-unit(back), source="auto")


def refined_thigh(thigh: ThighCalibration, ev: Evidence) -> ThighCalibration:
    """``thigh`` with ``up`` at the mean still upright direction seen so far (and
    ``forward`` kept perpendicular to it). Only automatic calibrations are refined."""
    if thigh.source != "auto" or ev.standing_s < STANDING_NEEDED_S:
        return thigh
    up = unit(ev.standing_sum)
    forward = unit(thigh.forward - float(thigh.forward @ up) * up)
    return dataclasses.replace(thigh, up=up, forward=forward)
