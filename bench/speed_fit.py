"""Speed benchmark: reading FIT rides (collector.recordings.fit) against iterating the
same file with fitdecode alone, in the same run, and the ride analysis alone.

Timed, best of N in one process, per file:

* **fitdecode alone**: iterate every frame, the file's CRC checked by fitdecode and
  malformed fields tolerated (the same work as sitload's: decode and verify), and
  nothing else;
* **read_fit**: sitload's reader (the same iteration, its own faster CRC check, and
  collecting records, timer and rider-position events, the session);
* **analysis**: ``summarize_ride`` on what was read (pure numpy).

    python bench/speed_fit.py [FILE ...] [--repeat 3]

Default files: the largest rides of ../shared/data/fit-rides/.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import fitdecode  # noqa: E402

from analytics.ride import summarize_ride  # noqa: E402
from collector.recordings.fit import read_fit  # noqa: E402

SHARED = (REPO / ".." / "shared" / "data" / "fit-rides").resolve()
DEFAULT = (
    "2019-02-17-062644-ELEMNT-297E-195-0.fit",
    "garmin-edge-500-activity.fit",
    "Edge810-Vector-2013-08-16-15-35-10.fit",
)


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def library_alone(path: Path) -> int:
    n = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with fitdecode.FitReader(
            str(path),
            check_crc=fitdecode.CrcCheck.WARN,
            error_handling=fitdecode.ErrorHandling.WARN,
        ) as reader:
            for _frame in reader:
                n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    files = args.files or [SHARED / f for f in DEFAULT if (SHARED / f).exists()]
    if not files:
        sys.exit("no FIT files: name some, or provide ../shared/data/fit-rides")
    print(f"{'file':42} {'records':>8} {'fitdecode':>10} {'read_fit':>10} {'analysis':>9}")
    for path in files:
        loaded = read_fit(path)
        n = int(loaded.ride.t_s.shape[0])
        lib_s = best(lambda p=path: library_alone(p), args.repeat)
        read_s = best(lambda p=path: read_fit(p), args.repeat)
        ana_s = best(lambda r=loaded.ride: summarize_ride(r), args.repeat)
        print(
            f"{path.name[:42]:42} {n:8d} {n / lib_s:8.0f}/s {n / read_s:8.0f}/s "
            f"{ana_s * 1000:7.1f} ms"
        )
    print("records/s: record messages per second of wall time (the file's other frames")
    print("are decoded too); analysis: summarize_ride on the decoded ride")


if __name__ == "__main__":
    main()
