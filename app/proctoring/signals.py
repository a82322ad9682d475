"""The rules that turn evidence into flags. Pure: values in, findings out.

A finding is a reason for a person to look, with the evidence that raised it and a
severity; it is never a verdict. Only a ``high`` finding holds a passing attempt's
certificate until a proctor approves it.

    rule                 evidence                                   severity
    focus_losses         the page lost focus / the tab was hidden   medium, high
    large_paste          one paste into a scenario file             medium, high
    fast_answers         answers faster than reading them takes     medium
    ip_changes           the address changed during the attempt     low, medium
    concurrent_sessions  two sign-ins working at once               medium, high (2 addresses)
    similar_submission   a scenario much like another candidate's   high
    event_flood          the page reported more events than kept    low
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.proctoring.models import Severity
from app.proctoring.similarity import jaccard

# A blur and a visibility change a moment apart are one time away from the exam.
SAME_EPISODE_SECONDS = 2.0
MIN_ANSWERS_FOR_SPEED = 5
MAX_LISTED = 10


@dataclass(frozen=True)
class ReviewPolicy:
    """The thresholds (``ASSAY_REVIEW_*`` settings) and the sampling key."""

    focus_losses_medium: int = 10
    focus_losses_high: int = 30
    paste_chars_medium: int = 300
    paste_chars_high: int = 1500
    reading_wpm: int = 300
    fast_share: float = 0.5
    ip_changes_medium: int = 3
    concurrent_seconds: int = 180
    similarity: float = 0.8
    similarity_min_shingles: int = 12
    sample_percent: float = 0.0
    sample_key: bytes = b"assay review sample"
    events_per_minute: int = 30
    events_max: int = 1000


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    reason: str
    evidence: dict[str, Any]
    # Tells apart several findings of one rule on one attempt (one per similar peer).
    key: str = ""


@dataclass(frozen=True)
class EventFact:
    source: str  # client | server
    type: str
    at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AnswerFact:
    """A multiple-choice answer: how many words the item has, when it was last saved."""

    ref: str
    words: int
    saved_at: datetime


@dataclass(frozen=True)
class SubmissionFact:
    """A scenario submission's fingerprint (see similarity.fingerprint)."""

    attempt_id: uuid.UUID
    user_id: uuid.UUID
    ref: str
    scenario_id: str
    shingles: frozenset[str]


@dataclass(frozen=True)
class AttemptFacts:
    attempt_id: uuid.UUID
    user_id: uuid.UUID
    exam_code: str
    started_at: datetime
    answers: Sequence[AnswerFact]
    scenario_refs: frozenset[str]
    submissions: Sequence[SubmissionFact]


def duration(seconds: float) -> str:
    """``1 h 5 min``, ``3 min 10 s``, ``40 s``."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


def _client(events: Sequence[EventFact], *types: str) -> list[EventFact]:
    return sorted((e for e in events if e.source == "client" and e.type in types), key=_at)


def _server(events: Sequence[EventFact], *types: str) -> list[EventFact]:
    return sorted((e for e in events if e.source == "server" and e.type in types), key=_at)


def _at(event: EventFact) -> datetime:
    return event.at


def focus_losses(events: Sequence[EventFact], policy: ReviewPolicy) -> list[Finding]:
    episodes: list[datetime] = []
    for event in _client(events, "focus_lost", "tab_hidden"):
        if episodes and (event.at - episodes[-1]).total_seconds() <= SAME_EPISODE_SECONDS:
            continue
        episodes.append(event.at)
    count = len(episodes)
    if count >= policy.focus_losses_high:
        severity = Severity.high
    elif count >= policy.focus_losses_medium:
        severity = Severity.medium
    else:
        return []
    return [
        Finding(
            "focus_losses",
            severity,
            f"Left the exam window {count} times (focus lost or tab hidden); "
            f"{policy.focus_losses_medium} is the threshold.",
            {
                "count": count,
                "first_at": episodes[0].isoformat(),
                "last_at": episodes[-1].isoformat(),
            },
        )
    ]


def large_pastes(
    events: Sequence[EventFact], scenario_refs: frozenset[str], policy: ReviewPolicy
) -> list[Finding]:
    pastes = [
        e
        for e in _client(events, "paste")
        if e.data.get("ref") in scenario_refs
        and _int(e.data.get("length")) >= policy.paste_chars_medium
    ]
    if not pastes:
        return []
    largest = max(pastes, key=lambda e: _int(e.data.get("length")))
    size = _int(largest.data.get("length"))
    severity = Severity.high if size >= policy.paste_chars_high else Severity.medium
    where = f"{largest.data.get('path') or 'a file'} ({largest.data.get('ref')})"
    return [
        Finding(
            "large_paste",
            severity,
            f"Pasted {size:,} characters into scenario file {where}"
            + (f", and {len(pastes) - 1} more large paste(s)." if len(pastes) > 1 else "."),
            {
                "largest": size,
                "count": len(pastes),
                "pastes": [
                    {
                        "at": e.at.isoformat(),
                        "ref": e.data.get("ref"),
                        "path": e.data.get("path"),
                        "length": _int(e.data.get("length")),
                    }
                    for e in pastes[:MAX_LISTED]
                ],
            },
        )
    ]


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def reading_seconds(words: int, policy: ReviewPolicy) -> float:
    return words / policy.reading_wpm * 60


def fast_answers(
    started_at: datetime, answers: Sequence[AnswerFact], policy: ReviewPolicy
) -> list[Finding]:
    """The last answer saved sooner after the start than reading the answered items
    takes, by more than the allowed share. Only the latest save of each item is kept, so
    the span is an upper bound on the time spent, which errs towards no flag."""
    if len(answers) < MIN_ANSWERS_FOR_SPEED:
        return []
    words = sum(a.words for a in answers)
    needed = reading_seconds(words, policy)
    elapsed = max(0.0, (max(a.saved_at for a in answers) - started_at).total_seconds())
    if needed <= 0 or elapsed >= needed * policy.fast_share:
        return []
    return [
        Finding(
            "fast_answers",
            Severity.medium,
            f"Answered {len(answers)} questions ({words:,} words) in {duration(elapsed)}; "
            f"reading them at {policy.reading_wpm} words a minute takes {duration(needed)}.",
            {
                "answered": len(answers),
                "words": words,
                "elapsed_seconds": round(elapsed),
                "reading_seconds": round(needed),
            },
        )
    ]


def ip_changes(events: Sequence[EventFact], policy: ReviewPolicy) -> list[Finding]:
    changes = _server(events, "ip_changed")
    if not changes:
        return []
    addresses: list[str] = []
    for change in changes:
        for key in ("from", "to"):
            ip = str(change.data.get(key, ""))
            if ip and ip not in addresses:
                addresses.append(ip)
    severity = Severity.medium if len(changes) >= policy.ip_changes_medium else Severity.low
    return [
        Finding(
            "ip_changes",
            severity,
            f"The network address changed {len(changes)} time(s) during the attempt "
            f"({', '.join(addresses[:MAX_LISTED])}).",
            {"count": len(changes), "addresses": addresses[:MAX_LISTED]},
        )
    ]


def concurrent_sessions(events: Sequence[EventFact], policy: ReviewPolicy) -> list[Finding]:
    seen = _server(events, "concurrent_session")
    if not seen:
        return []
    apart = [e for e in seen if e.data.get("ip") != e.data.get("other_ip")]
    severity = Severity.high if apart else Severity.medium
    where = "from two different addresses" if apart else "from the same address"
    return [
        Finding(
            "concurrent_sessions",
            severity,
            f"Two sign-ins worked on the attempt within {duration(policy.concurrent_seconds)} "
            f"of each other, {where} ({len(seen)} time(s)).",
            {
                "count": len(seen),
                "sessions": [
                    {
                        "at": e.at.isoformat(),
                        "ip": e.data.get("ip"),
                        "other_ip": e.data.get("other_ip"),
                    }
                    for e in seen[:MAX_LISTED]
                ],
            },
        )
    ]


def similar_submissions(
    own: Sequence[SubmissionFact], peers: Sequence[SubmissionFact], policy: ReviewPolicy
) -> list[Finding]:
    findings = []
    for mine in own:
        if len(mine.shingles) < policy.similarity_min_shingles:
            continue
        for peer in peers:
            if (
                peer.scenario_id != mine.scenario_id
                or peer.user_id == mine.user_id
                or len(peer.shingles) < policy.similarity_min_shingles
            ):
                continue
            score = jaccard(mine.shingles, peer.shingles)
            if score < policy.similarity:
                continue
            findings.append(similar_finding(mine, peer, score))
    return findings


def similar_finding(mine: SubmissionFact, peer: SubmissionFact, score: float) -> Finding:
    return Finding(
        "similar_submission",
        Severity.high,
        f"Scenario {mine.scenario_id} ({mine.ref}) is {round(score * 100)}% similar to "
        f"another candidate's submission, in what neither the workspace nor the reference "
        f"solution contains.",
        {
            "ref": mine.ref,
            "scenario_id": mine.scenario_id,
            "peer_attempt_id": str(peer.attempt_id),
            "peer_ref": peer.ref,
            "similarity": round(score, 3),
            "shared": len(mine.shingles & peer.shingles),
            "own": len(mine.shingles),
            "peer_own": len(peer.shingles),
        },
        key=f"{peer.attempt_id}:{mine.ref}",
    )


def event_flood(events: Sequence[EventFact]) -> list[Finding]:
    capped = _server(events, "event_limit_reached")
    if not capped:
        return []
    return [
        Finding(
            "event_flood",
            Severity.low,
            "The exam page reported more events than are kept for one attempt.",
            {"at": capped[0].at.isoformat(), "limit": capped[0].data.get("limit")},
        )
    ]


def assess(
    facts: AttemptFacts,
    events: Sequence[EventFact],
    peers: Sequence[SubmissionFact],
    policy: ReviewPolicy,
) -> list[Finding]:
    """Every rule on one attempt's evidence."""
    return [
        *focus_losses(events, policy),
        *large_pastes(events, facts.scenario_refs, policy),
        *fast_answers(facts.started_at, facts.answers, policy),
        *ip_changes(events, policy),
        *concurrent_sessions(events, policy),
        *similar_submissions(facts.submissions, peers, policy),
        *event_flood(events),
    ]


def live_findings(
    events: Sequence[EventFact], scenario_refs: frozenset[str], policy: ReviewPolicy
) -> list[Finding]:
    """The rules that need no finished submission, for an attempt still running."""
    return [
        *focus_losses(events, policy),
        *large_pastes(events, scenario_refs, policy),
        *ip_changes(events, policy),
        *concurrent_sessions(events, policy),
        *event_flood(events),
    ]


def highest(findings: Sequence[Finding]) -> Severity | None:
    return max((f.severity for f in findings), key=lambda s: s.rank, default=None)


def sampled(attempt_id: uuid.UUID, percent: float, key: bytes) -> bool:
    """Whether a clean attempt is drawn for review: a keyed hash of its id, so the draw is
    the same every time it is asked and a candidate cannot tell in advance."""
    if percent <= 0:
        return False
    digest = hmac.new(key, attempt_id.bytes, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 * 100 < percent
