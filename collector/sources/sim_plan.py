"""The simulator's day plan: schedule segments (:class:`Seg`, a whole number of seconds
in one posture, at least :data:`PERIOD_FLOOR_S` long) and how a desk worker's or a
cyclist's day is laid out (:class:`Plan`, :func:`build_schedule`), with the gaps of
a recording that has no samples (:func:`insert_gaps`). :mod:`collector.sources.simulator`
turns the plan into samples; :mod:`collector.sources.sim_days` lays out calendar days.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from analytics.records import FloatArray, Posture

Profile = Literal["desk", "cyclist"]
PERIOD_FLOOR_S = 10

# Segment kinds.
SIT, STAND, WALK, LIE, OFF, GAP, RIDE, COAST, RSTAND = range(9)
TRUTH_OF_KIND = np.array(
    [
        Posture.SITTING,
        Posture.UPRIGHT,
        Posture.UPRIGHT,
        Posture.LYING,
        Posture.NONWEAR,
        Posture.NONWEAR,
        Posture.RIDING_SEATED,
        Posture.RIDING_SEATED,
        Posture.RIDING_STANDING,
    ],
    dtype=np.int8,
)


@dataclass(slots=True)
class Seg:
    """One schedule segment: a whole number of seconds in one posture."""

    kind: int
    dur_s: int
    theta_deg: float = 0.0
    amp_deg: float = 0.0
    freq_hz: float = 0.0
    phi_deg: float = 0.0
    phi_osc_deg: float = 0.0
    psi_deg: float = 0.0
    psi_trunk_deg: float = 0.0
    rock_deg: float = 0.0
    impact_g: float = 0.0
    trunk_bob_g: float = 0.0
    vib_g: float = 0.0
    sway_deg: float = 0.0
    drift_deg: float = 0.0
    cad_drift_rpm: float = 0.0
    seat_load: float = 0.0
    seat_thigh: float = 0.0
    slump: float = 0.0
    off_index: int = -1


class Plan:
    """Builds the segment schedule of one profile."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.segs: list[Seg] = []
        self.total_s = 0
        self.n_off = 0

    def u(self, lo: float, hi: float) -> float:
        return float(self.rng.uniform(lo, hi))

    def secs(self, lo: float, hi: float) -> int:
        return max(PERIOD_FLOOR_S, round(self.u(lo, hi)))

    def add(self, seg: Seg) -> None:
        if seg.dur_s < PERIOD_FLOOR_S:
            raise AssertionError("segment shorter than the minimum period")
        self.segs.append(seg)
        self.total_s += seg.dur_s

    # -- everyday postures ------------------------------------------------------

    def walk(self, dur_s: int) -> None:
        self.add(
            Seg(
                WALK,
                dur_s,
                theta_deg=self.u(4.0, 8.0),
                amp_deg=self.u(20.0, 25.0),
                freq_hz=self.u(0.8, 1.0),
                phi_deg=self.u(0.0, 5.0),
                phi_osc_deg=self.u(1.0, 3.0),
                impact_g=self.u(0.4, 0.65),
                trunk_bob_g=self.u(0.15, 0.3),
                drift_deg=1.0,
            )
        )

    def stand(self, dur_s: int, *, theta_hi: float = 10.0) -> None:
        self.add(
            Seg(
                STAND,
                dur_s,
                # standing is the reference posture: hip flexion ≈ 0° by definition,
                # so thigh and trunk vary around zero from one stand to the next
                theta_deg=self.u(-2.0, min(theta_hi, 3.0)),
                phi_deg=self.u(-3.0, 3.0),
                sway_deg=self.u(1.0, 2.5),
                drift_deg=1.5,
            )
        )

    def sit(
        self,
        dur_s: int,
        theta_deg: float,
        phi_deg: float,
        psi_deg: float,
        slump: float,
        *,
        seat_load: float = 1.0,
    ) -> None:
        self.add(
            Seg(
                SIT,
                dur_s,
                theta_deg=theta_deg,
                phi_deg=phi_deg,
                psi_deg=psi_deg,
                drift_deg=2.5,
                seat_load=seat_load,
                seat_thigh=seat_load,
                slump=slump,
            )
        )

    def sitting_period(self, dur_s: int, *, sofa: bool = False) -> None:
        """One uninterrupted sitting period made of sub-postures (upright, leaning
        forward, legs crossed), each at least a minute."""
        deep = sofa or self.rng.random() < 0.12
        theta_base = self.u(100.0, 110.0) if deep else self.u(82.0, 98.0)
        slump_base = self.u(0.4, 1.0) if deep else self.u(0.0, 0.6)
        remaining = dur_s
        while remaining > 0:
            r = self.rng.random()
            theta = theta_base + self.u(-3.0, 3.0)
            psi = self.u(-8.0, 8.0)
            slump = float(np.clip(slump_base + self.u(-0.15, 0.15), 0.0, 1.0))
            if sofa:
                phi = self.u(-20.0, -5.0)
                d = self.u(300.0, 1800.0)
            elif r < 0.55:
                phi = self.u(0.0, 15.0)
                d = self.u(120.0, 1200.0)
            elif r < 0.8:  # leaning forward over the desk: hip past 90
                phi = self.u(20.0, 40.0)
                d = self.u(60.0, 600.0)
                slump = 0.0
            else:  # legs crossed: thigh raised and rolled
                theta += self.u(3.0, 8.0)
                psi = float(self.rng.choice([-1.0, 1.0])) * self.u(10.0, 30.0)
                phi = self.u(0.0, 12.0)
                d = self.u(60.0, 900.0)
            n = max(60, round(d))
            if remaining - n < 60:
                n = remaining
            self.sit(n, theta, phi, psi, slump)
            remaining -= n

    def lie(self, dur_s: int, side: int) -> None:
        """Lying: ``side`` 0 supine, +1 / -1 on one side (thigh and trunk rolled)."""
        if side == 0:
            theta = self.u(85.0, 95.0)
            psi = float(self.rng.choice([-1.0, 1.0])) * self.u(10.0, 30.0)
            psi_t = self.u(-10.0, 10.0)
        else:
            theta = self.u(100.0, 130.0)
            psi = side * self.u(70.0, 90.0)
            psi_t = side * self.u(75.0, 95.0)
        self.add(
            Seg(
                LIE,
                dur_s,
                theta_deg=theta,
                psi_deg=psi,
                phi_deg=self.u(-95.0, -85.0),
                psi_trunk_deg=psi_t,
                drift_deg=1.5,
            )
        )

    def off(self, dur_s: int) -> None:
        self.add(Seg(OFF, dur_s, off_index=self.n_off))
        self.n_off += 1

    # -- desk day ---------------------------------------------------------------

    def sitting_length_s(self) -> int:
        r = self.rng.random()
        if r < 0.4:
            return round(self.u(10.0, 30.0) * 60)
        if r < 0.75:
            return round(self.u(30.0, 60.0) * 60)
        return round(self.u(60.0, 90.0) * 60)

    def real_break(self) -> None:
        self.walk(self.secs(30, 120))
        self.stand(self.secs(60, 300))
        self.walk(self.secs(30, 120))

    def nonwear_episode(self) -> None:
        self.walk(self.secs(30, 120))
        self.off(self.secs(20 * 60, 60 * 60))
        self.walk(self.secs(30, 120))

    def work_block(self, dur_s: float, *, with_nonwear: bool) -> None:
        start = self.total_s
        end = start + dur_s
        pending = with_nonwear
        while end - self.total_s > 300:
            self.sitting_period(min(self.sitting_length_s(), max(600, round(end - self.total_s))))
            if pending and self.total_s > start + dur_s / 3:
                self.nonwear_episode()
                pending = False
            elif self.rng.random() < 0.55:
                self.stand(self.secs(20, 100))  # micro-break
            else:
                self.real_break()
        if pending:
            self.nonwear_episode()

    def desk_day(self) -> None:
        self.walk(self.secs(300, 900))  # arrive
        self.stand(self.secs(20, 90))
        self.work_block(self.u(3.0, 4.0) * 3600, with_nonwear=False)
        # lunch walk
        self.walk(self.secs(600, 1200))
        self.stand(self.secs(60, 300))
        self.sit(self.secs(900, 1800), self.u(85, 95), self.u(10, 25), self.u(-5, 5), 0.2)
        self.walk(self.secs(300, 900))
        self.work_block(self.u(3.0, 4.0) * 3600, with_nonwear=True)
        # home, a nap, the evening
        self.walk(self.secs(600, 1200))
        self.stand(self.secs(60, 300))
        self.lie(self.secs(1200, 2400), 0)
        self.walk(self.secs(60, 180))
        self.sitting_period(self.secs(1800, 3600), sofa=True)
        self.walk(self.secs(60, 180))
        self.stand(self.secs(300, 1200))
        self.sitting_period(self.secs(3600, 7200), sofa=True)
        self.walk(self.secs(60, 180))
        # night: supine and on either side
        night_end = self.total_s + self.u(7.0, 8.5) * 3600
        side = 0
        while self.total_s < night_end:
            self.lie(self.secs(15 * 60, 120 * 60), side)
            side = int(self.rng.choice([s for s in (-1, 0, 1) if s != side]))
        # morning
        self.walk(self.secs(60, 180))
        self.stand(self.secs(300, 900))
        self.sit(self.secs(600, 1500), self.u(85, 95), self.u(5, 20), self.u(-5, 5), 0.3)
        self.stand(self.secs(120, 600))


# --------------------------------------------------------------------------- schedule


def insert_gaps(segs: list[Seg], hours: float, rng: np.random.Generator) -> list[Seg]:
    """Cut gaps (5-300 s without samples) into worn segments, leaving >= 10 s either side."""
    n_gaps = int(rng.poisson(hours / 3.0)) + (1 if hours >= 1.0 else 0)
    for _ in range(n_gaps):
        gap = round(math.exp(rng.uniform(math.log(5.0), math.log(300.0))))
        ok = [
            i
            for i, s in enumerate(segs)
            if s.kind not in (GAP, OFF) and s.dur_s >= gap + 2 * PERIOD_FLOOR_S
        ]
        if not ok:
            continue
        w = np.array([segs[i].dur_s for i in ok], dtype=np.float64)
        i = ok[int(rng.choice(len(ok), p=w / w.sum()))]
        seg = segs[i]
        a = int(rng.integers(PERIOD_FLOOR_S, seg.dur_s - gap - PERIOD_FLOOR_S + 1))
        before = replace(seg, dur_s=a)
        hole = replace(seg, kind=GAP, dur_s=gap)
        after = replace(seg, dur_s=seg.dur_s - a - gap)
        segs[i : i + 1] = [before, hole, after]
    return segs


def per_second(segs: list[Seg], name: str) -> FloatArray:
    values = np.array([getattr(s, name) for s in segs], dtype=np.float64)
    durs = np.array([s.dur_s for s in segs], dtype=np.int64)
    return np.repeat(values, durs)
