"""Sensor orientation calibration: where "up" and "forward" of the thigh (and trunk)
are in the sensor's own frame, found from the recording itself or from a short
explicit "stand still" step.

Everything here works on *directions* of the per-second mean specific force, so the
results are invariant to how the sensor is mounted (any rotation, upside down, a
phone loose in a pocket): rotate the input and the calibration rotates with it.

Automatic thigh calibration (see docs/posture.md):

1. seconds with step impacts (gait) give the gait direction: the densest cone of
   their mean gravity directions (the thigh swings about the vertical while walking);
2. still seconds form clusters of gravity direction; the still cluster nearest the
   gait direction is standing, and its centre is ``up``;
3. the seated threshold lies half-way between upright and the nearest seated
   cluster, within [sit_threshold_floor_deg, sit_threshold_ceiling_deg];
4. ``forward`` is the mean direction of seated seconds, made perpendicular to ``up``.
"""

from __future__ import annotations

import numpy as np

from analytics.calibration_errors import CalibrationError
from analytics.geometry import (
    axial_angle_deg,
    dominant_direction,
    perpendicular,
    unit,
    unit_rows,
)
from analytics.params import PostureParams
from analytics.records import (
    BoolArray,
    Epochs,
    FloatArray,
    Int8Array,
    Posture,
    ThighCalibration,
    TrunkCalibration,
)


def valid_seconds(ep: Epochs, p: PostureParams) -> BoolArray:
    mag = np.sqrt(np.einsum("ij,ij->i", ep.thigh_mean_g, ep.thigh_mean_g))
    with np.errstate(invalid="ignore"):
        ok = (ep.count > 0) & (mag >= p.gravity_floor_g) & (mag <= p.gravity_ceiling_g)
    return np.asarray(ok, dtype=np.bool_)


def centred_fraction(mask: BoolArray, window: int) -> FloatArray:
    """The fraction of True seconds in a window centred on each second (the window is
    cut at the ends of the data but still divided by its full length)."""
    n = mask.shape[0]
    if window <= 1:
        return mask.astype(np.float64)
    if not mask.any():
        return np.zeros(n)  # (what the convolution gives, without it)
    full = np.convolve(mask.astype(np.float64), np.ones(window) / window, mode="full")
    lo = (window - 1) // 2
    return np.asarray(full[lo : lo + n], dtype=np.float64)


def rhythm_masks(ep: Epochs, p: PostureParams) -> tuple[BoolArray, BoolArray]:
    """(step rhythm, pedal rhythm) per second from :mod:`analytics.rhythm`: the
    thigh's movement repeats at a walking step rate, or slower (pedal revolutions).
    Both False where the rhythm is unknown (near gaps, or not computed) or mixed."""
    share = ep.thigh_pedal_share
    if share is None:
        none = np.zeros(ep.n, dtype=np.bool_)
        return none, none.copy()
    with np.errstate(invalid="ignore"):
        steps = share <= p.step_share_max
        pedal = share >= p.pedal_share_min
    return np.asarray(steps, dtype=np.bool_), np.asarray(pedal, dtype=np.bool_)


def gait_seconds(ep: Epochs, p: PostureParams) -> BoolArray:
    """Seconds with step impacts: moving, with a large magnitude range, and not at a
    pedalling rhythm (nor pedalling by a cadence sensor)."""
    with np.errstate(invalid="ignore"):
        g = (ep.thigh_std_g > p.moving_std_g) & (ep.thigh_range_g > p.gait_range_g)
    _steps, pedal = rhythm_masks(ep, p)
    g &= ~pedal
    if ep.cadence_rpm is not None:
        with np.errstate(invalid="ignore"):
            g &= ~(ep.cadence_rpm >= p.cadence_floor_rpm)
    return np.asarray(g, dtype=np.bool_)


def stride_seconds(ep: Epochs, p: PostureParams, *, gait: BoolArray | None = None) -> BoolArray:
    """Gait seconds in which the thigh also swings at half the step rate (once per
    stride): steps, not pedal strokes at a fast cadence (``gait``: the
    :func:`gait_seconds` the caller has already)."""
    g = gait_seconds(ep, p) if gait is None else gait.copy()
    if ep.thigh_stride_ratio is not None:
        with np.errstate(invalid="ignore"):
            g &= ep.thigh_stride_ratio >= p.stride_ratio_min
    return np.asarray(g, dtype=np.bool_)


def walking_seconds(ep: Epochs, p: PostureParams) -> BoolArray:
    """Stride seconds at a stepping rhythm, inside a sustained run of them
    (``pedal_window_s``): the evidence that anchors "up". Getting up from a chair,
    fidgeting, a bumpy car ride or a fast cadence give isolated bursts, not
    sustained steps."""
    steps, _pedal = rhythm_masks(ep, p)
    g = stride_seconds(ep, p) & steps
    g &= centred_fraction(g, p.pedal_window_s) >= 0.8
    if ep.thigh_rhythm_steady is not None:
        # walking keeps its step rate: most of the bout has a steady one
        g &= centred_fraction(ep.thigh_rhythm_steady, p.pedal_window_s) >= 0.5
    return np.asarray(g, dtype=np.bool_)


def still_seconds(ep: Epochs, p: PostureParams) -> BoolArray:
    with np.errstate(invalid="ignore"):
        return np.asarray(ep.thigh_std_g < p.still_std_g, dtype=np.bool_)


def _still_clusters(d: FloatArray, p: PostureParams) -> list[tuple[FloatArray, int]]:
    """Clusters of still gravity directions: (centre, support), largest first."""
    clusters: list[tuple[FloatArray, int]] = []
    remaining = d
    support_floor = max(30, int(0.02 * d.shape[0]))
    for _ in range(8):
        found = dominant_direction(remaining, p.cone_deg)
        if found is None:
            break
        centre, members = found
        support = int(np.count_nonzero(members))
        if support < support_floor:
            break
        clusters.append((centre, support))
        remaining = remaining[~members]
    return clusters


def inclination_deg(d: FloatArray, cal: ThighCalibration) -> FloatArray:
    """Thigh inclination from upright as an axial angle (0..90°), the smallest over
    ``up`` and the extra upright references."""
    incl = axial_angle_deg(d, cal.up)
    if cal.upright_refs is not None:
        for ref in cal.upright_refs:
            incl = np.minimum(incl, axial_angle_deg(d, ref))
    return incl


def pedalling_seconds(ep: Epochs, p: PostureParams) -> BoolArray:
    """Seconds inside sustained movement at a pedalling rhythm (or, with a cadence
    sensor, wherever it reports pedalling)."""
    _steps, rhythm = rhythm_masks(ep, p)
    with np.errstate(invalid="ignore"):
        moving = ep.thigh_std_g > p.moving_std_g
    pedal = centred_fraction(moving & rhythm, p.pedal_window_s) >= p.pedal_fraction
    if ep.cadence_rpm is not None:
        known = np.isfinite(ep.cadence_rpm)
        with np.errstate(invalid="ignore"):
            by_cadence = ep.cadence_rpm >= p.cadence_floor_rpm
        pedal = np.where(known, by_cadence, pedal)
    return np.asarray(pedal, dtype=np.bool_)


PEDALLING_SOURCE = "pedalling"
"""``ThighCalibration.source`` of a recording calibrated from pedalling alone: riding
is known, but not which way is up, so seated vs standing and the hip angle are not."""


def calibrate_thigh(ep: Epochs, p: PostureParams | None = None) -> ThighCalibration:
    """Calibrate the thigh sensor's orientation from a recording's own seconds.

    "Up" is anchored by walking only (sustained steps at a walking rhythm); the
    confidence grows with the seconds of walking seen
    (``PostureParams.calibration_gait_s``). Below ``calibration_confidence_floor`` it
    refuses rather than guess. A recording with pedalling but no walking gets a
    calibration from pedalling (source :data:`PEDALLING_SOURCE`, confidence 0).
    """
    p = p or PostureParams()
    ok = valid_seconds(ep, p)
    d_all = unit_rows(ep.thigh_mean_g)
    walk = ok & walking_seconds(ep, p)
    still = ok & still_seconds(ep, p)
    pedal = ok & pedalling_seconds(ep, p)
    with np.errstate(invalid="ignore"):
        n_moving = int(np.count_nonzero(ok & (ep.thigh_std_g > p.moving_std_g)))
    n_pedal = int(np.count_nonzero(pedal))
    pedal_dir: FloatArray | None = None
    # a ride: pedalling is most of the movement (vibration in a car or on a train
    # has no steady rhythm, and shows one only now and then)
    if n_pedal >= p.ride_evidence_s and n_pedal >= 0.5 * n_moving:
        found_pedal = dominant_direction(d_all[pedal], p.cone_deg)
        if found_pedal is not None:
            pedal_dir = found_pedal[0]
    n_walk = int(np.count_nonzero(walk))
    confidence = min(1.0, n_walk / float(p.calibration_gait_s))
    gait_dir: FloatArray | None = None
    if n_walk >= 5:
        found = dominant_direction(d_all[walk], p.cone_deg)
        if found is not None:
            gait_dir = found[0]
    if gait_dir is None or confidence < p.calibration_confidence_floor:
        if pedal_dir is not None:
            return ThighCalibration(
                up=pedal_dir,
                forward=perpendicular(pedal_dir),
                source=PEDALLING_SOURCE,
                confidence=0.0,
            )
        raise CalibrationError(
            f"cannot tell which way is up: {n_walk} s of walking found, "
            f"{p.calibration_gait_s * p.calibration_confidence_floor:.0f} s needed to "
            "calibrate the thigh sensor automatically; record some walking, or "
            "calibrate explicitly from a few seconds of standing still: for a recording "
            "'sitload analyze FILE --calibrate-from START-END' (or --calibrate-file "
            "standing.csv); live, stand still and send the 'calibrate' command"
        )
    clusters = _still_clusters(d_all[still], p)
    standing: FloatArray | None = None
    if clusters:
        angles = [float(axial_angle_deg(c[None, :], gait_dir)[0]) for c, _ in clusters]
        best = int(np.argmin(angles))
        if angles[best] <= p.standing_cluster_max_deg:
            standing = clusters[best][0]
            if float(standing @ gait_dir) < 0.0:
                # a phone turned over in the pocket: keep the gait sign for "up"
                standing = -standing
    up = standing if standing is not None else gait_dir
    refs = gait_dir[None, :] if standing is not None else None
    provisional = ThighCalibration(up=up, forward=perpendicular(up), upright_refs=refs)
    threshold = p.sit_threshold_deg
    if clusters:
        centres = np.array([c for c, _ in clusters])
        incl = inclination_deg(centres, provisional)
        seated = incl[incl > p.sit_threshold_floor_deg]
        if seated.size:
            threshold = float(
                np.clip(
                    0.5 * float(seated.min()),
                    p.sit_threshold_floor_deg,
                    p.sit_threshold_ceiling_deg,
                )
            )
    provisional = ThighCalibration(
        up=up, forward=perpendicular(up), upright_refs=refs, sit_threshold_deg=threshold
    )
    forward, _forward_known = forward_from_sitting(d_all[still], provisional)
    return ThighCalibration(
        up=up,
        forward=forward,
        source="auto",
        confidence=confidence,
        upright_refs=refs,
        sit_threshold_deg=threshold,
    )


def forward_from_sitting(d_still: FloatArray, cal: ThighCalibration) -> tuple[FloatArray, bool]:
    """The front of the thigh from still seated seconds, and whether it was seen."""
    if d_still.shape[0] == 0:
        return cal.forward, False
    incl = inclination_deg(d_still, cal)
    seated = d_still[incl > cal.sit_threshold_deg]
    if seated.shape[0] < 10:
        return cal.forward, False
    perp = unit_rows(seated - np.outer(seated @ cal.up, cal.up))
    perp = perp[np.isfinite(perp).all(axis=1)]
    # the most common seated direction (a mode, not a mean: side-lying or crossed
    # legs must not pull the front of the thigh sideways)
    found = dominant_direction(perp, 30.0)
    if found is None or np.count_nonzero(found[1]) < 10:
        return cal.forward, False
    return found[0], True


def calibrate_standing(
    thigh_acc_g: FloatArray,
    trunk_acc_g: FloatArray | None = None,
    p: PostureParams | None = None,
) -> tuple[ThighCalibration, TrunkCalibration | None]:
    """Explicit live calibration: a few seconds of standing still, upright.

    Raises CalibrationError when the samples are not still or not ~1 g.
    ``forward`` stays provisional (confidence 0.5) until sitting is seen.
    """
    p = p or PostureParams()
    if thigh_acc_g.shape[0] < 10:
        raise CalibrationError("too few samples to calibrate; stand still for 5 seconds")
    up, _ = _still_direction(thigh_acc_g, p, "thigh")
    thigh = ThighCalibration(up=up, forward=perpendicular(up), source="standing", confidence=0.5)
    trunk = None
    if trunk_acc_g is not None:
        up_t, _ = _still_direction(trunk_acc_g, p, "trunk")
        trunk = TrunkCalibration(up=up_t, forward=perpendicular(up_t), source="standing")
    return thigh, trunk


def _still_direction(acc: FloatArray, p: PostureParams, name: str) -> tuple[FloatArray, float]:
    acc = acc[np.isfinite(acc).all(axis=1)]
    if acc.shape[0] < 10:
        raise CalibrationError(f"the {name} sensor sent too few samples; stand still for 5 s")
    mean = acc.mean(axis=0)
    mag = float(np.linalg.norm(mean))
    dev = float(np.sqrt(np.mean(np.sum((acc - mean) ** 2, axis=1))))
    if not p.gravity_floor_g <= mag <= p.gravity_ceiling_g:
        raise CalibrationError(
            f"the {name} sensor reads {mag:.2f} g instead of about 1 g; check its units "
            "(g, not m/s²) and that it is attached"
        )
    if dev > p.still_std_g:
        raise CalibrationError(
            f"the {name} sensor moved during calibration ({dev:.3f} g); stand still and retry"
        )
    return unit(mean), dev


def calibrate_trunk(
    ep: Epochs,
    posture: Int8Array,
    p: PostureParams | None = None,
) -> TrunkCalibration | None:
    """Trunk axes from the recording: ``up`` from upright seconds; ``forward`` from the
    forward lean everybody makes when standing up from or sitting down on a chair
    (falls back to the lean of a rider on the saddle, then to the mean seated tilt;
    without any, ``forward`` is provisional and the hip angle stays thigh-only)."""
    p = p or PostureParams()
    if ep.trunk_mean_g is None:
        return None
    d = unit_rows(ep.trunk_mean_g)
    finite = np.asarray(np.isfinite(d).all(axis=1), dtype=np.bool_)
    upright = finite & (posture == Posture.UPRIGHT)
    # Walking can only happen on the body: it anchors "up". Standing still is the
    # reference posture (hip 0°; walking leans the trunk a little), but a sensor laid
    # on a desk also looks like standing still, so only standing near the walking
    # direction counts.
    walking = upright & gait_seconds(ep, p)
    standing = upright & still_seconds(ep, p)
    anchor = None
    if np.count_nonzero(walking) >= 10:
        found_walk = dominant_direction(d[walking], p.cone_deg)
        if found_walk is not None:
            anchor = found_walk[0]
    if anchor is not None:
        with np.errstate(invalid="ignore"):
            standing &= d @ anchor > np.cos(np.radians(30.0))
    if np.count_nonzero(standing) >= 10:
        found = dominant_direction(d[standing], p.cone_deg)
    elif anchor is not None:
        found = (anchor, walking)
    elif np.count_nonzero(upright) >= 10:
        found = dominant_direction(d[upright], p.cone_deg)
    else:
        return None
    if found is None:
        return None
    up = found[0]
    lean = _transition_lean(d, finite, posture, up)
    riding = finite & (posture == Posture.RIDING_SEATED)
    with np.errstate(invalid="ignore"):
        seated = finite & (posture == Posture.SITTING) & (d @ up > np.cos(np.radians(45.0)))
    # fallbacks: a rider on the saddle always leans forward; a sitter usually does
    for mask in (riding, seated):
        if lean is not None or np.count_nonzero(mask) < 60:
            continue
        perp = d[mask] - np.outer(d[mask] @ up, up)
        total = perp.sum(axis=0)
        if np.linalg.norm(total) > 0.05 * np.count_nonzero(mask):
            lean = unit(total)
    if lean is None:
        return TrunkCalibration(up=up, forward=perpendicular(up), source="auto-provisional")
    # leaning forward tilts the measured specific force towards the back (-forward)
    return TrunkCalibration(up=up, forward=-lean, source="auto")


def _transition_lean(
    d: FloatArray, finite: BoolArray, posture: Int8Array, up: FloatArray
) -> FloatArray | None:
    """Mean direction of the largest trunk tilt around sit<->stand transitions."""
    sit = posture == Posture.SITTING
    stand = posture == Posture.UPRIGHT
    change = np.flatnonzero((sit[:-1] & stand[1:]) | (stand[:-1] & sit[1:])) + 1
    vectors = []
    for i in change:
        lo, hi = max(0, int(i) - 4), min(d.shape[0], int(i) + 3)
        w = d[lo:hi][finite[lo:hi]]
        if w.shape[0] == 0:
            continue
        if np.any(w @ up < np.cos(np.radians(60.0))):
            continue  # getting up from lying, not from a chair
        perp = w - np.outer(w @ up, up)
        norms = np.linalg.norm(perp, axis=1)
        k = int(np.argmax(norms))
        if norms[k] > np.sin(np.radians(10.0)):
            vectors.append(perp[k] / norms[k])
    if len(vectors) < 2:
        return None
    total = np.sum(vectors, axis=0)
    if np.linalg.norm(total) < 0.3 * len(vectors):
        return None
    return unit(total)
