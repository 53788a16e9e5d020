"""The delay before a link tries its server again: capped exponential backoff with
full jitter, the one owner of that rule for the MQTT link and the history writer.

The ``n``-th delay of a run of failures (``n = 0`` for the first) is drawn uniformly
from ``[0, cap]``, ``cap = min(max_s, first_s · 2^n)`` ("full
jitter", as in AWS's *Exponential Backoff and Jitter*). A broker or database that
restarts under a fleet of gateways then sees their reconnections spread over the
cap instead of all at once: any one gateway tries again within a given second with
a probability of at most ``1 s / first_s``, whatever its state.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

_MAX_DOUBLINGS = 60
"""``2**n`` stops growing here (the cap is long reached: no float overflow)."""


@dataclass(frozen=True, slots=True)
class Backoff:
    first_s: float
    """The first delay's cap (it is drawn from ``[0, first_s]``)."""
    max_s: float
    """The cap never grows past this."""

    def __post_init__(self) -> None:
        if not self.first_s > 0:
            raise ValueError(f"backoff first_s must be > 0 (got {self.first_s!r})")
        if not self.max_s >= self.first_s:
            raise ValueError(
                f"backoff max_s must be at least first_s ({self.first_s:g}) (got {self.max_s!r})"
            )

    def cap_s(self, n: int) -> float:
        """The longest ``n``-th delay (``n`` ≥ 0 delays were waited before it)."""
        return min(self.max_s, self.first_s * 2.0 ** min(max(n, 0), _MAX_DOUBLINGS))

    def delay_s(self, n: int, rng: random.Random) -> float:
        """The ``n``-th delay: drawn uniformly from ``[0, cap_s(n)]``."""
        return rng.uniform(0.0, self.cap_s(n))
