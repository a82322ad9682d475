"""Registry tests (CI): green on every merge."""

import os
import tempfile
import unittest

import lineage
import registry


class RegistryTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.data = os.path.join(self.tmp.name, "data.csv")
        with open(self.data, "w") as fh:
            fh.write("score,label\n0.1,0\n0.9,1\n")

    def tearDown(self):
        self.tmp.cleanup()

    def test_register_returns_the_entry(self):
        entry = registry.register(self.tmp.name, "fraud", b"{}", {"recall": 1.0}, self.data, {}, "abc1234")
        self.assertEqual(entry["name"], "fraud")
        self.assertGreaterEqual(entry["version"], 1)

    def test_fingerprint_is_stable(self):
        self.assertEqual(lineage.fingerprint(self.data), lineage.fingerprint(self.data))
        self.assertEqual(len(lineage.fingerprint(self.data)), 64)

    def test_rows_exclude_the_header(self):
        self.assertEqual(lineage.count_rows(self.data), 2)


if __name__ == "__main__":
    unittest.main()
