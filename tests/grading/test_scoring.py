from fractions import Fraction

import pytest

from app.grading.scoring import SectionResult, score_choice_item, score_exam


@pytest.mark.parametrize(
    ("key", "choices", "score"),
    [
        (["b"], ["b"], 1),
        (["b"], ["a"], 0),
        (["b"], [], 0),
        (["b"], None, 0),
        (["a", "c"], ["c", "a"], 1),
        (["a", "c"], ["a"], 0),
        (["a", "c"], ["a", "c", "d"], 0),
    ],
)
def test_items_score_only_the_exact_keyed_set(
    key: list[str], choices: list[str] | None, score: int
) -> None:
    assert score_choice_item(key, choices) == score


def test_sections_are_weighted() -> None:
    result = score_exam(
        [
            SectionResult("mcq", 0.6, Fraction(24), 30),  # 0.8
            SectionResult("scenario", 0.4, Fraction(3, 2), 3),  # 0.5
        ],
        0.72,
    )
    assert result.score == Fraction(68, 100)
    assert result.passed is False


def test_a_score_on_the_pass_mark_passes_without_float_error() -> None:
    result = score_exam([SectionResult("mcq", 1.0, Fraction(7), 10)], 0.7)
    assert result.score == Fraction(7, 10) and result.passed
    just_under = score_exam([SectionResult("mcq", 1.0, Fraction(71), 100)], 0.72)
    assert not just_under.passed
