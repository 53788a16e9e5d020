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
   cluster, within [sit_threshold_min_deg, sit_threshold_max_deg];
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
        ok = (ep.count > 0) & (mag >= p.min_gravity_g) & (mag <= p.max_gravity_g)
    return np.asarray(ok, dtype=np.bool_)


def gait_seconds(ep: Epochs, p: PostureParams) -> BoolArray:
    """Seconds with step impacts: moving and with a large magnitude range."""
    with np.errstate(invalid="ignore"):
        g = (ep.thigh_std_g > p.moving_std_g) & (ep.thigh_range_g > p.gait_range_g)
    if ep.cadence_rpm is not None:
        with np.errstate(invalid="ignore"):
            g &= ~(ep.cadence_rpm >= p.cadence_min_rpm)
    return np.asarray(g, dtype=np.bool_)


def still_seconds(ep: Epochs, p: PostureParams) -> BoolArray:
    with np.errstate(invalid="ignore"):
        return np.asarray(ep.thigh_std_g < p.still_std_g, dtype=np.bool_)


def _still_clusters(d: FloatArray, p: PostureParams) -> list[tuple[FloatArray, int]]:
    """Clusters of still gravity directions: (centre, support), largest first."""
    clusters: list[tuple[FloatArray, int]] = []
    remaining = d
    min_support = max(30, int(0.02 * d.shape[0]))
    for _ in range(8):
        found = dominant_direction(remaining, p.cone_deg)
        if found is None:
            break
        centre, members = found
        support = int(np.count_nonzero(members))
        if support < min_support:
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


def calibrate_thigh(ep: Epochs, p: PostureParams | None = None) -> ThighCalibration:
    """Calibrate the thigh sensor's orientation from a recording's own seconds."""
    p = p or PostureParams()
    ok = valid_seconds(ep, p)
    d_all = unit_rows(ep.thigh_mean_g)
    gait = ok & gait_seconds(ep, p)
    still = ok & still_seconds(ep, p)
    gait_dir: FloatArray | None = None
    if np.count_nonzero(gait) >= 10:
        found = dominant_direction(d_all[gait], p.cone_deg)
        if found is not None:
            gait_dir = found[0]
    clusters = _still_clusters(d_all[still], p)
    standing: FloatArray | None = None
    if gait_dir is not None and clusters:
        angles = [float(axial_angle_deg(c[None, :], gait_dir)[0]) for c, _ in clusters]
        best = int(np.argmin(angles))
        if angles[best] <= p.standing_cluster_max_deg:
            standing = clusters[best][0]
            if float(standing @ gait_dir) < 0.0:
                # a phone turned over in the pocket: keep the gait sign for "up"
                standing = -standing
    if standing is None and gait_dir is None:
        raise CalibrationError(
            "no walking or standing found to calibrate the thigh sensor; record a few "
            "seconds of standing still and some walking, or calibrate explicitly: for a "
            "recording, give the seconds the person stood still with 'sitload analyze "
            "FILE --calibrate-from START-END' (or --calibrate-file standing.csv); live, "
            "stand still and send the 'calibrate' command"
        )
    up = standing if standing is not None else gait_dir
    assert up is not None
    refs = None
    if standing is not None and gait_dir is not None:
        refs = gait_dir[None, :]
    provisional = ThighCalibration(up=up, forward=perpendicular(up), upright_refs=refs)
    threshold = p.sit_threshold_deg
    if clusters:
        centres = np.array([c for c, _ in clusters])
        incl = inclination_deg(centres, provisional)
        seated = incl[incl > p.sit_threshold_min_deg]
        if seated.size:
            threshold = float(
                np.clip(0.5 * float(seated.min()), p.sit_threshold_min_deg, p.sit_threshold_max_deg)
            )
    provisional = ThighCalibration(
        up=up, forward=perpendicular(up), upright_refs=refs, sit_threshold_deg=threshold
    )
    forward, confidence = _forward_from_sitting(d_all[still], provisional)
    return ThighCalibration(
        up=up,
        forward=forward,
        source="auto",
        confidence=confidence,
        upright_refs=refs,
        sit_threshold_deg=threshold,
    )


def _forward_from_sitting(d_still: FloatArray, cal: ThighCalibration) -> tuple[FloatArray, float]:
    if d_still.shape[0] == 0:
        return cal.forward, 0.5
    incl = inclination_deg(d_still, cal)
    seated = d_still[incl > cal.sit_threshold_deg]
    if seated.shape[0] < 10:
        return cal.forward, 0.5
    perp = unit_rows(seated - np.outer(seated @ cal.up, cal.up))
    perp = perp[np.isfinite(perp).all(axis=1)]
    # the most common seated direction (a mode, not a mean: side-lying or crossed
    # legs must not pull the front of the thigh sideways)
    found = dominant_direction(perp, 30.0)
    if found is None or np.count_nonzero(found[1]) < 10:
        return cal.forward, 0.5
    return found[0], 1.0


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
    if not p.min_gravity_g <= mag <= p.max_gravity_g:
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
