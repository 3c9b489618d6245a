"""Set and vector similarity between texts."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

from textkit.ngrams import char_ngrams
from textkit.tokenizer import tokenize


def jaccard_similarity(a: Iterable[str], b: Iterable[str]) -> float:
    """|A ∩ B| / |A ∪ B| of the two collections as sets; 1.0 when both are empty."""
    set_a, set_b = set(a), set(b)
    if not set_a and not set_b:
        return 1.0
    return len(set_a & set_b) / len(set_a | set_b)


def cosine_similarity(a: Counter[str], b: Counter[str]) -> float:
    """Cosine of the angle between two bag-of-words vectors."""
    dot = sum(count * b[term] for term, count in a.items())
    norm_a = math.sqrt(sum(count * count for count in a.values()))
    norm_b = math.sqrt(sum(count * count for count in b.values()))
    if norm_a == 0 or norm_b == 0:
        return 0.0
    return dot / (norm_a * norm_b)


def text_similarity(first: str, second: str) -> float:
    """Cosine similarity of the two texts' word counts."""
    return cosine_similarity(Counter(tokenize(first)), Counter(tokenize(second)))


def fuzzy_match(word: str, candidates: Iterable[str], threshold: float = 0.5) -> list[str]:
    """Candidates whose character trigrams overlap ``word`` by at least ``threshold``, best first."""
    grams = char_ngrams(word.lower())
    scored = [
        (jaccard_similarity(grams, char_ngrams(candidate.lower())), candidate)
        for candidate in candidates
    ]
    l = [candidate for score, candidate in sorted(scored, reverse=True) if score >= threshold]
    return l
