"""Each rule on hand-made evidence: where it fires, at which severity, and where it stays
quiet. Pure functions, no database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from app.proctoring.models import Severity
from app.proctoring.signals import (
    AnswerFact,
    AttemptFacts,
    EventFact,
    ReviewPolicy,
    SubmissionFact,
    assess,
    concurrent_sessions,
    event_flood,
    fast_answers,
    focus_losses,
    highest,
    ip_changes,
    large_pastes,
    sampled,
    similar_submissions,
)
from app.proctoring.similarity import fingerprint, jaccard, normalised_tokens

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POLICY = ReviewPolicy()


def client(type_: str, seconds: float, **data: Any) -> EventFact:
    return EventFact("client", type_, T0 + timedelta(seconds=seconds), data)


def server(type_: str, seconds: float, **data: Any) -> EventFact:
    return EventFact("server", type_, T0 + timedelta(seconds=seconds), data)


def away(times: int, *, gap: float = 10) -> list[EventFact]:
    """A blur and a hidden tab a moment apart, ``times`` times."""
    events = []
    for i in range(times):
        events += [client("focus_lost", i * gap), client("tab_hidden", i * gap + 0.5)]
    return events


# --- focus losses ---------------------------------------------------------------------


def test_focus_losses_count_times_away_not_events() -> None:
    assert focus_losses(away(9), POLICY) == []  # 18 events, 9 times away
    [medium] = focus_losses(away(10), POLICY)
    assert (medium.rule, medium.severity) == ("focus_losses", Severity.medium)
    assert medium.evidence["count"] == 10
    [high] = focus_losses(away(30), POLICY)
    assert high.severity == Severity.high


def test_focus_losses_follow_the_thresholds_in_the_policy() -> None:
    strict = ReviewPolicy(focus_losses_medium=2, focus_losses_high=3)
    assert focus_losses(away(1), strict) == []
    assert focus_losses(away(2), strict)[0].severity == Severity.medium
    assert focus_losses(away(3), strict)[0].severity == Severity.high


def test_focus_events_claimed_by_the_server_do_not_count() -> None:
    forged = [server("focus_lost", i * 10) for i in range(40)]
    assert focus_losses(forged, POLICY) == []


# --- large pastes ---------------------------------------------------------------------


def test_a_large_paste_into_a_scenario_file_is_flagged() -> None:
    refs = frozenset({"q7"})
    small = [client("paste", 1, ref="q7", path="train.py", length=299)]
    assert large_pastes(small, refs, POLICY) == []
    [medium] = large_pastes(
        [*small, client("paste", 5, ref="q7", path="train.py", length=300)], refs, POLICY
    )
    assert medium.severity == Severity.medium
    assert "300 characters into scenario file train.py (q7)" in medium.reason
    [high] = large_pastes([client("paste", 9, ref="q7", path="a.py", length=1500)], refs, POLICY)
    assert high.severity == Severity.high
    assert high.evidence["largest"] == 1500


def test_pastes_outside_scenarios_or_without_a_length_are_not_flagged() -> None:
    refs = frozenset({"q7"})
    events = [
        client("paste", 1, ref="q1", length=5000),  # a multiple-choice item
        client("paste", 2, ref="q7", length="5000"),  # not a number
        client("paste", 3, ref="q7", length=True),
        client("copy", 4, ref="q7", length=5000),
    ]
    assert large_pastes(events, refs, POLICY) == []


# --- answering faster than reading ----------------------------------------------------------


def answers(count: int, words: int, spread_seconds: float) -> list[AnswerFact]:
    step = spread_seconds / count
    return [
        AnswerFact(f"q{i + 1}", words, T0 + timedelta(seconds=step * (i + 1))) for i in range(count)
    ]


def test_answers_faster_than_reading_allows_are_flagged() -> None:
    # 10 items of 100 words: 1,000 words, 200 s at 300 words a minute.
    [fast] = fast_answers(T0, answers(10, 100, 60), POLICY)
    assert (fast.rule, fast.severity) == ("fast_answers", Severity.medium)
    assert fast.evidence == {
        "answered": 10,
        "words": 1000,
        "elapsed_seconds": 60,
        "reading_seconds": 200,
    }
    assert "1 min" in fast.reason and "3 min 20 s" in fast.reason
    assert fast_answers(T0, answers(10, 100, 100), POLICY) == []  # exactly half: fine
    assert fast_answers(T0, answers(4, 100, 1), POLICY) == []  # too few to judge


def test_reading_speed_is_a_setting() -> None:
    quick_readers = ReviewPolicy(reading_wpm=1200)  # 1,000 words in 50 s
    assert fast_answers(T0, answers(10, 100, 30), quick_readers) == []


# --- addresses and sessions -----------------------------------------------------------------


def test_ip_changes_are_low_then_medium() -> None:
    one = [server("ip_changed", 10, **{"from": "198.51.100.1", "to": "203.0.113.9"})]
    [low] = ip_changes(one, POLICY)
    assert low.severity == Severity.low
    assert low.evidence["addresses"] == ["198.51.100.1", "203.0.113.9"]
    three = [server("ip_changed", s, **{"from": "a", "to": "b"}) for s in (1, 2, 3)]
    assert ip_changes(three, POLICY)[0].severity == Severity.medium
    assert ip_changes([client("ip_changed", 1)], POLICY) == []


def test_two_sessions_at_once_are_high_from_two_addresses() -> None:
    same = [server("concurrent_session", 1, ip="198.51.100.1", other_ip="198.51.100.1")]
    assert concurrent_sessions(same, POLICY)[0].severity == Severity.medium
    apart = [server("concurrent_session", 1, ip="198.51.100.1", other_ip="203.0.113.9")]
    [high] = concurrent_sessions(apart, POLICY)
    assert high.severity == Severity.high
    assert "two different addresses" in high.reason


def test_a_flooding_page_is_noted() -> None:
    assert event_flood([]) == []
    [noted] = event_flood([server("event_limit_reached", 1, limit=1000)])
    assert noted.severity == Severity.low


# --- similar submissions --------------------------------------------------------------------

WORKSPACE = (
    "def scale(rows):\n    mean = sum(rows) / len(rows)\n    return [r - mean for r in rows]\n"
)
SOLUTION = "def scale(rows, mean):\n    return [r - mean for r in rows]\n"
OWN_WORK = """
def scale(rows, fitted_mean):
    # use the mean fitted on training data only
    cleaned = [value for value in rows if value is not None]
    shifted = [value - fitted_mean for value in cleaned]
    return sorted(shifted, key=abs, reverse=True)[: len(cleaned)]
"""


def test_tokens_ignore_comments_layout_and_case() -> None:
    a = normalised_tokens("x = Foo(1, 'a')  # note\n")
    b = normalised_tokens("x=foo( 1,'a' )\n\n# another note")
    assert a == b == ["x", "=", "foo", "(", "1", ",", "'a'", ")"]


def test_a_fingerprint_keeps_only_what_the_candidate_wrote() -> None:
    expected = (WORKSPACE, SOLUTION)
    assert fingerprint({"scale.py": WORKSPACE}, expected) == frozenset()
    assert fingerprint({"scale.py": SOLUTION}, expected) == frozenset()
    own = fingerprint({"scale.py": OWN_WORK}, expected)
    assert len(own) >= 12
    reformatted = OWN_WORK.replace("    ", "\t").replace("# use the mean", "#   the mean")
    assert fingerprint({"scale.py": reformatted}, expected) == own


def submission(ref: str, files: dict[str, str], user: uuid.UUID | None = None) -> SubmissionFact:
    return SubmissionFact(
        uuid.uuid4(),
        user or uuid.uuid4(),
        ref,
        "leaky-scaler",
        fingerprint(files, (WORKSPACE, SOLUTION)),
    )


def test_similar_submissions_of_two_candidates_are_flagged_as_a_pair() -> None:
    mine = submission("q3", {"scale.py": OWN_WORK})
    copied = submission("q5", {"scale.py": OWN_WORK.replace("# use the", "# we use the")})
    [finding] = similar_submissions([mine], [copied], POLICY)
    assert (finding.rule, finding.severity) == ("similar_submission", Severity.high)
    assert finding.evidence["peer_attempt_id"] == str(copied.attempt_id)
    assert finding.evidence["peer_ref"] == "q5"
    assert finding.evidence["similarity"] == 1.0
    assert finding.key == f"{copied.attempt_id}:q3"


def test_honest_fixes_and_own_attempts_are_not_similar() -> None:
    solved = submission("q3", {"scale.py": SOLUTION})
    also_solved = submission("q3", {"scale.py": SOLUTION})
    assert similar_submissions([solved], [also_solved], POLICY) == []  # nothing of their own
    me = uuid.uuid4()
    first, retake = (
        submission("q3", {"a.py": OWN_WORK}, me),
        submission("q2", {"a.py": OWN_WORK}, me),
    )
    assert similar_submissions([retake], [first], POLICY) == []  # the same person
    different = submission(
        "q3",
        {
            "scale.py": "def scale(rows, m):\n    out = []\n    for item in rows:\n"
            "        if item is None:\n            continue\n        out.append(item - m)\n"
            "    return out\n"
        },
    )
    mine = submission("q3", {"scale.py": OWN_WORK})
    assert jaccard(mine.shingles, different.shingles) < 0.5
    assert similar_submissions([mine], [different], POLICY) == []


def test_small_changes_are_too_small_to_compare() -> None:
    tiny = "def scale(rows, mean):\n    return [r - mean + 0 for r in rows]\n"
    a, b = submission("q3", {"s.py": tiny}), submission("q3", {"s.py": tiny})
    assert 0 < len(a.shingles) < POLICY.similarity_min_shingles
    assert similar_submissions([a], [b], POLICY) == []


# --- the whole assessment, and sampling -------------------------------------------------------


def test_assess_runs_every_rule_and_reports_the_highest_severity() -> None:
    facts = AttemptFacts(
        attempt_id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        exam_code="test-foundation",
        started_at=T0,
        answers=answers(10, 100, 30),
        scenario_refs=frozenset({"q7"}),
        submissions=[],
    )
    events = [*away(12), client("paste", 3, ref="q7", path="x.py", length=2000)]
    findings = assess(facts, events, [], POLICY)
    assert sorted(f.rule for f in findings) == ["fast_answers", "focus_losses", "large_paste"]
    assert highest(findings) == Severity.high
    assert highest([]) is None


def test_sampling_is_deterministic_keyed_and_near_its_share() -> None:
    ids = [uuid.UUID(int=i * 7919 + 1) for i in range(2000)]
    drawn = [i for i in ids if sampled(i, 10, b"key one")]
    assert drawn == [i for i in ids if sampled(i, 10, b"key one")]  # the same every time
    assert 150 < len(drawn) < 250
    assert drawn != [i for i in ids if sampled(i, 10, b"key two")]  # unguessable without it
    assert not any(sampled(i, 0, b"key one") for i in ids)
    assert all(sampled(i, 100, b"key one") for i in ids)
