"""Wording cues: how well a candidate who reads only the options can score.

A *strategy* reads an item's stem and options as text (length, words, likeness; never
the domain) and prefers some options over others. A candidate who answers every item
by a strategy picks the options it prefers most, as many as the item asks for, and
splits ties at random. Their expected score on an item is therefore exact, not sampled:
with ``a`` options strictly preferred and ``m`` tied at the cut for the ``r`` remaining
picks, it is ``1 / C(m, r)`` when the keys are exactly those picks and 0 otherwise.
Scored as the exam scores (``app.grading.scoring``): a multiple-response item earns its
point only for exactly the keyed set. Blind guessing earns ``1 / C(n, k)``.

Every strategy comes with its twin (prefer / avoid), since a bank whose distractors
all carry a mark is as easy as one whose keys do. The last strategy is a small naive
Bayes text classifier trained on the options of half the bank and asked for the keys
of the other half (seeded, repeated two-fold cross-validation), which catches cues no
list of words names.

Options are shuffled per attempt (``app.exams.forms.option_order``), so a strategy by
position cannot be applied by a candidate; key positions are checked per file as an
authoring rule instead (``app.exams.validation``).
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from itertools import combinations, pairwise, repeat

from app.exams.content import BlueprintSpec, ItemSpec

# A strategy may beat blind guessing by at most this many points (of 100), on the whole
# bank and on each exam's pool.
CUE_MAX_GAIN_POINTS = 5.0
# How many items a cue problem names (those where the strategy gains most over chance).
CUE_ITEMS_LISTED = 8
# The classifier: repeated two-fold cross-validation with fixed, seeded folds.
CLASSIFIER_REPEATS = 10
CLASSIFIER_SEED = "assay-cues"
CLASSIFIER_SMOOTHING = 1.0

_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_STOPWORDS = frozenset(
    re.findall(
        r"\w+",
        """a an the of to in on for and or but with by at from as is are be been being it its
    this that these those into than then so if not no do does did has have had was were
    will would should can could may might must you your we our they their them he she
    his her i me my which who whom what when where why how all any each every""",
    )
)
_JUSTIFICATION = re.compile(
    r"\b(so that|so the|so it|so they|so you|so no|so each|so every|since|because|"
    r"which|in order to|as this|as it|as that|to ensure|ensuring|to make sure|thereby|"
    r"given that|as a result|this way|that way|otherwise|to avoid|to prevent|to keep)\b",
    re.I,
)
_ABSOLUTE = re.compile(
    r"\b(always|never|every|everything|everyone|entirely|entire|only|all|none|nothing|"
    r"no one|completely|fully|totally|whole|guarantees?|guaranteed|impossible|any|must|"
    r"forever|solely|exclusively|at all)\b",
    re.I,
)
_HEDGE = re.compile(
    r"\b(usually|often|may|might|can|could|typically|generally|likely|tends? to|"
    r"in most cases|where possible|if needed|when needed|some|sometimes|probably|"
    r"mostly|roughly|about|around|approximately|consider|prefer(?:ably)?)\b",
    re.I,
)
_NEGATIVE = re.compile(
    r"\b(not|no|never|without|don't|do not|instead of|rather than|skip|skips|disable|"
    r"disables|remove|removes|delete|deletes|drop|drops|ignore|ignores|turn off|stop|"
    r"stops|avoid|avoids)\b",
    re.I,
)
_COMPOUND = re.compile(r",|;|\band\b|\bthen\b|\bas well as\b|\bplus\b|\bboth\b", re.I)
_SPECIFIC = re.compile(
    r"`[^`]+`|\d+(?:[.,]\d+)?\s*(?:%|ms|s|gb|mb|gib|mib|x|×)?|\b[a-z]+_[a-z0-9_]+\b|"
    r"\b[a-z]+[A-Z][A-Za-z]*\b|\b\w+\.\w+\(?",
)


@dataclass(frozen=True)
class CueItem:
    """What a strategy may read: the stem, the options' texts, and how many to choose.
    The key is only used to score the pick."""

    id: str
    stem: str
    options: tuple[str, ...]
    key: frozenset[int]

    @property
    def choose(self) -> int:
        return len(self.key)

    @property
    def chance(self) -> float:
        return 1 / math.comb(len(self.options), self.choose)

    @classmethod
    def from_spec(cls, spec: ItemSpec) -> CueItem:
        ids = [o.id for o in spec.options]
        return cls(
            id=spec.id,
            stem=spec.stem,
            options=tuple(o.text for o in spec.options),
            key=frozenset(ids.index(k) for k in spec.key),
        )


def expected_hit(item: CueItem, preference: Sequence[float]) -> float:
    """The expected score of picking the ``item.choose`` most preferred options, ties
    at the cut split at random, scored all-or-nothing."""
    k = item.choose
    cut = sorted(preference, reverse=True)[k - 1]
    above = {i for i, p in enumerate(preference) if p > cut}
    tied = {i for i, p in enumerate(preference) if p == cut}
    if not above <= item.key or not item.key - above <= tied:
        return 0.0
    return 1 / math.comb(len(tied), k - len(above))


# --- what strategies read -------------------------------------------------------------


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def content_words(text: str) -> set[str]:
    return {w for w in words(text) if w not in _STOPWORDS}


def _lengths(item: CueItem) -> list[float]:
    """Each option's length in characters, spaces collapsed. Compared strictly: a key
    written a few characters short of the longest option is a cue all the same."""
    return [float(len(" ".join(t.split()))) for t in item.options]


def _rank_from_top(values: Sequence[float]) -> list[int]:
    """1 for the largest; ties share the better rank (1, 2, 2, 4)."""
    return [1 + sum(other > v for other in values) for v in values]


def _count(pattern: re.Pattern[str]) -> Callable[[CueItem], list[float]]:
    """How many times each option carries the mark ``pattern`` finds."""

    def measure(item: CueItem) -> list[float]:
        return [float(len(pattern.findall(text))) for text in item.options]

    return measure


def _longest(item: CueItem) -> list[float]:
    return _lengths(item)


def _second_longest(item: CueItem) -> list[float]:
    return [-abs(rank - 2.0) for rank in _rank_from_top(_lengths(item))]


def _second_shortest(item: CueItem) -> list[float]:
    return [-abs(rank - 2.0) for rank in _rank_from_top([-n for n in _lengths(item)])]


def _length_outlier(item: CueItem) -> list[float]:
    """How far an option's length is from the mean of the others' (the odd one out)."""
    lengths = _lengths(item)
    total, n = sum(lengths), len(lengths)
    return [abs(length - (total - length) / (n - 1)) for length in lengths]


def _convergence(item: CueItem) -> list[float]:
    """How much an option shares its words with the other options (Jaccard, summed)."""
    sets = [content_words(t) for t in item.options]
    scores = [0.0] * len(sets)
    for i, j in combinations(range(len(sets)), 2):
        union = sets[i] | sets[j]
        similarity = len(sets[i] & sets[j]) / len(union) if union else 0.0
        scores[i] += similarity
        scores[j] += similarity
    return [round(s, 9) for s in scores]


def _content_words(item: CueItem) -> list[float]:
    return [float(len(content_words(t))) for t in item.options]


def _word_length(item: CueItem) -> list[float]:
    """Mean letters a word: jargon-heavy or plain wording."""
    out = []
    for text in item.options:
        tokens = words(text)
        out.append(round(sum(map(len, tokens)) / len(tokens), 9) if tokens else 0.0)
    return out


def _odd_start(item: CueItem) -> list[float]:
    """How few other options open with the same word (a key phrased unlike the rest)."""
    firsts = [(words(t) or [""])[0] for t in item.options]
    return [float(-sum(f == g for g in firsts)) for f in firsts]


def _stem_overlap(item: CueItem) -> list[float]:
    stem = content_words(item.stem)
    return [float(len(content_words(t) & stem)) for t in item.options]


@dataclass(frozen=True)
class Strategy:
    """Prefers the options with the highest ``measure`` (``sign`` 1) or the lowest (-1)."""

    name: str
    measure: Callable[[CueItem], list[float]] = field(repr=False)
    sign: float = 1.0

    def preference(self, item: CueItem) -> list[float]:
        return [self.sign * m for m in self.measure(item)]


def _twins(prefer: str, avoid: str, measure: Callable[[CueItem], list[float]]) -> list[Strategy]:
    return [Strategy(prefer, measure), Strategy(avoid, measure, -1.0)]


SURFACE_STRATEGIES: tuple[Strategy, ...] = (
    *_twins("longest option", "shortest option", _longest),
    Strategy("second-longest option", _second_longest),
    Strategy("second-shortest option", _second_shortest),
    *_twins("odd length out", "most typical length", _length_outlier),
    *_twins("most content words", "fewest content words", _content_words),
    *_twins("longest words", "shortest words", _word_length),
    *_twins("odd first word", "usual first word", _odd_start),
    *_twins("most like the others", "least like the others", _convergence),
    *_twins("echoes the stem", "avoids the stem's words", _stem_overlap),
    *_twins("justified (so that...)", "not justified", _count(_JUSTIFICATION)),
    *_twins("absolute (always...)", "no absolutes", _count(_ABSOLUTE)),
    *_twins("compound (X, and Y)", "single action", _count(_COMPOUND)),
    *_twins("most specific (numbers)", "least specific", _count(_SPECIFIC)),
    *_twins("hedged (usually, may)", "unhedged", _count(_HEDGE)),
    *_twins("negative (not, remove)", "positive wording", _count(_NEGATIVE)),
)
CLASSIFIER_NAME = "text classifier (2-fold)"


# --- the classifier -------------------------------------------------------------------


def option_features(item: CueItem) -> list[frozenset[str]]:
    """Words and word pairs of each option, plus where it ranks in its item by length,
    by likeness to the other options, by words shared with the stem and by how many
    content words it has."""
    ranks = [
        _rank_from_top(_lengths(item)),
        _rank_from_top(_convergence(item)),
        _rank_from_top(_stem_overlap(item)),
        _rank_from_top(_content_words(item)),
    ]
    out = []
    for index, text in enumerate(item.options):
        tokens = words(text)
        features = set(tokens)
        features.update(f"{a} {b}" for a, b in pairwise(tokens))
        for label, rank in zip(("len", "like", "stem", "words"), ranks, strict=True):
            features.add(f"#{label}-rank-{rank[index]}")
        out.append(frozenset(features))
    return out


class NaiveBayes:
    """Multinomial naive Bayes over binary features, two classes (key, distractor),
    Laplace-smoothed. Features unseen in training are ignored."""

    def __init__(self, smoothing: float = CLASSIFIER_SMOOTHING) -> None:
        self.smoothing = smoothing
        self.weights: dict[str, float] = {}

    def fit(
        self,
        examples: Iterable[tuple[frozenset[str], bool]],
        needed: Set[str] | None = None,
    ) -> NaiveBayes:
        """Each feature's weight: the log-odds that an option carrying it is a key.
        ``needed`` limits the weights kept to the features that will be scored."""
        keys: Counter[str] = Counter()
        others: Counter[str] = Counter()
        for features, is_key in examples:
            (keys if is_key else others).update(features)
        vocabulary = keys.keys() | others.keys()
        alpha = self.smoothing
        log_keys = math.log(keys.total() + alpha * len(vocabulary))
        log_others = math.log(others.total() + alpha * len(vocabulary))
        self.weights = {
            f: math.log(keys[f] + alpha) - log_keys - math.log(others[f] + alpha) + log_others
            for f in (vocabulary if needed is None else vocabulary & needed)
        }
        return self

    def score(self, features: frozenset[str]) -> float:
        # fsum: exact, so the score cannot depend on the order a set iterates in.
        return round(math.fsum(map(self.weights.get, features, repeat(0.0))), 9)


def classifier_hits(items: Sequence[CueItem]) -> dict[str, float]:
    """Each item's expected score when a classifier trained on the other half of the
    bank picks its options, averaged over ``CLASSIFIER_REPEATS`` seeded splits."""
    features = {item.id: option_features(item) for item in items}
    ordered = sorted(items, key=lambda i: i.id)
    hits: dict[str, float] = dict.fromkeys(features, 0.0)
    if len(ordered) < 2:
        return {item.id: item.chance for item in items}
    for split in range(CLASSIFIER_REPEATS):
        shuffled = list(ordered)
        random.Random(f"{CLASSIFIER_SEED}:{split}").shuffle(shuffled)
        half = len(shuffled) // 2
        folds = (shuffled[:half], shuffled[half:])
        for train, test in ((folds[0], folds[1]), (folds[1], folds[0])):
            model = NaiveBayes().fit(
                (
                    (f, index in item.key)
                    for item in train
                    for index, f in enumerate(features[item.id])
                ),
                needed=set().union(*(f for item in test for f in features[item.id])),
            )
            for item in test:
                preference = [model.score(f) for f in features[item.id]]
                hits[item.id] += expected_hit(item, preference) / CLASSIFIER_REPEATS
    return hits


# --- the analysis ---------------------------------------------------------------------


@dataclass(frozen=True)
class PoolResult:
    """One strategy on one set of items."""

    strategy: str
    score: float  # expected share of items right, 0-1
    chance: float
    hits: int  # items where the strategy does better than guessing
    telling: tuple[str, ...]  # the items it gains most on, best first

    @property
    def gain_points(self) -> float:
        return 100 * (self.score - self.chance)


@dataclass
class CueReport:
    """Per-item expected scores for every strategy, and their means per pool."""

    strategies: list[str]
    chance: dict[str, float]
    hits: dict[str, dict[str, float]]  # strategy -> item id -> expected score
    pools: dict[str, list[str]] = field(default_factory=dict)  # label -> item ids
    exams: dict[str, list[str]] = field(default_factory=dict)  # label -> exam codes

    def result(self, strategy: str, ids: Sequence[str]) -> PoolResult:
        if not ids:
            return PoolResult(strategy, 0.0, 0.0, 0, ())
        by_item = self.hits[strategy]
        gains = sorted(
            ((by_item[i] - self.chance[i], i) for i in ids if by_item[i] > self.chance[i]),
            key=lambda pair: (-pair[0], pair[1]),
        )
        return PoolResult(
            strategy=strategy,
            score=sum(by_item[i] for i in ids) / len(ids),
            chance=sum(self.chance[i] for i in ids) / len(ids),
            hits=len(gains),
            telling=tuple(i for _, i in gains[:CUE_ITEMS_LISTED]),
        )

    def item_strategies(self, item_id: str) -> list[str]:
        """The strategies that find this item's key more often than guessing would."""
        return [s for s in self.strategies if self.hits[s][item_id] > self.chance[item_id]]


def analyse(
    items: Sequence[CueItem], pools: Mapping[str, Sequence[str]] | None = None
) -> CueReport:
    """Every strategy on every item; ``pools`` maps an exam code to the ids it can draw.
    Exams that draw the same items share one pool, labelled by the first code."""
    hits: dict[str, dict[str, float]] = {}
    measured: dict[Callable[[CueItem], list[float]], dict[str, list[float]]] = {}
    for strategy in SURFACE_STRATEGIES:
        if strategy.measure not in measured:  # twins share one measurement
            measured[strategy.measure] = {i.id: strategy.measure(i) for i in items}
        values = measured[strategy.measure]
        hits[strategy.name] = {
            i.id: expected_hit(i, [strategy.sign * v for v in values[i.id]]) for i in items
        }
    hits[CLASSIFIER_NAME] = classifier_hits(items)
    report = CueReport(
        strategies=[s.name for s in SURFACE_STRATEGIES] + [CLASSIFIER_NAME],
        chance={i.id: i.chance for i in items},
        hits=hits,
    )
    groups: dict[tuple[str, ...], list[str]] = {}
    for code, ids in (pools or {}).items():
        groups.setdefault(tuple(sorted(ids)), []).append(code)
    for ids, codes in groups.items():
        label = min(codes, key=lambda c: (len(c), c))
        report.pools[label] = list(ids)
        report.exams[label] = codes
    return report


def exam_pool(spec: BlueprintSpec, items: Iterable[ItemSpec]) -> list[str]:
    """The active items an exam's multiple-choice draws can pick."""
    draws = [d for s in spec.sections if s.kind == "mcq" for d in s.draw]
    return [
        i.id
        for i in items
        if i.status == "active"
        and any(i.level == d.level and d.domain in (None, i.domain) for d in draws)
    ]


def cue_table(report: CueReport, *, title: str = "Wording cues") -> str:
    """Strategy x (all items, each exam pool): expected score and the gap to guessing."""
    columns = [("bank", sorted(report.chance)), *report.pools.items()]
    width = max(14, *(len(label) + 2 for label, _ in columns))
    name_width = max(len(s) for s in report.strategies) + 2
    header = f"{'strategy':<{name_width}}" + "".join(f"{c:>{width}}" for c, _ in columns)
    lines = [
        f"{title}: expected score % (points above blind guessing); "
        f"! marks a fail, over +{CUE_MAX_GAIN_POINTS:.0f}",
        header,
        "-" * len(header),
    ]
    guessing = [report.result(report.strategies[0], ids) for _, ids in columns]
    lines.append(
        f"{'blind guessing':<{name_width}}"
        + "".join(f"{f'{100 * r.chance:.1f} ':>{width}}" for r in guessing)
    )
    counts = f"{'items':<{name_width}}" + "".join(
        f"{f'{len(ids)} ':>{width}}" for _, ids in columns
    )
    lines.append(counts)
    for strategy in report.strategies:
        cells = []
        for _, ids in columns:
            r = report.result(strategy, ids)
            mark = "!" if r.gain_points > CUE_MAX_GAIN_POINTS else " "
            cells.append(f"{f'{100 * r.score:.1f} ({r.gain_points:+.1f}){mark}':>{width}}")
        lines.append(f"{strategy:<{name_width}}" + "".join(cells))
    for label, codes in report.exams.items():
        if len(codes) > 1:
            lines.append(f"column {label}: the pool of {', '.join(codes)}")
    return "\n".join(line.rstrip() for line in lines)
