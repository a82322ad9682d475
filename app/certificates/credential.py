"""A certificate as an Open Badges 3.0 ``OpenBadgeCredential`` (a W3C VC 2.0), and its
VC-JWT claims. Pure: the certificate's facts and the issuer's URLs in, JSON out.

The JWT payload *is* the credential (VC-JOSE-COSE, no ``vc`` wrapper); the registered
claims repeat what the credential says so that plain JWT libraries check the same
window: ``iss`` = issuer.id, ``jti`` = id, ``sub`` = credentialSubject.id, ``nbf`` =
validFrom, ``exp`` = validUntil.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from app.certificates.models import Certificate
from app.certificates.statuslist import STATUS_LIST_ID

OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
# Defines 1EdTechJsonSchemaValidator2019, the type of ``credentialSchema``.
OB_EXTENSIONS_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)


@dataclass(frozen=True)
class Issuer:
    base_url: str
    name: str

    @property
    def id(self) -> str:
        return f"{self.base_url}/issuer"

    def profile(self) -> dict[str, Any]:
        return {"id": self.id, "type": ["Profile"], "name": self.name, "url": self.base_url}

    def profile_document(self) -> dict[str, Any]:
        """The profile as published at its ``id``, a JSON-LD document of its own."""
        return {"@context": [VC_CONTEXT, OB_CONTEXT], **self.profile()}

    def key_url(self, thumbprint: str) -> str:
        """Where the public key with this RFC 7638 thumbprint is published (a JWK)."""
        return f"{self.base_url}/keys/{thumbprint}"

    def achievement_url(self, exam_code: str) -> str:
        return f"{self.base_url}/achievements/{exam_code}"

    def badge_url(self, level: str) -> str:
        return f"{self.base_url}/badges/{level}.svg"

    def status_list_url(self, list_id: str = STATUS_LIST_ID) -> str:
        return f"{self.base_url}/api/v1/status-lists/{list_id}"

    def verify_url(self, display_id: str) -> str:
        return f"{self.base_url}/verify/{display_id}"


def identity_hash(email: str, salt: str) -> str:
    """Open Badges IdentityHash: sha256 over the identifier with the salt appended."""
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def valid_until(expires_on: date) -> datetime:
    # A certificate is good through its expiry day (status.py: expired when today > it).
    return datetime.combine(expires_on, time(23, 59, 59), tzinfo=UTC)


def valid_from(certificate: Certificate) -> datetime:
    return certificate.created_at.astimezone(UTC).replace(microsecond=0)


def build_credential(
    certificate: Certificate, issuer: Issuer, display_id: str, achievement: dict[str, Any]
) -> dict[str, Any]:
    """``achievement`` is the exam's (see achievement.py): what the holder earned."""
    verify_url = issuer.verify_url(display_id)
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT, OB_EXTENSIONS_CONTEXT],
        "id": f"urn:uuid:{certificate.id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": certificate.title,
        "issuer": issuer.profile(),
        "validFrom": _timestamp(valid_from(certificate)),
        "validUntil": _timestamp(valid_until(certificate.expires_on)),
        "credentialSubject": {
            "id": f"urn:uuid:{certificate.user_id}",
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "emailAddress",
                    "hashed": True,
                    "identityHash": certificate.holder_identity_hash,
                    "salt": certificate.holder_salt,
                }
            ],
            "achievement": achievement,
        },
        "credentialSchema": [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
        "credentialStatus": {
            "id": f"{issuer.status_list_url()}#{certificate.status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(certificate.status_index),
            "statusListCredential": issuer.status_list_url(),
        },
        "evidence": [{"id": verify_url, "type": ["Evidence"], "name": "Public verification"}],
    }


def jwt_claims(credential: dict[str, Any]) -> dict[str, Any]:
    def seconds(stamp: str) -> int:
        return int(datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())

    return {
        **credential,
        "iss": credential["issuer"]["id"],
        "jti": credential["id"],
        "sub": credential["credentialSubject"]["id"],
        "nbf": seconds(credential["validFrom"]),
        "exp": seconds(credential["validUntil"]),
    }
