"""The simulator's samples, made an hour at a time from the per-second parameters that
:mod:`collector.sources.simulator` draws for the whole recording.

Every part is computed from those parameters and from random streams that are drawn
in order, part after part, so the samples do not depend on whether the parts are
joined into one recording (:func:`collector.sources.simulator.simulate`) or replayed
one after the other and dropped (:func:`collector.sources.simulator.simulate_parts`,
what ``sitload run`` does: it never holds a whole day of samples).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from analytics.records import FloatArray, IntArray
from collector.sources.sim_plan import OFF
from collector.sources.sim_signals import SeatMat, mount, rotate_about_second_axis

SAMPLE_CHUNK_S = 3600
"""Samples are made this many seconds at a time (every per-sample intermediate of a
whole day at once would need several times the recording's own size)."""
G_MS2 = 9.80665
THIGH_LEVER_M = 0.20
"""Distance of the thigh sensor from the hip joint, along the thigh (m)."""


@dataclass(frozen=True, slots=True)
class SamplePart:
    """Samples ``lo .. hi - 1`` of the recording: times as offsets from ``t0``, the
    whole second of each (from ``t0``), the sensors' columns and the true hip flexion."""

    rel: FloatArray
    sec: IntArray
    thigh: FloatArray
    trunk: FloatArray | None
    hip: FloatArray
    cadence: FloatArray | None
    seat: FloatArray | None


@dataclass(slots=True)
class SampleMaker:
    """What the parts are made from: per-second arrays over the whole recording
    (``kind_sec``, the segment parameters ``prm`` and the drifting angles), the sample
    times ``rel`` (worn seconds only), the mountings and the noise streams."""

    rel: FloatArray
    kind_sec: IntArray
    prm: dict[str, FloatArray]
    theta_s: FloatArray
    phi_s: FloatArray
    psi_s: FloatArray
    freq_s: FloatArray
    m_thigh: FloatArray
    m_trunk: FloatArray | None
    off_thigh: FloatArray
    off_trunk: FloatArray
    sigma_thigh: float
    sigma_trunk: float
    rng_noise: np.random.Generator
    rng_noise_t: np.random.Generator
    cadence_sec: FloatArray | None
    """What a crank sensor reports each second (cyclists; None: no crank sensor)."""
    seat: SeatMat | None

    @property
    def n(self) -> int:
        return int(self.rel.shape[0])

    def parts(self, part_s: int = SAMPLE_CHUNK_S) -> Iterator[SamplePart]:
        """The samples, ``part_s`` seconds of them at a time (the samples are the same
        whatever ``part_s``). Draws from the noise streams: call once."""
        rel = self.rel
        n = self.n
        n_sec = self.kind_sec.shape[0]
        cuts = np.searchsorted(rel, np.arange(0, n_sec, part_s))
        phase_sum = 0.0
        for lo, hi in itertools.pairwise([*cuts.tolist(), n]):
            if hi <= lo:
                continue
            dt_first = rel[max(lo - 1, 0)]
            part, phase_sum = self._part(rel[lo:hi], dt_first, phase_sum)
            yield part

    def _part(self, r: FloatArray, rel_before: float, phase_sum: float) -> tuple[SamplePart, float]:
        prm = self.prm
        centres = np.arange(self.kind_sec.shape[0], dtype=np.float64) + 0.5
        sc = np.floor(r).astype(np.int64)

        def interp(values: FloatArray) -> FloatArray:
            return np.asarray(np.interp(r, centres, values), dtype=np.float64)

        freq = interp(self.freq_s)
        dt = np.diff(r, prepend=rel_before)
        # the running sum goes on from the part before, added in the same order
        cum = np.cumsum(np.concatenate(([phase_sum], freq * dt)))[1:]
        phase_sum = float(cum[-1])
        phase = 2.0 * np.pi * cum
        sin_ph = np.sin(phase)
        cos_ph = np.cos(phase)
        amp = interp(prm["amp_deg"])
        theta_deg = interp(self.theta_s) + amp * sin_ph
        swaying = np.flatnonzero(prm["sway_deg"][sc] > 0.0)  # standing still: slow sway
        r_sw = r[swaying]
        theta_deg[swaying] += prm["sway_deg"][sc[swaying]] * np.sin(
            2 * np.pi * 0.23 * r_sw + 0.8 * np.sin(2 * np.pi * 0.07 * r_sw)
        )
        phi_deg = interp(self.phi_s) + prm["phi_osc_deg"][sc] * sin_ph
        hip = theta_deg + phi_deg

        # Thigh: gravity, rocking, centripetal / tangential terms, impacts at twice the
        # stride.
        th = np.radians(theta_deg)
        ps = np.radians(interp(self.psi_s))
        sin_th = np.sin(th)
        fu = np.cos(th)
        ff = sin_th * np.cos(ps)
        fl = sin_th * np.sin(ps)
        rocking = np.flatnonzero(prm["rock_deg"][sc] > 0.0)  # standing on the pedals
        beta = np.radians(prm["rock_deg"][sc[rocking]] * sin_ph[rocking])
        fu[rocking], fl[rocking] = rotate_about_second_axis(fu[rocking], fl[rocking], beta)
        omega = np.radians(amp) * 2 * np.pi * freq * cos_ph
        alpha = -np.radians(amp) * (2 * np.pi * freq) ** 2 * sin_ph
        sin_2ph = 2.0 * sin_ph * cos_ph
        impact = prm["impact_g"][sc] * (np.maximum(sin_2ph, 0.0) ** 2 - 0.25)
        impact += 1.0
        fu *= impact
        fu += THIGH_LEVER_M / G_MS2 * omega**2
        ff *= impact
        ff += THIGH_LEVER_M / G_MS2 * alpha
        fl *= impact
        th_acc = mount(self.m_thigh, fu, ff, fl)

        off = self.kind_sec[sc] == OFF
        off_idx = prm["off_index"][sc].astype(np.int64)
        if off.any():
            th_acc[off] = self.off_thigh[off_idx[off]]
        noise_sd = np.sqrt(self.sigma_thigh**2 + prm["vib_g"][sc] ** 2)
        th_acc += (
            self.rng_noise.standard_normal((r.shape[0], 3), dtype=np.float32) * noise_sd[:, None]
        )

        tr_acc: FloatArray | None = None
        if self.m_trunk is not None:
            ph = np.radians(phi_deg)
            pt = np.radians(interp(prm["psi_trunk_deg"]))
            sin_phi = np.sin(ph)
            tu = np.cos(ph)
            tf = -sin_phi * np.cos(pt)
            tl = -sin_phi * np.sin(pt)
            tu[rocking], tl[rocking] = rotate_about_second_axis(
                tu[rocking], tl[rocking], 0.5 * beta
            )
            bob = 1.0 + prm["trunk_bob_g"][sc] * sin_2ph
            tr_acc = mount(self.m_trunk, tu * bob, tf * bob, tl * bob)
            if off.any():
                tr_acc[off] = self.off_trunk[off_idx[off]]
            trunk_sd = np.sqrt(self.sigma_trunk**2 + 0.5 * prm["vib_g"][sc] ** 2)
            tr_acc += (
                self.rng_noise_t.standard_normal((r.shape[0], 3), dtype=np.float32)
                * trunk_sd[:, None]
            )

        cadence = None if self.cadence_sec is None else self.cadence_sec[sc]
        seat = None if self.seat is None else self.seat.samples(sc)
        return SamplePart(r, sc, th_acc, tr_acc, hip, cadence, seat), phase_sum
