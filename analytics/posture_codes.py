"""The posture codes (:class:`analytics.records.Posture`) as plain ints, for numpy in
the per-step paths: numpy compares an array with a plain int (or writes one into it)
several times faster than with an ``IntEnum`` member, whose every class lookup
misses through the enum's ``__getattr__`` (Python 3.11). Same codes, same results."""

from __future__ import annotations

from analytics.records import Posture

NONWEAR = int(Posture.NONWEAR)
SITTING = int(Posture.SITTING)
UPRIGHT = int(Posture.UPRIGHT)
LYING = int(Posture.LYING)
RIDING_SEATED = int(Posture.RIDING_SEATED)
RIDING_STANDING = int(Posture.RIDING_STANDING)
