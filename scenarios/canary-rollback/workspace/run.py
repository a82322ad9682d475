"""Replay Tuesday: python run.py"""

import controller

tuesday = [{"error_rate": 0.003, "latency_p99_ms": 180}] * 2 + [{"error_rate": 0.08, "latency_p99_ms": 240}] * 60
result = controller.simulate(controller.load(), tuesday)
print(result["final"], "at minute", result["at"], "serving", result["serving"])
print("weights:", [t["weight"] for t in result["timeline"]])
