# Inside the sandbox: hand the manifest file back as text. The grader parses it with
# the parser the cluster's tooling uses and validates it there, outside the sandbox.


def step_manifest(inputs):
    with open("deploy/model-server.yaml", encoding="utf-8") as fh:
        return {"text": fh.read()}
