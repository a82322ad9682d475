"""Replay last night's gate on build 2318: python run.py"""

from eval_data import nightly
from eval_gate import evaluate, load_policy

policy = load_policy("gate_policy.yaml")
baseline, candidate = nightly()
verdict = evaluate(policy, baseline, candidate)

print(f"{'slice':<16}{'production':>12}{'candidate':>12}{'n':>6}")
for name, row in verdict["slices"].items():
    print(f"{name:<16}{row['baseline']:>12.3f}{row['candidate']:>12.3f}{row['n']:>6}")
print("EVAL GATE", "PASSED" if verdict["passed"] else "FAILED")
for failure in verdict["failures"]:
    print("  -", failure)
