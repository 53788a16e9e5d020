"""Which of a live window's seconds are not decided yet (held back, not emitted).

The batch pipeline decides two things with more hindsight than the live look-ahead
(``LiveParams.lag_s``) gives:

* **riding**: sitting still on the saddle between two pedalling spells, up to
  ``PostureParams.coast_max_s``, is coasting (seated riding), and upright spells
  between seated pedalling are standing on the pedals. Until the next pedal stroke
  is seen (or the limit has passed), seconds that follow seated riding could be
  either. Calibrated from pedalling alone (no walking seen), sitting up to that
  limit just before or after a ride is on the saddle too: a run of sitting (or of
  such coasting) is held until it is longer or has ended;
* **non-wear**: a thigh sensor dead still in an orientation no worn body can take
  (or both sensors frozen together) is off the body once that has lasted
  ``PostureParams.nonwear_after_s``. Until then it could be either.

Such seconds are held: the window is classified again at the next step, with more
data, and the held seconds are emitted once decided. Holding is bounded by those two
limits (plus the look-ahead), and only seconds that follow seated riding, sitting
under a calibration from pedalling alone, or off-body candidates are ever held, so
ordinary sitting is never delayed once walking has calibrated the thigh.
"""

from __future__ import annotations

import numpy as np

from analytics import posture_codes as code
from analytics.params import PostureParams
from analytics.records import BoolArray, Int8Array, Posture

_SITTING, _UPRIGHT, _RIDING_SEATED, _RIDING_STANDING = (
    int(Posture.SITTING),
    int(Posture.UPRIGHT),
    int(Posture.RIDING_SEATED),
    int(Posture.RIDING_STANDING),
)


def ride_undecided_from(
    posture: Int8Array,
    to_i: int,
    end_i: int,
    lag_s: int,
    p: PostureParams,
    *,
    coasting: BoolArray | None = None,
) -> int:
    """Index from which the seconds before ``to_i`` are held for the riding rules:
    the start of a sitting/upright tail that follows seated riding and began less
    than ``coast_max_s + lag_s`` before the end of the data (``end_i``); ``to_i``
    when nothing is held. ``posture`` is the window's smoothed posture.

    ``coasting``: the calibration comes from pedalling (no walking seen), where
    sitting up to ``coast_max_s`` just before or after a ride is seated riding too
    (``analytics.posture``'s one-sided coasting; ``coasting``: the seconds of the
    window it made seated riding). A run of sitting or coasting seconds that
    reaches ``to_i`` and began less than ``coast_max_s + lag_s`` before the data end
    is held as well: its length, or the pedalling that may follow (seen only some
    seconds after it starts), is not known yet."""
    held = to_i
    limit = p.coast_max_s + lag_s
    lo = max(0, end_i - limit)
    if coasting is not None and to_i > 0:
        seated = (posture[:to_i] == _SITTING) | coasting[:to_i]
        if seated[to_i - 1]:
            other = np.flatnonzero(~seated[lo:to_i])
            if other.size:
                held = lo + int(other[-1]) + 1
            elif lo == 0:  # (the data began with it; else it began before the limit)
                held = 0
    if to_i <= 0 or int(posture[to_i - 1]) not in (_SITTING, _UPRIGHT):
        return held
    tail = posture[lo:to_i]
    other = np.flatnonzero((tail != _SITTING) & (tail != _UPRIGHT) & (tail != _RIDING_STANDING))
    if other.size == 0:
        return held  # the tail began before the limit (or the window)
    i = lo + int(other[-1])
    if int(posture[i]) == _RIDING_SEATED and end_i - (i + 1) < limit:
        return min(held, i + 1)
    return held


def offbody_undecided_from(
    candidate: BoolArray,
    posture: Int8Array,
    to_i: int,
    end_i: int,
    lag_s: int,
    p: PostureParams,
) -> int:
    """Index from which the seconds before ``to_i`` are held as possible non-wear:
    a run of off-body candidates (``candidate``: what
    :func:`analytics.posture.mark_off_body` would mark if any length were enough)
    that reaches the last emitted second, is not yet non-wear, began less than
    ``nonwear_after_s + lag_s`` before the data end and still runs within
    ``frozen_block_s`` of it (the frozen test sees whole blocks only); ``to_i`` when
    nothing is held."""
    i = to_i - 1
    if i < 0 or not candidate[i] or posture[i] == code.NONWEAR:
        return to_i
    j = i
    while j + 1 < candidate.shape[0] and candidate[j + 1]:
        j += 1
    if j + 1 + p.frozen_block_s < end_i:
        return to_i  # the run has ended: decided by what the window shows
    k = i
    while k > 0 and candidate[k - 1] and posture[k - 1] != code.NONWEAR:
        k -= 1
    if end_i - k >= p.nonwear_after_s + lag_s:
        return to_i
    return k
