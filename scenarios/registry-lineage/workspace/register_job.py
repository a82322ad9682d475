"""The nightly job's last step (and what people run by hand): train on the day's
extract and register the result.

    python register_job.py <registry root> <data.csv> <quantile>
"""

import sys

import registry
import train

with open("VERSION") as fh:
    CODE_VERSION = fh.read().strip()


def run(root, data_path, quantile, name="fraud"):
    params = {"quantile": float(quantile)}
    artifact, metrics = train.train(data_path, params)
    return registry.register(root, name, artifact, metrics, data_path, params, CODE_VERSION)


if __name__ == "__main__":
    print(run(*sys.argv[1:4]))
