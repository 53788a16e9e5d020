"""The live engine on real recordings nobody on the project made (HuGaDB strapped thigh
IMUs with real bicycling, WISDM pocket phones), fed as sensors would (1 s blocks,
10 s steps): issue 11's targets on the path the prompts come from. Skipped where
``../shared/data`` is absent; ``bench/accuracy_live_real.py`` prints the same
figures per subject."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.orientation import PEDALLING_SOURCE
from analytics.pipeline import analyze_thigh
from analytics.records import Posture
from bench.accuracy_live_real import (
    HugadbLive,
    WisdmRow,
    hugadb_day,
    hugadb_live,
    live_posture,
    per_subject,
    riding_share,
    wisdm_live,
)
from collector.recordings.hugadb import read_hugadb, recording_days
from tests.shared_data import SHARED_DATA, shared_paths

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def hugadb() -> HugadbLive:
    return hugadb_live(shared_paths(SHARED_DATA / "hugadb-dev", "HuGaDB_v1_*.tsv*"))


@pytest.fixture(scope="module")
def wisdm() -> dict[str, WisdmRow]:
    rows = wisdm_live(shared_paths(SHARED_DATA / "wisdm-dev", "data_*_accel_phone.txt"))
    return {row[0]: row for row in rows}


def test_hugadb_live_sitting_vs_upright_on_every_subject(hugadb: HugadbLive) -> None:
    """The batch targets: >= 97 % on every subject, >= 98 % mean."""
    scores = per_subject(hugadb.live)
    assert len(scores) >= 8
    worst = min(scores, key=scores.__getitem__)
    assert scores[worst] >= 0.97, f"subject {worst}: {scores[worst]:.4f}"
    assert float(np.mean(list(scores.values()))) >= 0.98


def test_hugadb_live_bicycling_is_riding_and_stepping_never(hugadb: HugadbLive) -> None:
    """Bicycling as riding: 92.87 % before sitting just before a ride was held under a
    calibration from pedalling (94.93 % with it; the batch pipeline 98.06 %)."""
    assert riding_share(hugadb.live, bike=True) >= 0.94
    assert riding_share(hugadb.live, bike=False) < 0.01


def test_hugadb_live_gives_what_the_batch_gives(hugadb: HugadbLive) -> None:
    """Per second, over every day the batch pipeline calibrates (99.33 % before the
    calibration taken again from standing and sitting, 99.45 % with it, 99.61 % with
    the hold of sitting before a ride)."""
    assert hugadb.same_s / hugadb.n_s >= 0.996


def test_sitting_on_the_saddle_before_a_ride_is_riding_live_as_in_batch() -> None:
    """Subject 01's day of bicycling only (no walking: calibrated from pedalling), right
    thigh: each file starts with the rider still on the saddle, which the batch
    pipeline reads as riding (sitting just before pedalling). Live, those seconds
    were emitted as sitting before the pedalling had lasted long enough to be seen
    (25 s differed); they are held until it has."""
    paths = shared_paths(SHARED_DATA / "hugadb-dev", "HuGaDB_v1_bicycling_01_1*.tsv*")
    days = recording_days(paths)
    rec, n = hugadb_day([read_hugadb(p) for p in days[("01", "10-10")]], "right")
    a = analyze_thigh(rec)
    assert a.thigh is not None
    assert a.thigh.source == PEDALLING_SOURCE
    batch = a.timeline.posture[:n]
    live = live_posture(rec, n)
    assert np.count_nonzero(batch == Posture.RIDING_SEATED) > 0.8 * n
    assert np.array_equal(live, batch), np.flatnonzero(live != batch)


def test_a_phone_calibrated_from_walking_alone_is_calibrated_again(
    wisdm: dict[str, WisdmRow],
) -> None:
    """WISDM subject 1611: the first minute (walking) gave an "up" 52° from the
    standing one, which the learning never corrected: standing read as sitting,
    95.7 % and +4.9 % sitting time live against 100 % batch. The calibration is now
    taken again from the first window with standing still and sitting in it."""
    _, _, (agree, err) = wisdm["data_1611_accel_phone.txt"]
    assert agree >= 0.97, agree
    assert abs(err) <= 0.02, err


@pytest.mark.xfail(
    strict=True,
    reason="subject 1606: its level walking never passes the stride test (stride "
    "ratio 0.02-0.09, median 0.04, against 0.05: the phone hardly swings once a "
    "stride); its only walking evidence is 60 s on the stairs at 76 min, which the "
    "batch pipeline applies to the whole day and the live engine only from then on; "
    "the 46 min before are given as no data once the 30 min hold runs out",
)
def test_wisdm_live_day_on_every_subject(wisdm: dict[str, WisdmRow]) -> None:
    """The batch targets on the live path: >= 97 % agreement and sitting time within
    ±2 % on every subject's day."""
    for name, _batch, (agree, err) in wisdm.values():
        assert agree >= 0.97, f"{name}: {agree:.4f}"
        assert abs(err) <= 0.02, f"{name}: {err:+.4f}"
