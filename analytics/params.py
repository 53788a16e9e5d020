"""Tunable parameters of posture sensing, with their documented defaults.

The defaults follow the activPAL / Acti4 conventions where those exist (10 s minimum
posture duration, thigh inclination bands); the rest are physical magnitudes of
human movement, not fitted to any one recording.
"""

from __future__ import annotations

from dataclasses import dataclass

from analytics.rules import RULES


@dataclass(frozen=True, slots=True)
class PostureParams:
    posture_hold_s: int = RULES.posture_hold_s
    """A posture change counts only after lasting this long (activPAL convention)."""
    still_std_g: float = 0.05
    """Per-second RMS deviation of the thigh vector below which the thigh is still."""
    moving_std_g: float = 0.12
    """Per-second RMS deviation above which the thigh is moving (gait, pedalling)."""
    gait_range_g: float = 0.35
    """Per-second magnitude range above which movement has step impacts (gait)."""
    cone_deg: float = 20.0
    """Half-angle of the cones used to find clusters of gravity direction."""
    sit_threshold_deg: float = RULES.sit_threshold_deg
    """Default thigh inclination (from upright) above which the thigh counts as
    seated, when the recording itself does not show two clear clusters."""
    sit_threshold_floor_deg: float = 30.0
    sit_threshold_ceiling_deg: float = 55.0
    standing_cluster_max_deg: float = 60.0
    """A still cluster this close to the gait direction is the standing cluster."""
    pedal_window_s: int = 10
    pedal_fraction: float = 0.5
    """Pedalling: moving at a pedalling rhythm in at least this fraction of a centred
    window of seconds (the rest may be coasting or missing rhythm near gaps)."""
    pedal_angle_fraction: float = 0.7
    """Pedalling by the thigh's angle (a calibrated sensor, any cadence): moving with
    the thigh inclined beyond ``pedal_seated_deg`` and without step impacts in at
    least this fraction of a centred window of seconds."""
    rhythm_window_s: float = 6.0
    """Window over which the rhythm of the thigh's movement is measured (several
    strides or pedal revolutions at the slowest rhythm considered)."""
    rhythm_peak_min: float = 0.3
    """A movement has a rhythm (steps or pedal strokes) when at least this share of
    its 0.4–3.5 Hz power lies in one peak (three bins of the window's spectrum);
    white vibration spreads over the ~19 bins (≈ 0.16)."""
    gait_step_floor_hz: float = 1.45
    """Rhythm (per second) that separates steps from pedal revolutions: adults walk,
    climb stairs and run at 1.5–3.5 steps/s (each landing of either foot jolts the
    thigh), and pedal at 40–90 rpm, one thigh oscillation per crank revolution
    (0.7–1.45 Hz). Faster cadences need a cadence sensor (``cadence_rpm``)."""
    pedal_share_min: float = 0.4
    """Pedalling rhythm: at least this share of the movement's rhythm power below
    ``gait_step_floor_hz`` (walking, stairs and running keep it under 0.3: nearly all
    their power is at the step rate)."""
    ride_evidence_s: int = 60
    """A recording without walking is calibrated from pedalling only when it holds at
    least this much of it (and pedalling is most of its movement): a ride, not a
    flight of stairs climbed slowly or a bumpy car journey."""
    step_share_max: float = 0.25
    """Walking rhythm (the evidence that anchors "up"): at most this share below it."""
    stride_ratio_min: float = 0.05
    """Walking also swings the thigh once per stride, at half the step rate: its swing
    power there is at least this fraction of that at the step rate (pedalling, one
    swing per crank revolution, shows none)."""
    calibration_gait_s: int = 30
    """Seconds of walking (sustained steps at a walking rhythm, about 50 steps) for a
    fully confident automatic calibration; fewer give a proportionally lower
    confidence."""
    calibration_confidence_floor: float = 0.5
    """Below this, automatic calibration refuses (it never guesses which way is up)."""
    moving_seated_deg: float = 45.0
    """Mean thigh inclination of a moving second (not pedalling) above which the thigh
    is seated: fidgeting in a chair rather than stepping."""
    pedal_seated_deg: float = 35.0
    """While pedalling: mean thigh inclination above which the rider sits on the saddle
    (seated ≈ 45–55°, standing on the pedals ≈ 20–30° per-second mean)."""
    saddle_max_deg: float = 70.0
    """No saddle lets the thigh lie level: seated pedalling keeps its mean inclination
    under this (about 40–65°; level at the top of the stroke only). A level thigh
    moving without steps is a seat in a car or on a train, not a saddle."""
    running_std_g: float = 0.8
    """Movement this violent is running, never pedalling."""
    coast_max_s: int = 90
    """Sitting still between two pedalling spells, up to this long, is coasting."""
    cadence_floor_rpm: float = 20.0
    lying_trunk_deg: float = 60.0
    """Trunk inclination from upright beyond which a non-upright person is lying."""
    reclined_roll_deg: float = 50.0
    """Thigh-only: rotation about the thigh axis beyond which a level thigh is
    flagged as reclined (lying on the side)."""
    nonwear_after_s: int = 600
    nonwear_std_g: float = 0.02
    """Off-body: dead still (below this) for ``nonwear_after_s`` in a body-incompatible
    orientation, or while a worn trunk sensor shows the person walking."""
    nonwear_inverted_deg: float = 135.0
    """Thigh angle from upright that a thigh-worn sensor cannot show while worn."""
    frozen_block_s: int = 60
    frozen_ratio: float = 2.0
    """Off-body with a trunk sensor: both sensors' per-second means scatter no more
    than ``frozen_ratio`` × their noise standard error within every block of
    ``frozen_block_s`` for ``nonwear_after_s``."""
    hip_floor_deg: float = -40.0
    hip_ceiling_deg: float = 150.0
    """A trunk-thigh angle outside this range cannot be worn: off the body."""
    gravity_floor_g: float = 0.5
    gravity_ceiling_g: float = 1.5
