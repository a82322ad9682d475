"""Deploy gate for model artifacts: a model reaches production only with provenance
showing it was built by our release builder from our repository, signed by the
release signer. Called by the deploy job for every artifact in a release.

Every claim is checked against something the attacker does not control: the signature
against the policy's own trusted keys (the keyring also holds staging and developer
keys), the subject against the bytes actually being deployed (not the release
manifest, which the same pipeline writes), the builder and the source against the
policy exactly (no prefixes, no dropped versions).
"""

import fnmatch
import hashlib
import json

import signing

PAYLOAD_TYPE = "application/vnd.in-toto+json"


def _statement(envelope):
    return json.loads(signing.payload_of(envelope))


def _signed(envelope, policy, keyring):
    payload = signing.payload_of(envelope)
    trusted = set(policy["trusted_keys"])
    for entry in envelope.get("signatures", []):
        keyid = entry.get("keyid")
        if keyid in trusted and signing.verify(keyring, keyid, envelope.get("payloadType", PAYLOAD_TYPE), payload,
                                               entry.get("sig")):
            return True
    return False


def _subject(statement, name):
    for subject in statement.get("subject", []):
        if subject.get("name") == name:
            return subject
    return None


def _builder_trusted(builder_id, policy):
    return builder_id in policy["trusted_builders"]


def _source_allowed(params, policy):
    repo = params.get("repository", "")
    ref = params.get("ref", "")
    for allowed in policy["allowed_sources"]:
        if repo == allowed["repository"] and any(ref.startswith(p.rstrip("*")) for p in allowed["refs"]):
            return True
    return False


def verify(artifact_name, artifact_bytes, declared_sha256, envelope, policy, keyring):
    """Whether ``artifact_name`` (its bytes, and the digest the release manifest
    declares for it) may be deployed on the strength of ``envelope`` (a DSSE envelope
    around an in-toto statement with SLSA provenance) under ``policy``.

    Returns ``{"allowed": bool, "reasons": [str]}``.
    """
    reasons = []
    if not envelope.get("signatures"):
        reasons.append("attestation is not signed")
    elif not _signed(envelope, policy, keyring):
        reasons.append("no valid signature by a trusted key")
    statement = _statement(envelope)
    subject = _subject(statement, artifact_name)
    actual = hashlib.sha256(artifact_bytes).hexdigest()
    if subject is None:
        reasons.append(f"attestation does not cover {artifact_name}")
    elif subject.get("digest", {}).get("sha256") != actual:
        reasons.append("artifact bytes do not match the attestation")
    predicate = statement.get("predicate", {})
    builder = predicate.get("runDetails", {}).get("builder", {}).get("id", "")
    if not _builder_trusted(builder, policy):
        reasons.append(f"untrusted builder {builder}")
    params = predicate.get("buildDefinition", {}).get("externalParameters", {})
    if not _source_allowed(params, policy):
        reasons.append("source not allowed")
    return {"allowed": not reasons, "reasons": reasons}
