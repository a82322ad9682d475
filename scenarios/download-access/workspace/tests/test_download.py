"""Registry download tests (CI, green on every merge since PLAT-812)."""

import os
import tempfile
import unittest

import handlers
from registry import Registry

RISK = {"name": "amartin", "teams": ["risk"], "roles": []}
MARKETING = {"name": "sam.k", "teams": ["marketing"], "roles": []}


class DownloadTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        os.makedirs(os.path.join(self.tmp.name, "credit-risk", "{{ version_prefix }}3"))
        with open(os.path.join(self.tmp.name, "credit-risk", "{{ version_prefix }}3", handlers.ARTIFACT), "w") as fh:
            fh.write('{"weights": {}}')
        self.registry = Registry(self.tmp.name, {"credit-risk": ["risk"]})

    def tearDown(self):
        self.tmp.cleanup()

    def test_owner_downloads(self):
        data = handlers.download_model(RISK, "credit-risk", "{{ version_prefix }}3", self.registry)
        self.assertIn(b"weights", data)

    def test_unknown_version(self):
        with self.assertRaises(handlers.NotFound):
            handlers.download_model(RISK, "credit-risk", "{{ version_prefix }}4", self.registry)

    def test_other_team_refused(self):
        with self.assertRaises((handlers.Denied, handlers.NotFound)):
            handlers.download_model(MARKETING, "fraud-score", "{{ version_prefix }}1", self.registry)


if __name__ == "__main__":
    unittest.main()
