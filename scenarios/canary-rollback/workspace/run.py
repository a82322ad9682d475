"""Replay Tuesday's canary of churn-api-v42 through the controller: python run.py

Reads the per-minute canary metrics exported from the dashboard
(tuesday_canary_metrics.csv) and prints what the controller would decide with the
rollout.yaml in this directory, minute by minute.
"""

import csv

import controller


def load_metrics(path="tuesday_canary_metrics.csv"):
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [{"error_rate": float(r["error_rate"]), "latency_p99_ms": float(r["latency_p99_ms"])} for r in rows]


def main():
    config = controller.load()
    metrics = load_metrics()
    result = controller.simulate(config, metrics)
    for line in result["log"]:
        print(line)
    print()
    print(f"result: {result['final']} at minute {result['at']}, serving {result['serving']}")


if __name__ == "__main__":
    main()
