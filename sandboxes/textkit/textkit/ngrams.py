"""Word and character n-grams."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence


def word_ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    """Consecutive runs of ``n`` tokens: word_ngrams(["a", "b", "c"], 2) -> [("a", "b"), ("b", "c")]."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    return (tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def char_ngrams(text: str, n: int = 3, *, pad: bool = True) -> list[str]:
    """Character n-grams; with ``pad`` the text is wrapped in spaces so edges count too."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if pad:
        text = f" {text} "
    return [text[i : i + n] for i in range(len(text) - n + 1)]


def most_common_ngrams(
    tokens: Sequence[str], n: int, limit: int = 10
) -> list[tuple[tuple[str, ...], int]]:
    """The ``limit`` most frequent n-grams with their counts, most frequent first."""
    # FIXME: ties come out in first-seen order; callers that page through results need a stable key.
    total = max(len(tokens) - n + 1, 0)
    counts = Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return counts.most_common(limit)
