# Inside the sandbox: parse the candidate's manifest (safe loader) and return it as data.


def _docs():
    import yaml

    with open("deploy/model-server.yaml") as fh:
        return [d for d in yaml.safe_load_all(fh) if d is not None]


def step_manifest(inputs):
    import json

    # Round-trip through JSON so only plain data leaves (YAML can hold dates, sets...).
    return json.loads(json.dumps(_docs(), default=str))
