"""Loader tests (CI, green since the loader was written)."""

import json
import unittest

import loader
import release

SPEC = {"format": "linear-v1", "weights": {"tenure": -0.05, "spend": 0.004}, "bias": 0.2}


class LoaderTest(unittest.TestCase):
    def test_loads_a_released_model(self):
        data = json.dumps(SPEC).encode()
        model = loader.load_model(data, release.build_manifest({"model.json": data}), "model.json")
        self.assertAlmostEqual(model.predict({"tenure": 10, "spend": 100}), 0.2 - 0.5 + 0.4)

    def test_pretty_printed_artifacts_load(self):
        data = json.dumps(SPEC, indent=2).encode()
        model = loader.load_model(data, release.build_manifest({"model.json": data}), "model.json")
        self.assertEqual(len(model.weights), 2)

    def test_a_changed_artifact_is_noticed(self):
        data = json.dumps(SPEC).encode()
        manifest = {"artifacts": {"model.json": {"sha256": "0" * 64}}}
        model = loader.load_model(data, manifest, "model.json")  # warns on stdout
        self.assertIsNotNone(model)


if __name__ == "__main__":
    unittest.main()
