"""Train twice with the same seed and compare: python run.py"""

import random

import train

rng = random.Random(0)
rows = [{"income": rng.random(), "debt": rng.random(), "age": rng.random(), "label": int(rng.random() < 0.3)} for _ in range(200)]
a = train.train(rows, seed=42)
b = train.train(rows, seed=42)
print("same model" if a == b else "DIFFERENT models")
print(a["features"], round(a["bias"], 6))
