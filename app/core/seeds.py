"""Where an attempt's seed comes from: the one source of randomness behind a form (which
items, their order, the option order, a scenario's variant). Production draws from the
operating system; tests and simulations replace it with a seeded source, so a run
draws the same forms every time, as the clock is replaced by a manual one."""

from __future__ import annotations

import random
import secrets
from typing import Protocol

SEED_BITS = 31


class SeedSource(Protocol):
    def next_seed(self) -> int: ...


class SystemSeeds:
    def next_seed(self) -> int:
        return secrets.randbits(SEED_BITS)


class SeededSeeds:
    """Seeds from a fixed starting seed: the same sequence on every run."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def next_seed(self) -> int:
        return self._random.getrandbits(SEED_BITS)
