"""Per-second posture from a thigh accelerometer (and optionally a trunk one).

Rules (all on calibrated, rotation-invariant angles; see docs/posture.md):

* no sample in a second, or a specific force far from 1 g → ``nonwear``;
* a dead-still thigh in an orientation a worn thigh cannot take (upside down) for
  ``nonwear_after_s`` → ``nonwear`` (off the body). Long still sitting is *not*
  non-wear: a seated orientation is sitting however still and however long;
* still or slow seconds: ``sitting`` when the thigh is inclined beyond the seated
  threshold, else ``upright``;
* moving seconds (gait, pedalling, fidgeting): seated when the mean thigh
  inclination is beyond ``pedal_seated_deg``, upright otherwise;
* pedalling = sustained movement over a window of seconds (or ``cadence_rpm``):
  seated pedalling → ``riding_seated``; upright spells between seated pedalling of
  the same ride → ``riding_standing``;
* with a trunk sensor: a non-upright thigh with the trunk inclined beyond
  ``lying_trunk_deg`` → ``lying``. Thigh only: ``sitting`` with a ``reclined`` flag
  when the level thigh is rolled about its axis (lying on the side);
* finally the activPAL 10-second minimum-duration rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics import posture_codes as code
from analytics.epoch_terms import EpochTerms, dead_still_limit_g
from analytics.geometry import angle_deg, axial_angle_deg, unit_rows
from analytics.orientation import (
    PEDALLING_SOURCE,
    centred_fraction,
    gait_seconds,
    inclination_deg,
    pedalling_seconds,
    stride_seconds,
    valid_seconds,
)
from analytics.params import PostureParams
from analytics.records import (
    BoolArray,
    Epochs,
    FloatArray,
    Int8Array,
    IntArray,
    ThighCalibration,
    TrunkCalibration,
)
from analytics.smoothing import enforce_posture_hold, runs


@dataclass(frozen=True, slots=True)
class ThighPosture:
    """Unsmoothed per-second classification and the features it came from."""

    posture: Int8Array
    inclination_deg: FloatArray
    reclined: BoolArray


def _window_fraction(mask: BoolArray, window: int) -> FloatArray:
    if window <= 1:
        return mask.astype(np.float64)
    kernel = np.ones(window) / window
    return np.convolve(mask.astype(np.float64), kernel, mode="same")


def _long_runs(mask: BoolArray, shortest: int) -> BoolArray:
    _starts, lengths, values = runs(mask)
    keep = values & (lengths >= shortest)
    return np.repeat(keep, lengths)


def classify_thigh(
    ep: Epochs, cal: ThighCalibration, p: PostureParams, *, d: FloatArray | None = None
) -> ThighPosture:
    """``d``: ``unit_rows(ep.thigh_mean_g)`` when the caller has it already."""
    if cal.source == PEDALLING_SOURCE:
        return _classify_from_pedalling(ep, cal, p)
    if d is None:
        d = unit_rows(ep.thigh_mean_g)
    ok = valid_seconds(ep, p)
    incl = inclination_deg(d, cal)
    with np.errstate(invalid="ignore"):
        moving = ep.thigh_std_g > p.moving_std_g
        gait = gait_seconds(ep, p)
        seated_still = incl > cal.sit_threshold_deg
        seated_moving = incl > max(p.moving_seated_deg, cal.sit_threshold_deg)
        running = ep.thigh_std_g > p.running_std_g
    seated = np.where(moving, seated_moving & ~(gait & (incl < 60.0)), seated_still)
    posture = np.where(seated, code.SITTING, code.UPRIGHT).astype(np.int8)

    # pedalling: a pedalling rhythm, or (a cadence faster than the rhythm test can
    # tell from steps) sustained movement with the thigh inclined like a rider's
    with np.errstate(invalid="ignore"):
        on_saddle = (incl > p.pedal_seated_deg) & (incl < p.saddle_max_deg)
        inclined = moving & on_saddle & ~running & ~stride_seconds(ep, p, gait=gait)
    by_angle = centred_fraction(inclined, p.pedal_window_s) >= p.pedal_angle_fraction
    pedal = (pedalling_seconds(ep, p) | by_angle) & ok
    # while pedalling, the per-second mean vector reads the thigh ~10° nearer upright
    # than its mean angle (the centripetal pull along the thigh), and pedal strokes
    # have impacts-like magnitude swings: seated on the saddle by its own threshold
    with np.errstate(invalid="ignore"):
        seated = np.where(pedal & moving, (incl > p.pedal_seated_deg) & ~running, seated)
    # pedalling is a ride only where the thigh could be on a saddle (or a cadence
    # sensor says so); movement with a level thigh stays sitting
    if ep.cadence_rpm is None:
        pedal &= ~(incl >= p.saddle_max_deg)
    # a seated pedalling spell must itself last a window: a few seated-looking
    # seconds inside a walk are not a ride
    if pedal.any():  # (else no ride: nothing to mark)
        riding_seated = _long_runs(pedal & seated, p.pedal_window_s)
        posture[riding_seated] = code.RIDING_SEATED
        # standing on the pedals: upright spells inside a ride (between seated pedalling)
        starts, lengths, values = runs(pedal)
        idx = np.arange(posture.shape[0])
        for s, n, v in zip(starts, lengths, values, strict=True):
            if not v:
                continue
            seg = slice(int(s), int(s + n))
            seated_idx = idx[seg][riding_seated[seg]]
            if seated_idx.size == 0:
                continue
            lo, hi = int(seated_idx[0]), int(seated_idx[-1]) + 1
            inner = posture[lo:hi]
            inner[inner == code.UPRIGHT] = code.RIDING_STANDING

    # coasting on the saddle between pedal strokes is still seated riding
    _fill_coasting(posture, p)

    # thigh-only reclined flag: a level thigh rolled about its own axis
    lat = d @ cal.lateral
    fwd = d @ cal.forward
    roll = np.degrees(np.abs(np.arctan2(lat, np.abs(fwd))))
    with np.errstate(invalid="ignore"):
        reclined = (posture == code.SITTING) & (roll > p.reclined_roll_deg) & (incl > 60.0)

    posture[~ok] = code.NONWEAR
    reclined &= posture == code.SITTING
    return ThighPosture(posture=posture, inclination_deg=incl, reclined=reclined)


def _fill_coasting(posture: Int8Array, p: PostureParams, *, one_side: bool = False) -> None:
    """Sitting still between two pedalling spells, up to ``coast_max_s``, is coasting
    on the saddle: seated riding (in place). With ``one_side`` (a recording that is
    all ride), sitting on the saddle just before or after pedalling is too."""
    seated = posture == code.RIDING_SEATED
    if not seated.any() and not (one_side and (posture == code.RIDING_STANDING).any()):
        return  # no ride: nothing to fill (every filled run borders seated riding)
    _starts, c_lengths, c_values = runs(posture)
    short = (c_values == code.SITTING) & (c_lengths <= p.coast_max_s)
    before = np.zeros(c_values.shape[0], dtype=np.bool_)
    before[1:] = c_values[:-1] == code.RIDING_SEATED
    after = np.zeros(c_values.shape[0], dtype=np.bool_)
    after[:-1] = (c_values[1:] == code.RIDING_SEATED) | (c_values[1:] == code.RIDING_STANDING)
    fill = short & ((before | after) if one_side else (before & after))
    if fill.any():
        posture[np.repeat(fill, c_lengths)] = code.RIDING_SEATED


def _classify_from_pedalling(ep: Epochs, cal: ThighCalibration, p: PostureParams) -> ThighPosture:
    """A recording with pedalling and no walking: pedalling is riding (seated, as
    nobody can ride standing for long; which way is up is unknown, so standing on
    the pedals cannot be told); still seconds near the saddle position are seated,
    other seconds off the bike upright. The hip angle is unknown (NaN)."""
    ok = valid_seconds(ep, p)
    seated, pedalled = _pedalling_seats(ep, cal, p, ok)
    posture = np.where(seated, code.SITTING, code.UPRIGHT).astype(np.int8)
    posture[pedalled] = code.RIDING_SEATED
    _fill_coasting(posture, p, one_side=True)
    posture[~ok] = code.NONWEAR
    incl = np.full(ep.n, np.nan)
    return ThighPosture(posture=posture, inclination_deg=incl, reclined=np.zeros(ep.n, np.bool_))


def _pedalling_seats(
    ep: Epochs, cal: ThighCalibration, p: PostureParams, ok: BoolArray
) -> tuple[BoolArray, BoolArray]:
    """Calibrated from pedalling: (still seconds near the saddle position, seconds of
    sustained pedalling)."""
    d = unit_rows(ep.thigh_mean_g)
    near = axial_angle_deg(d, cal.up)
    with np.errstate(invalid="ignore"):
        seated = near <= p.sit_threshold_deg
        moving = ep.thigh_std_g > p.moving_std_g
    # no walking anywhere in the recording: movement in the riding orientation is
    # pedalling at a rhythm the step test leaves open (fast cadence, rough road)
    pedal = (pedalling_seconds(ep, p) | (moving & seated)) & ok
    return np.asarray(seated, dtype=np.bool_), _long_runs(pedal, p.pedal_window_s)


def coasted_seconds(
    posture: Int8Array, ep: Epochs, cal: ThighCalibration, p: PostureParams
) -> BoolArray:
    """Calibrated from pedalling: the seated riding seconds of ``posture`` (a
    classification of ``ep``) that are no pedalling, only sitting next to it (the
    one-sided coasting of :func:`_fill_coasting`)."""
    _seated, pedalled = _pedalling_seats(ep, cal, p, valid_seconds(ep, p))
    return np.asarray((posture == code.RIDING_SEATED) & ~pedalled, dtype=np.bool_)


def frozen_seconds(
    mean_g: FloatArray, std_g: FloatArray, count: IntArray, block_s: int, ratio: float
) -> BoolArray:
    """Seconds whose orientation is frozen: within each aligned block of ``block_s``
    seconds, the per-second mean vectors scatter no more than ``ratio`` times their
    own standard error (sensor noise / √samples). A sensor lying on a table is
    frozen; one worn on a living body drifts and breathes far beyond its noise."""
    n = count.shape[0]
    n_blocks = -(-n // block_s)
    pad = n_blocks * block_s - n
    m = np.concatenate((mean_g, np.full((pad, 3), np.nan))).reshape(n_blocks, block_s, 3)
    with np.errstate(invalid="ignore", divide="ignore"):
        se2 = np.concatenate((std_g**2 / count, np.full(pad, np.nan))).reshape(n_blocks, block_s)
    # (sums over the 3 components written out: numpy's sum over that axis adds them
    # in this order too, an order of magnitude slower on short axes)
    has = np.isfinite(m[:, :, 0]) & np.isfinite(m[:, :, 1]) & np.isfinite(m[:, :, 2])
    has &= np.isfinite(se2)
    k = has.sum(axis=1)
    m0 = np.where(has[:, :, None], m, 0.0)
    centre = m0.sum(axis=1) / np.maximum(k, 1)[:, None]
    dv = m0 - centre[:, None, :]
    dv *= dv
    dev2 = np.where(has, (dv[:, :, 0] + dv[:, :, 1]) + dv[:, :, 2], 0.0)
    rms_dev = np.sqrt(dev2.sum(axis=1) / np.maximum(k, 1))
    rms_se = np.sqrt(np.where(has, se2, 0.0).sum(axis=1) / np.maximum(k, 1))
    frozen_block = (k >= block_s // 2) & (rms_dev <= ratio * rms_se)
    return np.asarray(np.repeat(frozen_block, block_s)[:n] & has.reshape(-1)[:n], dtype=np.bool_)


def off_body_candidates(
    ep: Epochs, p: PostureParams, *, still_limit_g: float | None = None
) -> BoolArray:
    """Seconds in which the thigh sensor is dead still with a frozen orientation: the
    only places the two-sensor off-body test can fire (``still_limit_g``: the
    :func:`dead_still_limit_g` the caller has already)."""
    limit = dead_still_limit_g(ep, p) if still_limit_g is None else still_limit_g
    with np.errstate(invalid="ignore"):
        dead = ep.thigh_std_g < limit
    if not dead.any():
        return np.asarray(dead, dtype=np.bool_)  # (no candidate: no block to judge)
    # only the blocks with a dead still second are judged (a block's verdict is its
    # own seconds' business: the same for any other blocks beside it)
    rows = _rows_of_blocks_with(dead, p.frozen_block_s)
    if rows is None:
        frozen = frozen_seconds(
            ep.thigh_mean_g, ep.thigh_std_g, ep.count, p.frozen_block_s, p.frozen_ratio
        )
        return np.asarray(dead & frozen, dtype=np.bool_)
    frozen = np.zeros(dead.shape[0], dtype=np.bool_)
    frozen[rows] = frozen_seconds(
        ep.thigh_mean_g[rows],
        ep.thigh_std_g[rows],
        ep.count[rows],
        p.frozen_block_s,
        p.frozen_ratio,
    )
    return np.asarray(dead & frozen, dtype=np.bool_)


def _rows_of_blocks_with(mask: BoolArray, block_s: int) -> IntArray | None:
    """The seconds of the aligned blocks of ``block_s`` that hold a True second, in
    order (None when that is most blocks: judge them all)."""
    n = mask.shape[0]
    n_blocks = -(-n // block_s)
    padded = np.zeros(n_blocks * block_s, dtype=np.bool_)
    padded[:n] = mask
    blocks = np.flatnonzero(padded.reshape(n_blocks, block_s).any(axis=1))
    if 2 * blocks.shape[0] > n_blocks:
        return None
    rows = (blocks[:, None] * block_s + np.arange(block_s)).reshape(-1)
    return rows[rows < n] if blocks[-1] == n_blocks - 1 else rows


def whole_blocks(mask: BoolArray, block_s: int) -> BoolArray:
    """Every second of each aligned block that holds a True second."""
    n = mask.shape[0]
    n_blocks = -(-n // block_s)
    padded = np.concatenate((mask, np.zeros(n_blocks * block_s - n, dtype=np.bool_)))
    blocks = padded.reshape(n_blocks, block_s).any(axis=1)
    return np.asarray(np.repeat(blocks, block_s)[:n], dtype=np.bool_)


def mark_off_body(
    posture: Int8Array,
    ep: Epochs,
    thigh: ThighCalibration,
    trunk: TrunkCalibration | None,
    p: PostureParams,
    candidates: BoolArray | None = None,
    *,
    terms: EpochTerms | None = None,
) -> Int8Array:
    """Off the body: the thigh sensor dead still for ``nonwear_after_s`` in an orientation
    no worn thigh and trunk can take together: the thigh upside down, the trunk
    sensor head-down, or a trunk-thigh angle outside what a hip can do. Lying still
    in bed, however long, stays lying (or sitting)."""
    return off_body_runs(posture, off_body_seconds(ep, thigh, trunk, p, candidates, terms=terms), p)


OffBodySeconds = tuple[BoolArray, BoolArray | None]
"""What :func:`off_body_seconds` finds: (dead still in an impossible orientation,
both sensors frozen together or None)."""


def off_body_runs(posture: Int8Array, seconds: OffBodySeconds, p: PostureParams) -> Int8Array:
    """``posture`` with the runs of :func:`off_body_seconds` that last
    ``nonwear_after_s`` marked as non-wear."""
    impossible, both = seconds
    off = _long_runs(impossible, p.nonwear_after_s)
    if both is not None:
        off |= _long_runs(both, p.nonwear_after_s)
    out = posture.copy()
    out[off] = code.NONWEAR
    return out


def off_body_seconds(
    ep: Epochs,
    thigh: ThighCalibration,
    trunk: TrunkCalibration | None,
    p: PostureParams,
    candidates: BoolArray | None = None,
    *,
    terms: EpochTerms | None = None,
) -> OffBodySeconds:
    """The seconds :func:`mark_off_body` marks once a run of them lasts
    ``nonwear_after_s``: dead still in an impossible orientation, and (with a trunk
    sensor's deviation filled in, else None) both sensors frozen together."""
    t = terms or EpochTerms.of(ep, p, thigh, trunk)
    limit = t.still_limit_g
    with np.errstate(invalid="ignore"):
        dead_still = ep.thigh_std_g < limit
        impossible = t.thigh_deg > p.nonwear_inverted_deg
    if t.trunk_deg is not None and t.trunk_lean_deg is not None:
        assert trunk is not None
        hip = t.thigh_deg + t.trunk_lean_deg
        with np.errstate(invalid="ignore"):
            impossible |= t.trunk_deg > p.nonwear_inverted_deg
            if trunk.source != "auto-provisional":  # the hip angle needs a known forward
                impossible |= (hip < p.hip_floor_deg) | (hip > p.hip_ceiling_deg)
    still_impossible = np.asarray(dead_still & impossible, dtype=np.bool_)
    if (
        ep.trunk_mean_g is None
        or ep.trunk_std_g is None  # filled by epochs.with_trunk_deviation
        or ep.trunk_count is None
    ):
        return still_impossible, None
    # both sensors frozen together: nobody wears a trunk sensor without breathing
    cand = candidates if candidates is not None else off_body_candidates(ep, p, still_limit_g=limit)
    if not cand.any():
        return still_impossible, np.zeros(ep.n, dtype=np.bool_)
    both = cand & frozen_seconds(
        ep.trunk_mean_g, ep.trunk_std_g, ep.trunk_count, p.frozen_block_s, p.frozen_ratio
    )
    with np.errstate(invalid="ignore"):
        both &= ep.trunk_std_g < limit
    return still_impossible, np.asarray(both, dtype=np.bool_)


def apply_lying(
    posture: Int8Array,
    ep: Epochs,
    trunk: TrunkCalibration | None,
    p: PostureParams,
    *,
    terms: EpochTerms | None = None,
) -> Int8Array:
    """With a trunk sensor: seated thigh + trunk near horizontal → lying."""
    if trunk is None or ep.trunk_mean_g is None:
        return posture
    if terms is not None and terms.trunk_deg is not None:
        trunk_incl = terms.trunk_deg
    else:
        trunk_incl = angle_deg(unit_rows(ep.trunk_mean_g), trunk.up)
    out = posture.copy()
    with np.errstate(invalid="ignore"):
        lying = (posture == code.SITTING) & (trunk_incl > p.lying_trunk_deg)
    out[lying] = code.LYING
    return out


def smooth(posture: Int8Array, p: PostureParams) -> Int8Array:
    return enforce_posture_hold(posture, p.posture_hold_s)
