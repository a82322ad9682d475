"""What one sign-in's password check costs at a given argon2 setting (ASSAY_ARGON2_*).

Times `verify_password` (the work every sign-in does, known email or not) for the
defaults and for lighter settings, one after the other in this process, and prints the
median and p90 over R rounds. CPU only: no server, no database. Usage:
    python bench/password_hash.py [--rounds 30]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.security import configure_passwords, hash_password, verify_password  # noqa: E402

SETTINGS = {
    "default (t=3, 64 MiB, p=4)": {"time_cost": 3, "memory_kib": 65536, "parallelism": 4},
    "lighter (t=2, 19 MiB, p=1)": {"time_cost": 2, "memory_kib": 19456, "parallelism": 1},
    "lightest allowed (t=1, 8 MiB, p=1)": {"time_cost": 1, "memory_kib": 8192, "parallelism": 1},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    report: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average_before": os.getloadavg(),
    }
    for name, cost in SETTINGS.items():
        configure_passwords(**cost)
        stored = hash_password("correct horse battery")
        times = []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            verify_password("correct horse battery", stored)
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        report[name] = {
            "median_ms": round(statistics.median(times), 1),
            "p90_ms": round(times[int(0.9 * len(times))], 1),
        }
    report["load_average_after"] = os.getloadavg()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
