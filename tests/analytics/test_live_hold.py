"""Which of a live window's seconds are held for the riding rules
(:func:`analytics.live_hold.ride_undecided_from`)."""

from __future__ import annotations

import numpy as np

from analytics import posture_codes as code
from analytics.live_hold import ride_undecided_from
from analytics.params import PostureParams

P = PostureParams()
LAG_S = 15
LIMIT_S = P.coast_max_s + LAG_S


def window(*spans: tuple[int, int]) -> np.ndarray:
    """A window's posture from (code, seconds) spans."""
    return np.concatenate([np.full(n, c, dtype=np.int8) for c, n in spans])


def held(
    posture: np.ndarray,
    *,
    one_side: bool,
    coasting: np.ndarray | None = None,
    ahead_s: int = LAG_S,
) -> int:
    """Where the hold starts when the seconds up to ``ahead_s`` before the data end
    may be emitted (``one_side``: calibrated from pedalling, ``coasting`` the seconds
    the one-sided coasting made seated riding, by default none)."""
    end_i = posture.shape[0]
    to_i = end_i - ahead_s
    if one_side and coasting is None:
        coasting = np.zeros(end_i, dtype=np.bool_)
    return ride_undecided_from(
        posture, to_i, end_i, LAG_S, P, coasting=coasting if one_side else None
    )


def test_sitting_after_walking_was_seen_is_never_held() -> None:
    posture = window((code.UPRIGHT, 600), (code.SITTING, 40))
    assert held(posture, one_side=False) == posture.shape[0] - LAG_S


def test_calibrated_from_pedalling_a_short_sitting_run_is_held_from_its_start() -> None:
    """Sitting just before a ride is on the saddle (the batch pipeline's one-sided
    coasting); the pedalling that may follow is seen only after it has lasted."""
    posture = window((code.UPRIGHT, 600), (code.NONWEAR, 5), (code.SITTING, 40))
    assert held(posture, one_side=True) == 605


def test_a_sitting_run_longer_than_coasting_is_decided() -> None:
    posture = window((code.UPRIGHT, 600), (code.SITTING, LIMIT_S))
    assert held(posture, one_side=True) == posture.shape[0] - LAG_S


def test_upright_seconds_are_not_held_for_a_ride_that_may_follow() -> None:
    posture = window((code.SITTING, 600), (code.UPRIGHT, 40))
    assert held(posture, one_side=True) == posture.shape[0] - LAG_S


def test_the_data_that_began_seated_is_held_from_its_first_second() -> None:
    posture = window((code.SITTING, 50))
    assert held(posture, one_side=True) == 0


def test_the_earlier_of_the_two_holds() -> None:
    """Seated riding, then standing, then sitting: the tail after the ride is held
    from the ride's end (coasting or standing on the pedals), earlier than the
    sitting run's start."""
    posture = window((code.RIDING_SEATED, 600), (code.UPRIGHT, 10), (code.SITTING, 30))
    assert held(posture, one_side=True) == 600
    assert held(posture, one_side=False) == 600


def test_coasting_after_a_ride_is_held_until_its_length_is_known() -> None:
    """Calibrated from pedalling, sitting still after pedalling is seated riding
    (coasting) while the run is at most ``coast_max_s``; a longer one is sitting, all
    of it. A window that has seen 40 s of it shows coasting: held from its start."""
    posture = window((code.RIDING_SEATED, 600), (code.RIDING_SEATED, 40))
    coasting = np.zeros(posture.shape[0], dtype=np.bool_)
    coasting[600:] = True
    assert held(posture, one_side=True, coasting=coasting) == 600
    assert held(posture, one_side=False) == posture.shape[0] - LAG_S
