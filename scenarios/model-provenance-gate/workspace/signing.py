"""Signature envelopes (DSSE) as the release signer writes them, and the verifier's
side. Owned by the platform security team.

The signer holds its keys in the HSM; here a key is a secret and a signature an
HMAC-SHA256 over the envelope's pre-authentication encoding, which is enough for the
pipeline's replays and tests: ``verify`` is True only for the exact bytes the holder of
that key id signed.
"""

import base64
import hashlib
import hmac


def pae(payload_type, payload):
    """DSSE pre-authentication encoding of ``payload`` (bytes)."""
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def sign(keyring, keyid, payload_type, payload):
    secret = bytes.fromhex(keyring[keyid])
    return hmac.new(secret, pae(payload_type, payload), hashlib.sha256).hexdigest()


def verify(keyring, keyid, payload_type, payload, signature):
    """Whether ``signature`` is ``keyid``'s signature of ``payload``. Unknown key ids
    are never valid."""
    if keyid not in keyring or not isinstance(signature, str):
        return False
    return hmac.compare_digest(sign(keyring, keyid, payload_type, payload), signature)


def payload_of(envelope):
    return base64.b64decode(envelope["payload"])
