# Inside the sandbox: train in this process and in fresh interpreters with chosen hash
# seeds (PYTHONHASHSEED only reaches a child started without -E/-I).

_CHILD = """
import json, sys
import train
job = json.loads(sys.stdin.read())
print(json.dumps(train.train(job["rows"], job["seed"], job["epochs"])))
"""


def _train(inputs, seed):
    import train

    rows = [dict(r) for r in inputs["rows"]]
    return train.train(rows, seed, inputs["epochs"])


def _in_fresh_interpreter(inputs, hash_seed):
    import json
    import subprocess
    import sys

    job = json.dumps({"rows": inputs["rows"], "seed": inputs["seed"], "epochs": inputs["epochs"]})
    done = subprocess.run(
        [sys.executable, "-s", "-B", "-c", _CHILD],
        input=job, capture_output=True, text=True, timeout=20, check=True,
        env={"PYTHONHASHSEED": str(hash_seed), "PATH": "/usr/bin:/bin"},
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def step_same_seed_same_model(inputs):
    return [_train(inputs, inputs["seed"]), _train(inputs, inputs["seed"])]


def step_independent_of_process(inputs):
    return [_in_fresh_interpreter(inputs, h) for h in inputs["hash_seeds"]]


def step_matches_logged_run(inputs):
    return _train(inputs, inputs["seed"])


def step_seed_controls_order(inputs):
    return [_train(inputs, s) for s in inputs["other_seeds"]]
