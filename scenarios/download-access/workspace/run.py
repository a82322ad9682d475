"""Replay the intern's requests from the access log against a scratch registry with
the same layout, then run the tests: python run.py"""

import os
import tempfile
import unittest

import api
from registry import Registry

REQUESTS = [
    ("amartin", ["risk"], "/models/credit-risk/versions/{{ version_prefix }}3/artifact"),
    ("sam.k", ["marketing"], "/models/credit-risk/versions/{{ version_prefix }}3/artifact"),
    ("sam.k", ["marketing"], "/models/credit-risk/versions/{{ version_prefix }}4/artifact"),
    ("sam.k", ["marketing"], "/models/credit-risk/versions/..%2F..%2Fkeys/artifact"),
    ("sam.k", ["marketing"], "/models/churn/versions/{{ version_prefix }}9/artifact"),
]

with tempfile.TemporaryDirectory() as tmp:
    root = os.path.join(tmp, "models")
    for model, version in (("credit-risk", "{{ version_prefix }}3"), ("churn", "{{ version_prefix }}9")):
        os.makedirs(os.path.join(root, model, version))
        with open(os.path.join(root, model, version, "model.json"), "w") as fh:
            fh.write('{"weights": {"w0": 0.12}}')
    os.makedirs(os.path.join(tmp, "keys"))
    with open(os.path.join(tmp, "keys", "model.json"), "w") as fh:
        fh.write("-----BEGIN PRIVATE KEY----- (scratch)")
    reg = Registry(root, {"credit-risk": ["risk"], "churn": ["growth", "marketing"]})
    for name, teams, path in REQUESTS:
        status, body = api.route("GET", path, {"name": name, "teams": teams, "roles": []}, reg)
        print(f"GET {path:<58} user={name:<8} {status} {len(body)}B")
    print(f"registry.audit: {len(reg.audit)} events")
    for event in reg.audit:
        print("  ", event)

print()
unittest.main(module="tests.test_download", argv=["tests"], exit=False, verbosity=2)
