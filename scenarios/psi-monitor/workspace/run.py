"""Stable vs shifted: python run.py"""

import random

import drift

rng = random.Random(3)
reference = [rng.lognormvariate(3, 0.6) for _ in range(2000)]
stable = [rng.lognormvariate(3, 0.6) for _ in range(1000)]
shifted = [3 * rng.lognormvariate(3, 0.6) for _ in range(1000)]
print("stable ", drift.check(reference, stable))
print("shifted", drift.check(reference, shifted))
