"""Replay the drift job for card-fraud over the incident (hours 0-5: before the
partner's change; 6-11: amounts reported in a new unit): python run.py"""

import monitor_job

for hour in range(12):
    shifted = ("amount",) if hour >= 6 else ()
    rows = monitor_job.run_hour("card-fraud", hour, shifted)
    line = "  ".join(f"{r['feature']}={r['psi']:+.4f}{'!' if r['alert'] else ''}" for r in rows)
    print(f"hour {hour:>2}  {line}")
    monitor_job.page(rows)
