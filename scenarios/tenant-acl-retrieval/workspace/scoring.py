"""Lexical relevance used by the knowledge-base search (owned by the search team).

A document's score for a query is the number of distinct query terms it contains;
0 means it does not match at all.
"""

import re

TOKEN = re.compile(r"[a-z0-9]+")


def terms(text):
    return set(TOKEN.findall(text.lower()))


def score(query_terms, doc_terms):
    return len(query_terms & doc_terms)


def normalise(query):
    """The form of a query used for caching: lower case, single spaces."""
    return " ".join(query.lower().split())
