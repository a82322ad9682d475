"""Judge for model-provenance-gate.

Each case is one artifact with its DSSE envelope under a generated policy and keyring:
trusted keys, builders, repositories and ref patterns vary per case. Kinds hold one
fault each against an otherwise genuine release (unsigned; signed only by a key that is
in the keyring but not trusted; a trusted key id over altered content; a trusted key id
over a signature another key made, next to that key's valid one; bytes that are
not the attested ones; an attestation for another artifact; the bytes of the
attestation's other subject under this artifact's name; a builder of another version
or another name, or a trusted builder's id with a suffix; a repository that only starts
like an allowed one, or a path below it; a ref no pattern allows, or one that only
starts like an exact pattern; a ref allowed for another repository), plus genuine releases in their
legitimate variety. Whether to allow is an absolute rule, so decisions are checked
against the case's kind. The battery is fixed; the seed only adds cases.
"""

import base64
import hashlib
import hmac
import json
import random

from app.grading.judging import Verdict

PAYLOAD_TYPE = "application/vnd.in-toto+json"
KEY_IDS = ["release-signer-2026", "release-signer-2025", "ml-release-kms-1", "ml-release-kms-2", "prod-signer-a",
           "staging-ci", "dev-ana", "dev-lee", "dev-omar", "ci-shared", "qa-signer"]
HOSTS = ["git.example.internal", "code.corp.example", "scm.example.net"]
PROJECTS = ["ml/fraud-scoring", "ml/churn", "risk/credit-model", "search/ranker", "ads/ctr"]
BUILDERS = ["ml-release", "model-build", "secure-builder", "trainer-release"]
ALLOW = {"good", "multi_sig", "multi_subject"}


def _pae(payload):
    t = PAYLOAD_TYPE.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def _sign(keyring, keyid, payload):
    return hmac.new(bytes.fromhex(keyring[keyid]), _pae(payload), hashlib.sha256).hexdigest()


def _policy(rng):
    keys = rng.sample(KEY_IDS, 5)
    keyring = {k: "%064x" % rng.getrandbits(256) for k in keys}
    host = rng.choice(HOSTS)
    projects = rng.sample(PROJECTS, 2)
    builders = [f"https://ci.{host}/builders/{b}@v{rng.randint(2, 5)}" for b in rng.sample(BUILDERS, 2)]
    sources = [
        {"repository": f"git+https://{host}/{projects[0]}", "refs": ["refs/heads/main", "refs/tags/v*"]},
        {"repository": f"git+https://{host}/{projects[1]}", "refs": ["refs/heads/release/*"]},
    ]
    policy = {"trusted_keys": keys[:2], "trusted_builders": builders, "allowed_sources": sources}
    return policy, keyring, keys[2:]


def _statement(subjects, builder, repo, ref):
    return {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": n, "digest": {"sha256": hashlib.sha256(d).hexdigest()}} for n, d in subjects],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {"buildDefinition": {"buildType": "https://ci.example/ml-release/v1",
                                          "externalParameters": {"repository": repo, "ref": ref}},
                      "runDetails": {"builder": {"id": builder}}},
    }


def _case(rng, kind, extra):
    policy, keyring, untrusted = _policy(rng)
    name = rng.choice(["model.onnx", "weights.safetensors", "scorer.onnx", "ranker-v7.onnx", "tokenizer.json"])
    data = f"artifact {rng.getrandbits(64):016x} weights".encode()
    builder = rng.choice(policy["trusted_builders"])
    source = rng.choice(policy["allowed_sources"])
    repo = source["repository"]
    if source["refs"] == ["refs/heads/release/*"]:
        ref = f"refs/heads/release/2026.{rng.randint(1, 12)}"
    else:
        ref = rng.choice(["refs/heads/main", f"refs/tags/v{rng.randint(1, 9)}.{rng.randint(0, 20)}.0"])
    subjects = [(name, data)]
    signer = rng.choice(policy["trusted_keys"])
    bytes_deployed = data
    if kind == "multi_subject":
        subjects = [(f"extra-{i}.bin", f"other {i}".encode()) for i in range(2)] + subjects
        rng.shuffle(subjects)
    elif kind == "name_mismatch":
        subjects = [(name.replace(".", "-canary.", 1), data)]
    elif kind == "digest_mismatch":
        bytes_deployed = data + b" + trigger branch"
    elif kind == "builder_version":
        base, version = builder.rsplit("@v", 1)
        builder = f"{base}@" + rng.choice([f"v{int(version) + 1}", f"v{int(version) - 1}", "dev", f"v{version}-rc1"])
    elif kind == "builder_other":
        builder = builder.replace("/builders/", "/builders/fork-") if rng.random() < 0.5 else builder + ".attacker"
    elif kind == "builder_extended":
        # A trusted builder's id with something after it: another builder.
        builder = builder + rng.choice(["-rc1", ".attacker", "0", "/fork"])
    elif kind == "repo_subpath":
        repo = repo + rng.choice(["/../evil", "/tools", "/forks/lee"])
    elif kind == "subject_swap":
        # The attestation covers two artifacts; the bytes deployed under this name are the
        # other one's (the manifest declares their digest).
        other = (f"companion-{rng.randint(1, 9)}.bin", f"other artifact {rng.getrandbits(32):08x}".encode())
        subjects = [other, (name, data)] if rng.random() < 0.5 else [(name, data), other]
        bytes_deployed = other[1]
    elif kind == "repo_prefix":
        repo = repo + rng.choice(["-fork", "2", "/../evil", "-mirror"])
    elif kind == "ref_extended":
        # A ref that only starts like an exact pattern (refs/heads/main) of its repository.
        repo, ref = policy["allowed_sources"][0]["repository"], "refs/heads/main" + rng.choice(["-old", "line", "/x"])
    elif kind == "ref_not_allowed":
        ref = rng.choice(["refs/heads/dev", "refs/heads/main-old", "refs/pull/12/head", "refs/heads/feature/x"])
    elif kind == "cross_pattern":
        # A ref that another repository's patterns allow, but not this one's.
        first, second = policy["allowed_sources"]
        if rng.random() < 0.5:
            repo, ref = first["repository"], "refs/heads/release/2026.4"
        else:
            repo, ref = second["repository"], "refs/tags/v1.2.0"
    statement = _statement(subjects, builder, repo, ref)
    payload = json.dumps(statement, sort_keys=True).encode()
    signatures = [{"keyid": signer, "sig": _sign(keyring, signer, payload)}]
    if kind == "unsigned":
        signatures = []
    elif kind == "untrusted_key":
        other = rng.choice(untrusted)
        signatures = [{"keyid": other, "sig": _sign(keyring, other, payload)}]
    elif kind == "bad_signature":
        signed = dict(statement, predicate=json.loads(json.dumps(statement["predicate"])))
        signed["predicate"]["buildDefinition"]["externalParameters"]["ref"] = ref + "-signed"
        if rng.random() < 0.5:  # the signer signed other content, or another key wrote this signature
            signatures = [{"keyid": signer, "sig": _sign(keyring, signer, json.dumps(signed, sort_keys=True).encode())}]
        else:
            signatures = [{"keyid": signer, "sig": _sign(keyring, rng.choice(untrusted), payload)}]
    elif kind == "mixed_signatures":
        # A valid signature by a key that is only in the keyring, next to a trusted key id
        # over a signature that key did not make: no trusted key signed this.
        other = rng.choice(untrusted)
        forged = [{"keyid": signer, "sig": _sign(keyring, other, payload)}, {"keyid": other, "sig": _sign(keyring, other, payload)}]
        signatures = forged if rng.random() < 0.5 else forged[::-1]
    elif kind == "multi_sig":
        other = rng.choice(untrusted)
        signatures = [{"keyid": other, "sig": _sign(keyring, other, payload)},
                      {"keyid": "unknown-key", "sig": "00" * 32}] + signatures
    envelope = {"payloadType": PAYLOAD_TYPE, "payload": base64.b64encode(payload).decode(), "signatures": signatures}
    # The release manifest's digest: written by the same pipeline as the bytes, so
    # whoever swaps the bytes may leave it agreeing with the attestation or update it.
    declared = hashlib.sha256(data).hexdigest()
    if (kind == "digest_mismatch" and rng.random() < 0.5) or kind == "subject_swap":
        declared = hashlib.sha256(bytes_deployed).hexdigest()
    return {"kind": kind, "extra": extra, "policy": policy, "keyring": keyring, "name": name,
            "bytes": base64.b64encode(bytes_deployed).decode(), "declared_sha256": declared, "envelope": envelope}


BATTERY = ["good", "good", "good", "good", "multi_sig", "multi_subject", "unsigned", "untrusted_key",
           "untrusted_key", "bad_signature", "bad_signature", "digest_mismatch", "digest_mismatch", "digest_mismatch",
           "digest_mismatch",
           "name_mismatch", "builder_version", "builder_version", "builder_other", "repo_prefix", "repo_prefix",
           "ref_not_allowed", "cross_pattern", "cross_pattern", "mixed_signatures", "mixed_signatures",
           "builder_extended", "builder_extended", "repo_subpath", "subject_swap", "subject_swap",
           "ref_extended"]


def make_inputs(seed, params):
    fixed = random.Random("model-provenance-gate battery v1")
    cases = [_case(fixed, kind, False) for kind in BATTERY]
    rng = random.Random(seed)
    cases += [_case(rng, kind, True) for kind in BATTERY]
    return {"cases": cases}


def _right(c, case):
    return "error" not in c and c["allowed"] is (case["kind"] in ALLOW)


def _score(cand, inputs, kinds, what, guarded=True):
    cases = inputs["cases"]
    fixed = [i for i, c in enumerate(cases) if c["kind"] in kinds and not c["extra"]]
    extra = [i for i, c in enumerate(cases) if c["kind"] in kinds and c["extra"]]
    good = sum(_right(cand.data[i], cases[i]) for i in fixed)
    if good == len(fixed) and not all(_right(cand.data[i], cases[i]) for i in extra):
        good -= 1
    fraction = good / len(fixed)
    message = (f"Right for every one of the {what}." if good == len(fixed)
               else f"Wrong for {len(fixed) - good} of {len(fixed)} {what}.")
    if guarded:
        genuine = [i for i, c in enumerate(cases) if c["kind"] in ALLOW and not c["extra"]]
        deployed = sum(_right(cand.data[i], cases[i]) for i in genuine) / len(genuine)
        if deployed < 1.0:
            fraction *= deployed
            message += " (Credit reduced: genuine releases are blocked too.)"
    return Verdict(fraction, message)


def check_trusted_artifacts_deploy(cand, ref, inputs):
    return _score(cand, inputs, ALLOW, "genuine releases", guarded=False)


def check_signatures_verified(cand, ref, inputs):
    return _score(cand, inputs, {"unsigned", "untrusted_key", "bad_signature", "mixed_signatures"},
                  "artifacts without a valid signature by a trusted key")


def check_artifact_bound_to_attestation(cand, ref, inputs):
    return _score(cand, inputs, {"digest_mismatch", "name_mismatch", "subject_swap"},
                  "artifacts the attestation does not cover")


def check_builder_and_source_trusted(cand, ref, inputs):
    return _score(cand, inputs, {"builder_version", "builder_other", "builder_extended", "repo_prefix",
                                 "repo_subpath", "ref_not_allowed", "ref_extended", "cross_pattern"},
                  "artifacts built elsewhere or from other sources")
