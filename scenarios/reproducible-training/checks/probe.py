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


def _snapshot_folder(shards):
    import json
    import os
    import tempfile

    folder = tempfile.mkdtemp()
    for name, rows in shards:
        with open(os.path.join(folder, name), "w") as fh:
            fh.write("".join(json.dumps(r) + "\n" for r in rows) + "\n")
    # What else a writer leaves in a snapshot folder: its marker, its manifest, a shard
    # it had not finished when the snapshot was cut.
    extras = {"_SUCCESS": "", "manifest.jsonl": json.dumps({"shards": len(shards)}) + "\n",
              f"part-{len(shards)}.jsonl.inprogress": json.dumps(shards[0][1][0]) + "\n"}
    for name, text in extras.items():
        with open(os.path.join(folder, name), "w") as fh:
            fh.write(text)
    return folder


def step_snapshot_read_in_order(inputs):
    import train_job

    return train_job.load_rows(_snapshot_folder(inputs["shards"]))


def step_job_reproduces_record(inputs):
    import os

    import train_job

    folder = _snapshot_folder(inputs["job"]["shards"])
    params_path = folder + "-params.yaml"
    with open(params_path, "w") as fh:
        fh.write("# run parameters, exported from the tracking record\n")
        fh.write("".join(f"{k}: {v}\n" for k, v in inputs["job"]["params"].items()))
    return [train_job.main(folder, params_path)["model"] for _ in range(2)]
