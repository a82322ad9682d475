"""Start the service on the shipped artifact as a deploy would (the release job builds
the manifest), then run the tests: python run.py"""

import logging
import sys
import unittest

import release
import service

logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(name)s: %(message)s")
with open("artifacts/model.json", "rb") as fh:
    data = fh.read()
manifest = release.build_manifest({"model.json": data})
print("manifest:", manifest)
model = service.start(data, manifest)
print("predict(tenure=3, spend=42.0) =", model.predict({"tenure": 3, "spend": 42.0}))
print()
unittest.main(module="tests.test_loader", argv=["tests"], exit=False, verbosity=2)
