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


LEVEL_WORDS = {
    "foundation": "entry-level",
    "professional": "mid-level",
    "advanced": "expert-level",
    "specialist": "specialist",
}


def build_credential(certificate: Certificate, issuer: Issuer, display_id: str) -> dict[str, Any]:
    level = LEVEL_WORDS.get(certificate.level, certificate.level)
    verify_url = issuer.verify_url(display_id)
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
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
            "achievement": {
                "id": f"{issuer.base_url}/achievements/{certificate.exam_code}",
                "type": ["Achievement"],
                "achievementType": "Certification",
                "name": certificate.title,
                "description": (
                    f"{certificate.title}: the {level} certification of the "
                    f"{certificate.track.upper()} track, earned in a timed, proctored exam "
                    "of multiple-choice items and hands-on scenarios."
                ),
                "criteria": {
                    "narrative": (
                        f"Pass the {certificate.title} exam at or above its pass mark, with "
                        "no proctor hold standing. The certificate is valid until its "
                        "expiry date and may be renewed in its last six months."
                    )
                },
                "humanCode": certificate.exam_code,
            },
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
