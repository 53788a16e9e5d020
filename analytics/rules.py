"""The clinical rules sitload measures against, each defined once.

Every other module reads these values from here (a test greps for the literals);
the citations are to the project's clinical conventions (``shared/domain.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class ClinicalRules:
    hip_flexion_limit_deg: float = 90.0
    """Hip flexion past this compresses the proximal hamstring tendon (deep chairs,
    leaning forward, forward saddles): time and dose above it are tracked."""
    break_s: float = 120.0
    """An upright period this long is a break taken ("stand 2–5 min every 30–40 min":
    at least 2 min); shorter upright periods are micro-breaks."""
    posture_hold_s: int = 10
    """A posture change counts only after lasting this long (activPAL convention,
    the reference standard for sitting)."""
    saddle_stand_s: float = 10.0
    """Standing on the pedals this long ends a saddle bout (the posture rule applied
    to the saddle: a shorter rise out of the saddle is part of the bout)."""
    freewheel_max_s: float = 300.0
    """Sitting still on the saddle this long after the last pedal stroke is still
    riding (freewheeling downhill, waiting at a light seated); longer, it is sitting.
    A rider off the bike walks or stands first, so sitting straight after riding is
    on the saddle; five minutes covers a long descent, which has pedal strokes."""
    sit_threshold_deg: float = 45.0
    """Thigh inclination from upright above which the thigh counts as seated, when a
    recording shows no two clear clusters (midway between standing, ≈0–20°, and
    sitting, ≈70–100°)."""


RULES: Final = ClinicalRules()
"""The rules in force: the defaults of every parameter record that carries one."""
