"""The simulator's cyclist: a day with a ride (:class:`CyclistPlan`). Every ride has
a long seated climb, past the saddle prompt (``AlertParams.saddle_prompt_after_s``,
45 min), so a simulated ride reaches it."""

from __future__ import annotations

import numpy as np

from collector.sources.sim_plan import COAST, PERIOD_FLOOR_S, RIDE, RSTAND, Plan, Seg


class CyclistPlan(Plan):
    """Builds the segment schedule of a cyclist's days."""

    def ride_seated(self, dur_s: int, cadence: float, phi: float, *, coast: bool) -> None:
        self.add(
            Seg(
                COAST if coast else RIDE,
                dur_s,
                theta_deg=self.u(55.0, 65.0),
                amp_deg=self.u(20.0, 25.0),
                freq_hz=0.0 if coast else cadence / 60.0,
                phi_deg=phi,
                phi_osc_deg=0.5,
                psi_deg=self.u(-5.0, 5.0),
                trunk_bob_g=0.02,
                vib_g=self.u(0.02, 0.05),
                drift_deg=2.0,
                cad_drift_rpm=0.0 if coast else 6.0,
                seat_load=0.6,
                slump=0.3,
            )
        )

    def ride_standing(self, dur_s: int) -> None:
        self.add(
            Seg(
                RSTAND,
                dur_s,
                theta_deg=self.u(25.0, 35.0),
                amp_deg=self.u(18.0, 22.0),
                freq_hz=self.u(55.0, 75.0) / 60.0,
                phi_deg=self.u(15.0, 30.0),
                phi_osc_deg=2.0,
                rock_deg=self.u(5.0, 10.0),
                impact_g=0.1,
                trunk_bob_g=0.08,
                vib_g=self.u(0.02, 0.05),
                drift_deg=1.5,
                cad_drift_rpm=3.0,
            )
        )

    def ride(self, dur_s: float) -> None:
        """A ride: a warm-up, a stop at a light, a long seated climb (past the
        saddle prompt), then riding to the end (seated spells, stands, coasting,
        stops)."""
        end = self.total_s + dur_s
        cad_base = self.u(75.0, 92.0)
        phi_base = self.u(38.0, 52.0)
        self.spells(self.total_s + self.u(10.0, 25.0) * 60, cad_base, phi_base)
        self.ride_seated(self.secs(60, 300), cad_base, phi_base, coast=False)
        self.stand(self.secs(30, 120))  # a stop at the foot of the climb
        self.climb(self.u(47.0, 60.0) * 60, phi_base)
        self.spells(end, cad_base, phi_base)

    def spells(self, end_s: float, cad_base: float, phi_base: float) -> None:
        """Seated riding spells until ``end_s``, each followed by a stand on the
        pedals, a coast or a stop (a foot down, standing astride the bike)."""
        while self.total_s < end_s:
            cadence = float(np.clip(cad_base + self.rng.normal(0.0, 6.0), 60.0, 100.0))
            phi = float(np.clip(phi_base + self.rng.normal(0.0, 4.0), 35.0, 55.0))
            self.ride_seated(self.secs(120, 1200), cadence, phi, coast=False)
            r = self.rng.random()
            if r < 0.5:
                self.ride_standing(self.secs(10, 60))
            elif r < 0.8:
                self.ride_seated(self.secs(10, 40), cadence, phi, coast=True)
            else:  # a stop: foot down, standing astride the bike
                self.stand(self.secs(30, 180), theta_hi=15.0)

    def climb(self, dur_s: float, phi_base: float) -> None:
        """A long seated climb: seated pedalling at a low cadence without once
        standing on the pedals or coasting, in the ride's trunk lean."""
        end = self.total_s + round(dur_s)
        # a low cadence, but not as low as a walking stride (≤ 1 Hz, 60 rpm): the
        # posture rules tell pedalling from walking by its rhythm
        cad_base = self.u(74.0, 84.0)
        while end - self.total_s >= PERIOD_FLOOR_S:
            cadence = float(np.clip(cad_base + self.rng.normal(0.0, 4.0), 70.0, 95.0))
            phi = float(np.clip(phi_base + self.rng.normal(0.0, 4.0), 35.0, 55.0))
            n = min(self.secs(300, 900), end - self.total_s)
            if end - self.total_s - n < PERIOD_FLOOR_S:
                n = end - self.total_s
            self.ride_seated(n, cadence, phi, coast=False)

    def cyclist_day(self) -> None:
        self.walk(self.secs(120, 300))  # walk to the bike
        self.stand(self.secs(10, 30))
        self.ride(self.u(1.75, 3.0) * 3600)
        self.stand(self.secs(10, 30))
        self.walk(self.secs(120, 300))  # walk away
        self.sitting_period(self.secs(20 * 60, 60 * 60))
        self.stand(self.secs(300, 900))
