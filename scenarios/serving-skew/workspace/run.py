"""Compare training and serving features on a few rows: python run.py"""

import features
import model
import serving

ROWS = [
    {"age": 25, "income": 42000, "tenure": 30, "plan": "plus"},
    {"age": 51, "income": 88000, "tenure": None, "plan": "pro"},
    {"age": 33, "income": 23000, "tenure": 4, "plan": "enterprise"},
]
stats = features.fit_stats([{"tenure": 10}, {"tenure": 24}, {"tenure": 40}])
for row in ROWS:
    offline = features.training_vector(row, stats)
    try:
        online = serving.featurize(row, stats)
    except Exception as exc:
        print(f"{row}: serving failed: {exc!r}")
        continue
    print(f"offline={model.predict(offline):.3f} online={model.predict(online):.3f} "
          f"{'same' if offline == online else 'DIFFERENT'}")
