"""python -m bench: run every benchmark on a throwaway database, then print the summary."""
from __future__ import annotations

import logging
import os
import sys
import time


def _load() -> str:
    one, five, _ = os.getloadavg()
    cores = os.cpu_count() or 1
    busy = " (busy machine: expect noisy figures)" if one > cores else ""
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {cores} cores{busy}"


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    started = time.perf_counter()

    from bench import cold_start, facilities_get
    from bench.database import throwaway_database

    print(f"python {sys.version.split()[0]}; {_load()}")
    with throwaway_database() as (target, where):
        print(f"database: {target.database} on {where}; the functions connect as "
              f"{target.app_role}")
        facility = facilities_get.run(target)
    print(f"dropped {target.database} and its roles")
    cold = cold_start.run()

    print(f"\n== summary ({time.perf_counter() - started:.0f} s; {_load()}) ==")
    print(f"facility GET: {facility.ratio:.2f}x floor (endpoint {facility.endpoint_us:.0f} us, "
          f"floor {facility.floor_us:.0f} us)")
    print(f"facility GET plans: {facility.plan_summary}")
    print(f"cold start: function_app import {cold.ratio:.1f}x bare FunctionApp "
          f"({cold.app_ms:.0f} ms vs {cold.bare_ms:.0f} ms)")
    print("cold start rule: " + (f"BROKEN, {', '.join(cold.heavy_loaded)} imported"
                                 if cold.heavy_loaded else "stripe and azure.identity not imported"))
    return 1 if cold.heavy_loaded else 0


if __name__ == "__main__":
    sys.exit(main())
