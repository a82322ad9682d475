"""Response cache in front of the knowledge-base search. Popular questions ("reset my
password", "holiday allowance") are asked thousands of times a day; the cache is what
keeps search p99 under its 150 ms objective at peak."""

from collections import OrderedDict

import scoring


def make_key(user, query, k):
    """Users share an entry only when they have exactly the same access: the same
    tenant and the same groups."""
    return (user["tenant"], tuple(sorted(set(user["groups"]))), query, k)


class ResponseCache:
    def __init__(self, capacity=10_000):
        self.capacity = capacity
        self.entries = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key):
        if key in self.entries:
            self.entries.move_to_end(key)
            self.hits += 1
            return list(self.entries[key])
        self.misses += 1
        return None

    def put(self, key, value):
        self.entries[key] = list(value)
        self.entries.move_to_end(key)
        while len(self.entries) > self.capacity:
            self.entries.popitem(last=False)
