"""The wording-cue analysis: every strategy fails a bank whose keys (or distractors) carry
its mark, and a bank of parallel options passes them all."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.exams.cues import (
    CLASSIFIER_NAME,
    SURFACE_STRATEGIES,
    CueItem,
    classifier_hits,
    expected_hit,
)
from app.exams.validation import validate_bank
from tests.bank import blueprint, item, write_bank

NOUNS = ("alpha", "bravo", "delta", "gamma")
TOPICS = ("ingest", "scoring", "ranking", "billing", "search", "fraud", "pricing", "churn")

Mutation = Callable[[list[str], int], list[str]]


def _parallel(
    level: str = "foundation", count: int = 16, cue: Mutation | None = None
) -> list[dict[str, Any]]:
    """``count`` (a multiple of 16) lifecycle and as many data items whose options differ
    by one noun of the same length; every noun is the key as often as the others, and so
    is every position. The stems (random words, tests.bank) share no word with them."""
    out = []
    for domain in ("lifecycle", "data"):
        for n in range(1, count + 1):
            key, shift = (n - 1) % 4, ((n - 1) // 4) % 4
            topic = TOPICS[n % len(TOPICS)]
            texts = [
                f"Raise the {NOUNS[(i - key + shift) % 4]} limit on the {topic} job"
                for i in range(4)
            ]
            if cue is not None:
                texts = cue(texts, key)
            data = item(domain, level, n, key=("abcd"[key],))
            data["options"] = [{"id": "abcd"[i], "text": t} for i, t in enumerate(texts)]
            out.append(data)
    return out


def _key(change: Callable[[str], str]) -> Mutation:
    return lambda texts, key: [change(t) if i == key else t for i, t in enumerate(texts)]


def _distractors(change: Callable[[str], str]) -> Mutation:
    return lambda texts, key: [t if i == key else change(t) for i, t in enumerate(texts)]


def _by_rank(extra: tuple[str, str, str, str]) -> Mutation:
    """Key gets ``extra[0]``, the distractors the others in order."""

    def mutate(texts: list[str], key: int) -> list[str]:
        others = iter(extra[1:])
        return [t + (extra[0] if i == key else next(others)) for i, t in enumerate(texts)]

    return mutate


def _words_shared(key_like: bool) -> Mutation:
    def mutate(texts: list[str], key: int) -> list[str]:
        unique = iter(("quota", "spill", "tally"))
        if key_like:  # the key carries every distractor's own word
            words = {i: next(unique) for i in range(4) if i != key}
            return [
                f"Raise the {' '.join(words.values())} limit"
                if i == key
                else f"Raise the {words[i]} limit"
                for i in range(4)
            ]
        # the distractors share a word the key lacks
        return [
            f"Raise the {NOUNS[i]} limit" if i == key else f"Raise the {NOUNS[i]} shard limit"
            for i in range(4)
        ]

    return mutate


def _stem_word(on_key: bool) -> Mutation:
    def mutate(texts: list[str], key: int) -> list[str]:
        return [
            t.replace("limit", "call") if (i == key) == on_key else t for i, t in enumerate(texts)
        ]

    return mutate


def _usual_start(texts: list[str], key: int) -> list[str]:
    """The key and one distractor open alike; the two others each differently."""
    others = iter(("Lower", "Tweak"))
    first = next(i for i in range(4) if i != key)
    return [
        t if i in (key, first) else t.replace("Raise", next(others)) for i, t in enumerate(texts)
    ]


def _classifier_cue(texts: list[str], key: int) -> list[str]:
    """The key's noun is always the same word of the same length: nothing but a learner
    that reads the other items can tell."""
    return [
        t.replace(t.split()[2], "mango") if i == key else t.replace(t.split()[2], NOUNS[i])
        for i, t in enumerate(texts)
    ]


CUES: dict[str, Mutation] = {
    "longest option": _key(lambda t: t + " tonight"),
    "shortest option": _distractors(lambda t: t + " tonight"),
    "second-longest option": _by_rank((" tonight", "", " tonight at once now", "")),
    "second-shortest option": _by_rank((" right now", "", " tonight at once", " tonight at once")),
    "odd length out": _key(lambda t: t + " and the retry budget of the queue"),
    "most typical length": _by_rank((" at twelve", "", " a bit", " tonight for thirty days")),
    "most content words": _key(lambda t: t + " quickly"),
    "fewest content words": _distractors(lambda t: t + " quickly"),
    "longest words": _key(lambda t: t.replace("Raise", "Reconfigure")),
    "shortest words": _distractors(lambda t: t.replace("Raise", "Reconfigure")),
    "odd first word": _key(lambda t: t.replace("Raise", "Lower")),
    "usual first word": _usual_start,
    "most like the others": _words_shared(key_like=True),
    "least like the others": _words_shared(key_like=False),
    "echoes the stem": _stem_word(on_key=True),
    "avoids the stem's words": _stem_word(on_key=False),
    "justified (so that...)": _key(lambda t: t + " so that it recovers"),
    "not justified": _distractors(lambda t: t + " so that it recovers"),
    "absolute (always...)": _key(lambda t: t.replace("Raise", "Always raise")),
    "no absolutes": _distractors(lambda t: t.replace("Raise", "Always raise")),
    "compound (X, and Y)": _key(lambda t: t.replace("Raise", "Pause, and raise")),
    "single action": _distractors(lambda t: t.replace("Raise", "Pause, and raise")),
    "most specific (numbers)": _key(lambda t: t.replace("limit", "limit to 30")),
    "least specific": _distractors(lambda t: t.replace("limit", "limit to 30")),
    "hedged (usually, may)": _key(lambda t: t.replace("Raise", "Usually raise")),
    "unhedged": _distractors(lambda t: t.replace("Raise", "Usually raise")),
    "negative (not, remove)": _key(lambda t: t.replace("Raise", "Remove")),
    "positive wording": _distractors(lambda t: t.replace("Raise", "Remove")),
    CLASSIFIER_NAME: _classifier_cue,
}


def _cue_problems(root: Path) -> list[str]:
    return [str(p) for p in validate_bank(root).problems if "wording cue" in str(p)]


def _bank(tmp_path: Path, items: list[dict[str, Any]]) -> Path:
    return write_bank(tmp_path / "bank", [blueprint()], items)


def test_every_strategy_has_a_failing_fixture() -> None:
    assert set(CUES) == {s.name for s in SURFACE_STRATEGIES} | {CLASSIFIER_NAME}


def test_parallel_options_pass_every_strategy(tmp_path: Path) -> None:
    report = validate_bank(_bank(tmp_path, _parallel()))
    assert [str(p) for p in report.problems] == []
    assert report.cues is not None
    ids = sorted(report.cues.chance)
    for strategy in report.cues.strategies:
        assert report.cues.result(strategy, ids).gain_points <= 0, strategy


@pytest.mark.parametrize("strategy", sorted(CUES))
def test_a_cue_in_the_wording_fails_its_strategy(tmp_path: Path, strategy: str) -> None:
    problems = _cue_problems(_bank(tmp_path, _parallel(cue=CUES[strategy])))
    named = [p for p in problems if f"'{strategy}'" in p]
    assert any("on the bank (32 items)" in p for p in named), problems
    assert any(
        "exams/test-foundation.yaml:1:" in p and "the pool of test-foundation" in p for p in named
    )
    # The problem lists the items that give the key away.
    assert re.search(r"most in [A-Z]{3}-F-\d{3}, [A-Z]{3}-F-\d{3}", named[0]), named[0]


def test_a_cue_in_one_exam_pool_names_that_exam(tmp_path: Path) -> None:
    items = _parallel("foundation", count=32) + _parallel(
        "professional", count=16, cue=CUES["justified (so that...)"]
    )
    root = write_bank(
        tmp_path / "bank",
        [blueprint(), blueprint("test-professional", level="professional")],
        items,
    )
    problems = _cue_problems(root)
    assert any("the pool of test-professional (32 items)" in p for p in problems), problems
    assert not any("test-foundation" in p for p in problems)


def test_ties_are_split_and_multiple_response_is_all_or_nothing() -> None:
    single = CueItem("X", "stem", ("a", "b", "c", "d"), frozenset({1}))
    assert expected_hit(single, [1, 1, 0, 0]) == 0.5
    assert expected_hit(single, [1, 1, 1, 1]) == 0.25 == single.chance
    assert expected_hit(single, [2, 1, 1, 0]) == 0.0
    double = CueItem("Y", "stem", ("a", "b", "c", "d", "e"), frozenset({0, 1}))
    assert double.chance == 1 / 10
    assert expected_hit(double, [3, 3, 1, 1, 1]) == 1.0
    assert expected_hit(double, [3, 2, 2, 1, 1]) == 0.5
    assert expected_hit(double, [3, 1, 1, 1, 1]) == pytest.approx(1 / 4)
    assert expected_hit(double, [3, 3, 3, 1, 1]) == pytest.approx(1 / 3)
    assert expected_hit(double, [1, 3, 3, 1, 1]) == 0.0


def test_multiple_response_items_are_scored_on_the_keyed_set(tmp_path: Path) -> None:
    items = _parallel()
    for data in items[:12]:  # two keys each, both marked "so that"
        second = "abcd"[("abcd".index(data["key"][0]) + 1) % 4]
        data["key"] = sorted([data["key"][0], second])
        data["type"] = "multiple"
        data["rationale"]["distractors"] = {
            o["id"]: "Wrong here." for o in data["options"] if o["id"] not in data["key"]
        }
        for option in data["options"]:
            if option["id"] in data["key"]:
                option["text"] += " so that it recovers"
    report = validate_bank(_bank(tmp_path, items))
    assert report.cues is not None
    multiple = [i.id for i in report.bank.items.values() if i.type == "multiple"]
    result = report.cues.result("justified (so that...)", multiple)
    assert result.chance == pytest.approx(1 / 6)
    assert result.score == 1.0


def test_the_classifier_is_deterministic_and_never_sees_the_item_it_scores() -> None:
    items = [
        CueItem(
            f"I{n:02d}",
            "stem",
            ("plain move",) * 4,
            frozenset({n % 4}),
        )
        for n in range(20)
    ]
    # Options all alike: nothing to learn, so exactly chance.
    hits = classifier_hits(items)
    assert hits == classifier_hits(items)
    assert all(h == pytest.approx(0.25) for h in hits.values())
    # One item whose key has a word no other item has: the model cannot have learnt it.
    odd = CueItem(
        "I99", "stem", ("plain move", "zebra move", "plain move", "plain move"), frozenset({1})
    )
    assert classifier_hits([*items, odd])["I99"] <= 0.25


def test_pools_shared_by_exams_are_one_column(tmp_path: Path) -> None:
    items = _parallel()
    root = write_bank(
        tmp_path / "bank",
        [
            blueprint(),
            blueprint("test-foundation-renewal", kind="renewal", renews="test-foundation"),
        ],
        items,
    )
    cues = validate_bank(root).cues
    assert cues is not None
    assert list(cues.pools) == ["test-foundation"]
    assert cues.exams["test-foundation"] == ["test-foundation", "test-foundation-renewal"]


def test_cli_validate_prints_the_cue_and_expected_score_tables(tmp_path: Path) -> None:
    root = _bank(tmp_path, _parallel())
    result = CliRunner().invoke(
        cli, ["content", "validate", str(root), "--scenarios", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "Wording cues" in result.output
    assert "blind guessing" in result.output
    assert "text classifier" in result.output
    assert "Expected score of a minimally qualified candidate" in result.output


def test_cli_cues_for_one_file(tmp_path: Path) -> None:
    root = _bank(tmp_path, _parallel(cue=CUES["compound (X, and Y)"]))
    result = CliRunner().invoke(
        cli, ["content", "cues", str(root / "items" / "data"), "--bank", str(root)]
    )
    assert result.exit_code == 1, result.output
    assert "these items: the 16 active items under" in result.output
    assert "compound (X, and Y)" in result.output
    assert "DAT-F-001" in result.output and "LIF-F-001" not in result.output.split("per item")[1]
    clean = _bank(tmp_path / "clean", _parallel())
    result = CliRunner().invoke(
        cli,
        [
            "content",
            "cues",
            str(clean / "items" / "data" / "foundation.yaml"),
            "--bank",
            str(clean),
        ],
    )
    assert result.exit_code == 0, result.output


def test_a_pool_is_every_active_item_its_draws_can_pick(tmp_path: Path) -> None:
    items = _parallel() + _parallel("professional")
    items[0]["status"] = "retired"
    root = write_bank(
        tmp_path / "bank",
        [blueprint(draws=[{"level": "foundation", "count": 5}])],
        items,
    )
    cues = validate_bank(root).cues
    assert cues is not None
    assert len(cues.chance) == 63  # retired items are never drawn, so never scored
    [pool] = cues.pools.values()
    assert len(pool) == 31
    assert all("-F-" in i for i in pool)
