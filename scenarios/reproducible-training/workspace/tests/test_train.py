"""Training tests (CI): green on every merge."""

import random
import unittest

import train

ROWS = [{"age": i / 10, "debt": (i % 3) / 3, "income": (i % 5) / 5, "{{ label_column }}": i % 2} for i in range(10)]


class TrainTest(unittest.TestCase):
    def test_same_seed_same_model(self):
        random.seed(7)
        a = train.train(ROWS, seed=7, epochs=2)
        random.seed(7)
        b = train.train(ROWS, seed=7, epochs=2)
        self.assertEqual(a, b)

    def test_every_feature_gets_a_weight(self):
        model = train.train(ROWS, seed=1, epochs=1)
        self.assertEqual(set(model["weights"]), {"age", "debt", "income"})

    def test_learning_moves_the_bias(self):
        self.assertNotEqual(train.train(ROWS, seed=1, epochs=1)["bias"], 0.0)


if __name__ == "__main__":
    unittest.main()
