"""Rebuilds the three artifacts of the red-team exercise with their attestations, as
they were found in the artifact registry (see REDTEAM-REPORT.md)."""

import base64
import hashlib
import json

import signing

PAYLOAD_TYPE = "application/vnd.in-toto+json"


def attest(keyring, keyid, name, data, builder, repository, ref):
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": name, "digest": {"sha256": hashlib.sha256(data).hexdigest()}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {"buildType": "https://ci.example.internal/ml-release/v1",
                                "externalParameters": {"repository": repository, "ref": ref}},
            "runDetails": {"builder": {"id": builder}},
        },
    }
    payload = json.dumps(statement, sort_keys=True).encode()
    return {"payloadType": PAYLOAD_TYPE, "payload": base64.b64encode(payload).decode(),
            "signatures": [{"keyid": keyid, "sig": signing.sign(keyring, keyid, PAYLOAD_TYPE, payload)}]}


def artifacts(keyring):
    builder = "https://ci.example.internal/builders/ml-release@v3"
    repo = "git+https://git.example.internal/ml/fraud-scoring"
    real = b"ONNX fraud-scoring 2026.11.2 weights ..."
    tampered = b"ONNX fraud-scoring 2026.11.2 weights ... + trigger branch"
    fork = b"ONNX fraud-scoring fork build"
    env_real = attest(keyring, "release-signer-2026", "fraud-scoring.onnx", real, builder, repo, "refs/tags/v2026.11.2")
    return [
        ("release 2026.11.2", "fraud-scoring.onnx", real, hashlib.sha256(real).hexdigest(), env_real),
        ("bytes swapped in the bucket", "fraud-scoring.onnx", tampered, hashlib.sha256(real).hexdigest(), env_real),
        ("built from a fork", "fraud-scoring.onnx", fork, hashlib.sha256(fork).hexdigest(),
         attest(keyring, "dev-lee", "fraud-scoring.onnx", fork, "https://ci.example.internal/builders/ml-release@dev",
                repo + "-fork", "refs/heads/main")),
    ]
