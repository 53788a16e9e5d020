"""Speed benchmark: reading FIT rides (collector.recordings.fit) against iterating the
same file with fitdecode alone, in the same run, and a 5-hour ride analysed in
process.

Timed per file, best of N in one process (wall clock; the CPU time of the same runs
beside it, less moved by other processes on a shared machine):

* **fitdecode**: iterate every frame with fitdecode's defaults (its data processor,
  its CRC check, malformed fields tolerated) and nothing else — the baseline;
* **fitdecode bare**: the same without a data processor and CRC check: the
  fastest the library iterates a whole file;
* **read_fit all**: sitload's reader decoding every message (its own CRC check,
  collecting records, timer and rider-position events, the session);
* **read_fit**: sitload's reader as it runs (messages a ride does not use skipped:
  collector/recordings/fit_reader.py);
* **garmin-fit-sdk** (when importable; ``--sdk-path DIR`` adds a folder with it,
  e.g. after ``pip install --target DIR garmin-fit-sdk``): ``Decoder.read`` with
  its CRC check and without the conversions a ride does not need.

Then a **5-hour ride in process** = reading (the longest file's read_fit time per
record × 18,000 records, a record a second) + ``summarize_ride`` on 5 hours of
seconds (the longest ride's records repeated to 5 h): the target is ≤ 1 s.

    python bench/speed_fit.py [FILE ...] [--repeat 3] [--sdk-path DIR]

Default files: the largest rides of ../shared/data/fit-rides/.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import fitdecode  # noqa: E402
import numpy as np  # noqa: E402

from analytics.ride import RideRecords, summarize_ride  # noqa: E402
from collector.recordings import fit_reader  # noqa: E402
from collector.recordings.fit import read_fit  # noqa: E402

SHARED = (REPO / ".." / "shared" / "data" / "fit-rides").resolve()
DEFAULT = (
    "2019-02-17-062644-ELEMNT-297E-195-0.fit",
    "garmin-edge-500-activity.fit",
    "Edge810-Vector-2013-08-16-15-35-10.fit",
)
FIVE_HOURS_S = 5 * 3600


def best(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Best wall and best CPU seconds of ``repeat`` runs."""
    wall, cpu = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return min(wall), min(cpu)


def fitdecode_iterate(path: Path, bare: bool = False) -> int:
    n = 0
    kw: dict[str, Any] = {"processor": None, "check_crc": fitdecode.CrcCheck.DISABLED}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with fitdecode.FitReader(
            str(path),
            error_handling=fitdecode.ErrorHandling.WARN,
            **(kw if bare else {"check_crc": fitdecode.CrcCheck.WARN}),
        ) as reader:
            for _frame in reader:
                n += 1
    return n


def read_every_message(path: Path) -> object:
    hook = fit_reader._HOOK
    fit_reader._HOOK = False  # type: ignore[misc]
    try:
        return read_fit(path)
    finally:
        fit_reader._HOOK = hook  # type: ignore[misc]


def sdk_reader() -> Callable[[Path], object] | None:
    try:
        from garmin_fit_sdk import Decoder, Stream
    except ImportError:
        return None

    def read(path: Path) -> object:
        decoder = Decoder(Stream.from_file(str(path)))
        messages, _errors = decoder.read(
            convert_datetimes_to_dates=False,
            expand_components=False,
            merge_heart_rates=False,
        )
        return messages

    return read


def five_hours(ride: RideRecords) -> RideRecords:
    """The ride's records repeated (shifted in time) until they cover 5 hours."""
    span = float(ride.t_s[-1] - ride.t_s[0]) + 1.0
    k = int(np.ceil(FIVE_HOURS_S / span))
    t = np.concatenate([ride.t_s + i * span for i in range(k)])
    keep = t < ride.t_s[0] + FIVE_HOURS_S

    def tile(a: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        return np.tile(a, k)[keep]

    return dataclasses.replace(
        ride,
        t_s=t[keep],
        speed_mps=tile(ride.speed_mps),
        cadence_rpm=tile(ride.cadence_rpm),
        power_w=tile(ride.power_w),
        timer_t_s=np.array([ride.t_s[0], ride.t_s[0] + FIVE_HOURS_S]),
        timer_on=np.array([True, False]),
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sdk-path", type=Path, help="a folder with garmin_fit_sdk in it")
    args = ap.parse_args()
    if args.sdk_path:
        sys.path.insert(0, str(args.sdk_path))
    sdk = sdk_reader()
    files = args.files or [SHARED / f for f in DEFAULT if (SHARED / f).exists()]
    if not files:
        sys.exit("no FIT files: name some, or provide ../shared/data/fit-rides")
    heads = ["fitdecode", "fd bare", "read_fit all", "read_fit"] + (["garmin-sdk"] if sdk else [])
    print(f"{'file':34} {'records':>7} " + " ".join(f"{h:>13}" for h in heads))
    longest: tuple[int, float, float, RideRecords] | None = None
    for path in files:
        loaded = read_fit(path)
        n = int(loaded.ride.t_s.shape[0])
        runs = [
            best(lambda p=path: fitdecode_iterate(p), args.repeat),
            best(lambda p=path: fitdecode_iterate(p, bare=True), args.repeat),
            best(lambda p=path: read_every_message(p), args.repeat),
            best(lambda p=path: read_fit(p), args.repeat),
        ]
        if sdk is not None:
            runs.append(best(lambda p=path: sdk(p), args.repeat))
        base_wall = runs[0][0]
        cells = [f"{n / w:6.0f}/s {base_wall / w:4.2f}×" for w, _c in runs]
        print(f"{path.name[:34]:34} {n:7d} " + " ".join(f"{c:>13}" for c in cells))
        cpu = "  cpu s: " + " ".join(f"{c:>13.3f}" for _w, c in runs)
        print(f"{'':34} {'':7}{cpu}")
        wall, cpu_s = runs[3]
        if longest is None or n > longest[0]:
            longest = (n, wall, cpu_s, loaded.ride)
    print("records/s: record messages per second of wall time (the other frames are read")
    print("too); ×: speed against fitdecode's defaults on the same file, same run")
    assert longest is not None
    n, wall, cpu_s, ride = longest
    long5 = five_hours(ride)
    ana_wall, ana_cpu = best(lambda: summarize_ride(long5), args.repeat)
    per = FIVE_HOURS_S / n
    total_wall = wall * per + ana_wall
    total_cpu = cpu_s * per + ana_cpu
    print(
        f"5-hour ride in process ({FIVE_HOURS_S:,} records, a record a second): reading "
        f"{wall * per:.2f} s ({cpu_s * per:.2f} s CPU; the {n:,}-record file scaled "
        f"×{per:.2f}) + summarize_ride {ana_wall * 1000:.0f} ms = {total_wall:.2f} s wall, "
        f"{total_cpu:.2f} s CPU (target ≤ 1 s)"
    )


if __name__ == "__main__":
    main()
