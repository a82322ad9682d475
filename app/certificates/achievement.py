"""What a certificate attests, as an Open Badges 3.0 ``Achievement``: the exam's level, its
format, the criteria a holder met and the level's badge image. Pure: the exam's facts and
the issuer's URLs in, JSON out. The same object is embedded in every credential and
published at its own ``id`` for anyone who follows the link.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.certificates.credential import OB_CONTEXT, OB_EXTENSIONS_CONTEXT, VC_CONTEXT, Issuer

LEVEL_WORDS = {
    "foundation": "entry-level",
    "professional": "mid-level",
    "advanced": "expert-level",
    "specialist": "specialist",
}


@dataclass(frozen=True)
class ExamFacts:
    """The facts of an exam that its achievement states."""

    code: str
    title: str
    level: str
    track: str
    duration_minutes: int
    pass_mark: float
    validity_months: int
    mcq_items: int
    scenarios: int
    prerequisites: Sequence[str] = ()  # titles of the exams a candidate must hold first


def _format(facts: ExamFacts) -> str:
    parts = [f"{facts.mcq_items} multiple-choice items"] if facts.mcq_items else []
    if facts.scenarios:
        noun = "scenario" if facts.scenarios == 1 else "scenarios"
        parts.append(
            f"{facts.scenarios} hands-on {noun} in which the candidate repairs a broken "
            "ML pipeline, graded by hidden checks"
        )
    return " and ".join(parts)


def description(facts: ExamFacts) -> str:
    level = LEVEL_WORDS.get(facts.level, facts.level)
    return (
        f"{facts.title}: the {level} certification of the {facts.track.upper()} track, "
        f"earned in a timed, proctored exam of {_format(facts)}."
    )


def criteria(facts: ExamFacts) -> str:
    needs = ""
    if facts.prerequisites:
        needs = f" Candidates must hold a current {' and '.join(facts.prerequisites)} first."
    return (
        f"Pass the {facts.title} exam ({facts.duration_minutes} minutes: {_format(facts)}) "
        f"with a score of at least {facts.pass_mark:.0%}, with no proctor hold standing."
        f"{needs} The certificate is valid for {facts.validity_months} months from its "
        "issue date and may be renewed in its last six months."
    )


def achievement(facts: ExamFacts, issuer: Issuer) -> dict[str, Any]:
    """The ``Achievement`` object as a credential embeds it."""
    return {
        "id": issuer.achievement_url(facts.code),
        "type": ["Achievement"],
        "achievementType": "Certification",
        "name": facts.title,
        "description": description(facts),
        "criteria": {"id": issuer.achievement_url(facts.code), "narrative": criteria(facts)},
        "image": {
            "id": issuer.badge_url(facts.level),
            "type": "Image",
            "caption": f"{facts.title} badge",
        },
        "humanCode": facts.code,
        "fieldOfStudy": "Machine learning operations (MLOps)",
        "tag": [facts.track, facts.level],
        "creator": issuer.profile(),
    }


def achievement_document(facts: ExamFacts, issuer: Issuer) -> dict[str, Any]:
    """The achievement as published at its ``id``: a JSON-LD document of its own."""
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT, OB_EXTENSIONS_CONTEXT],
        **achievement(facts, issuer),
    }
