"""Classical item analysis: pure formulas over sums the database computes.

Every item statistic is derived from a handful of sums over the item's responses, so no
response list is needed in Python. ``total`` is an attempt's number-correct over the
choice items on its form; the point-biserial is *corrected*: it correlates the item
with the total minus the item, so an item is not credited for correlating with itself.
Variances are population variances (divide by n), as KR-20's p*q terms are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

# The share of candidates in each of the upper and lower groups (Kelley's 27 %).
GROUP_PERCENT = 27


@dataclass(frozen=True)
class ItemSums:
    """One item version over the scored attempts that had it on their form."""

    n: int  # responses (an omitted item counts, as wrong)
    right: int
    omitted: int
    sum_total: float  # sum of the attempts' totals
    sum_total_right: float  # sum of the totals of the attempts that got it right
    sum_total_sq: float
    upper_n: int
    upper_right: int
    lower_n: int
    lower_right: int
    timed: int = 0  # answers with a time to first answer
    sum_seconds: float = 0.0
    median_seconds: float | None = None  # of the timed answers (the database's median)


@dataclass(frozen=True)
class OptionCounts:
    option: str
    is_key: bool
    chosen: int
    upper: int
    lower: int


@dataclass(frozen=True)
class FlagRules:
    """When an item is flagged. Nothing is flagged below ``min_n`` responses."""

    min_n: int = 50
    too_easy: float = 0.95
    too_hard: float = 0.20
    min_discrimination: float = 0.10


@dataclass(frozen=True)
class Flag:
    code: str
    reason: str


@dataclass(frozen=True)
class OptionShare:
    option: str
    is_key: bool
    share: float
    upper_share: float | None
    lower_share: float | None


@dataclass(frozen=True)
class ItemStatistics:
    n: int
    facility: float | None
    point_biserial: float | None
    discrimination: float | None
    upper_facility: float | None
    lower_facility: float | None
    omit_rate: float | None
    distractors: list[OptionShare] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    mean_seconds: float | None = None  # mean time to first answer
    # The median: robust to the few answers left open through a break, which drag the
    # mean (time to answer is skewed right).
    median_seconds: float | None = None


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def corrected_point_biserial(s: ItemSums) -> float | None:
    """Pearson correlation of the 0/1 item score x with y = total - x, from sums.

    sum y = T - R; sum y^2 = TT - 2 TR + R (x^2 = x, sum x*total = TR); sum x*y = TR - R.
    None where either variable has no variance (everyone right, or a constant rest)."""
    n = s.n
    if n < 2:
        return None
    p = s.right / n
    var_x = p - p * p
    mean_y = (s.sum_total - s.right) / n
    mean_y2 = (s.sum_total_sq - 2 * s.sum_total_right + s.right) / n
    var_y = mean_y2 - mean_y * mean_y
    cov = (s.sum_total_right - s.right) / n - p * mean_y
    if var_x <= 1e-12 or var_y <= 1e-12:
        return None
    return cov / math.sqrt(var_x * var_y)


def group_size(candidates: int) -> int:
    """How many attempts form each of the upper and lower groups."""
    return candidates * GROUP_PERCENT // 100


def item_statistics(
    sums: ItemSums, options: list[OptionCounts], rules: FlagRules
) -> ItemStatistics:
    n = sums.n
    upper = _ratio(sums.upper_right, sums.upper_n)
    lower = _ratio(sums.lower_right, sums.lower_n)
    shares = [
        OptionShare(
            o.option,
            o.is_key,
            o.chosen / n if n else 0.0,
            _ratio(o.upper, sums.upper_n),
            _ratio(o.lower, sums.lower_n),
        )
        for o in options
    ]
    stats = ItemStatistics(
        n=n,
        facility=_ratio(sums.right, n),
        point_biserial=corrected_point_biserial(sums),
        discrimination=upper - lower if upper is not None and lower is not None else None,
        upper_facility=upper,
        lower_facility=lower,
        omit_rate=_ratio(sums.omitted, n),
        distractors=shares,
        mean_seconds=_ratio(sums.sum_seconds, sums.timed),
        median_seconds=sums.median_seconds if sums.timed else None,
    )
    return ItemStatistics(**{**stats.__dict__, "flags": flags_for(stats, rules)})


def flags_for(stats: ItemStatistics, rules: FlagRules) -> list[Flag]:
    """The rules, each with its reason in words. None below the minimum n."""
    if stats.n < rules.min_n or stats.facility is None:
        return []
    flags: list[Flag] = []
    p = stats.facility
    if p > rules.too_easy:
        flags.append(Flag("too_easy", f"facility {p:.3f} is above {rules.too_easy:.2f}"))
    if p < rules.too_hard:
        flags.append(Flag("too_hard", f"facility {p:.3f} is below {rules.too_hard:.2f}"))
    r = stats.point_biserial
    if r is not None and abs(r) < rules.min_discrimination:
        flags.append(
            Flag(
                "non_discriminating",
                f"corrected point-biserial {r:.3f} is within "
                f"±{rules.min_discrimination:.2f} of zero",
            )
        )
    if r is not None and r <= -rules.min_discrimination:
        flags.append(
            Flag(
                "negative_discrimination",
                f"corrected point-biserial {r:.3f}: stronger candidates score worse on it",
            )
        )
    keyed = [o for o in stats.distractors if o.is_key and o.upper_share is not None]
    distractors = [o for o in stats.distractors if not o.is_key and o.upper_share is not None]
    if keyed and distractors:
        weakest_key = min(keyed, key=lambda o: o.upper_share or 0.0)
        strongest = max(distractors, key=lambda o: o.upper_share or 0.0)
        if (strongest.upper_share or 0.0) > (weakest_key.upper_share or 0.0):
            flags.append(
                Flag(
                    "likely_miskey",
                    f"the upper group chose distractor {strongest.option} "
                    f"({strongest.upper_share:.0%}) more than the key {weakest_key.option} "
                    f"({weakest_key.upper_share:.0%})",
                )
            )
    return flags


@dataclass(frozen=True)
class ExamSums:
    """One exam version over its scored attempts with choice items."""

    attempts: int
    sum_total: float
    sum_total_sq: float
    item_slots: int  # responses over all items: sum over items of n_i
    sum_npq: float  # sum over items of n_i * p_i * (1 - p_i)


@dataclass(frozen=True)
class ReliabilityStatistics:
    mean: float | None
    sd: float | None
    items_per_form: float | None
    kr20: float | None
    sem: float | None


def reliability(s: ExamSums) -> ReliabilityStatistics:
    """KR-20 (Cronbach's alpha for 0/1 items) and the standard error of measurement.

    With a fixed form this is the textbook k/(k-1) * (1 - sum p*q / var(total)). Where
    forms are drawn from a pool, k is the mean number of items a form holds and sum p*q
    the mean over attempts of the p*q of the items on their form (each item weighted by
    the forms it was on), which reduces to the textbook formula for one fixed form."""
    if s.attempts == 0:
        return ReliabilityStatistics(None, None, None, None, None)
    mean = s.sum_total / s.attempts
    var = max(s.sum_total_sq / s.attempts - mean * mean, 0.0)
    sd = math.sqrt(var)
    k = s.item_slots / s.attempts
    if k <= 1 or var <= 1e-12:
        return ReliabilityStatistics(mean, sd, k, None, None)
    kr20 = k / (k - 1) * (1 - (s.sum_npq / s.attempts) / var)
    sem = sd * math.sqrt(max(1 - kr20, 0.0))
    return ReliabilityStatistics(mean, sd, k, kr20, sem)


@dataclass(frozen=True)
class CheckSums:
    """One hidden check of a scenario version over the scored attempts graded on it;
    ``score`` is the attempt's exam score (0..1)."""

    n: int
    passed: int
    sum_score: float
    sum_score_passed: float
    sum_score_sq: float


@dataclass(frozen=True)
class CheckStatistics:
    n: int
    pass_rate: float | None
    point_biserial: float | None
    flags: list[Flag] = field(default_factory=list)


def check_statistics(s: CheckSums, rules: FlagRules) -> CheckStatistics:
    """Pass rate and the point-biserial of passing with the exam score. Not corrected
    for the check's own share of the score (a check is a fraction of a scenario's
    points, the score weights sections), so it leans high; it ranks checks."""
    rate = _ratio(s.passed, s.n)
    r: float | None = None
    if s.n >= 2 and rate is not None:
        var_x = rate - rate * rate
        mean_y = s.sum_score / s.n
        var_y = s.sum_score_sq / s.n - mean_y * mean_y
        if var_x > 1e-12 and var_y > 1e-12:
            r = (s.sum_score_passed / s.n - rate * mean_y) / math.sqrt(var_x * var_y)
    flags = []
    if s.n >= rules.min_n and s.passed == 0:
        flags.append(
            Flag(
                "nobody_passes",
                f"none of {s.n} graded attempts passed this check: check the reference "
                "solution and the check itself before blaming the candidates",
            )
        )
    return CheckStatistics(s.n, rate, r, flags)


@dataclass(frozen=True)
class DecisionConsistency:
    """Subkoviak's single-administration estimate at the pass mark."""

    items: int  # k: the form length the binomial model uses
    cut: int  # number right needed to pass, of k
    agreement: float  # p0: chance two parallel sittings classify alike
    kappa: float | None  # p0 corrected for the agreement chance alone gives


def decision_consistency(
    distribution: dict[int, int], items: int, pass_mark: float, kr20: float | None
) -> DecisionConsistency | None:
    """Subkoviak (1976): each candidate's true proportion correct is estimated by
    Kelley's regression toward the mean, t = r x/k + (1 - r) mean/k, with r = KR-20;
    a parallel sitting's number right is then Binomial(k, t), passing with probability
    P = P(X >= cut). Agreement is the mean of P^2 + (1 - P)^2 over candidates; kappa
    discounts the agreement expected from the pass rate alone, with the mean P as the
    pass rate. Needs only the number-right distribution and KR-20."""
    n = sum(distribution.values())
    if n == 0 or items < 1 or kr20 is None:
        return None
    r = min(max(kr20, 0.0), 1.0)
    cut = math.ceil(pass_mark * items - 1e-9)
    mean = sum(x * c for x, c in distribution.items()) / n
    agreement = 0.0
    pass_share = 0.0
    for x, count in distribution.items():
        t = min(max((r * x + (1 - r) * mean) / items, 0.0), 1.0)
        p = sum(math.comb(items, j) * t**j * (1 - t) ** (items - j) for j in range(cut, items + 1))
        agreement += count * (p * p + (1 - p) * (1 - p))
        pass_share += count * p
    agreement /= n
    pass_share /= n
    chance = pass_share**2 + (1 - pass_share) ** 2
    kappa = (agreement - chance) / (1 - chance) if chance < 1 - 1e-12 else None
    return DecisionConsistency(items, cut, agreement, kappa)
