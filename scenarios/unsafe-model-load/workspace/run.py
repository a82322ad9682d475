"""Load the shipped artifact: python run.py"""

import json

import loader

with open("artifacts/manifest.json") as fh:
    manifest = json.load(fh)
with open("artifacts/model.json", "rb") as fh:
    model = loader.load_model(fh.read(), manifest, "model.json")
print(model.predict({"tenure": 3, "spend": 42.0}))
