"""A light suffix-stripping stemmer for English.

This is not Porter: it removes a handful of inflectional suffixes, which is enough
for search-style matching ("connected", "connecting" and "connection" all become "connect").
"""

from __future__ import annotations

from functools import lru_cache

VOWELS = frozenset("aeiou")

# (suffix, replacement, minimum stem length) tried in order; the first that applies wins.
RULES: tuple[tuple[str, str, int], ...] = (
    ("ational", "ate", 2),
    ("ization", "ize", 2),
    ("fulness", "ful", 2),
    ("iveness", "ive", 2),
    ("ations", "ate", 2),
    ("ation", "ate", 2),
    ("ions", "", 3),
    ("ion", "", 3),
    ("ies", "y", 2),
    ("ing", "", 3),
    ("edly", "", 3),
    ("ed", "", 3),
    ("ness", "", 3),
    ("ment", "", 4),
    ("ly", "", 3),
    ("sses", "ss", 1),
    ("es", "", 3),
    ("s", "", 3),
)


def _has_vowel(stem: str) -> bool:
    return any(ch in VOWELS for ch in stem)


class SuffixStemmer:
    """Strips one suffix per word; words shorter than ``min_length`` are left alone."""

    def __init__(self, min_length: int = 4, exceptions: dict[str, str] | None = None) -> None:
        self.min_length = min_length
        self.exceptions = dict(exceptions or {})

    def stem(self, word: str) -> str:
        word = word.lower()
        if word in self.exceptions:
            return self.exceptions[word]
        if len(word) < self.min_length:
            return word
        for suffix, replacement, min_stem in RULES:
            if word.endswith(suffix):
                base = word[: len(word) - len(suffix)]
                if len(base) >= min_stem and _has_vowel(base):
                    return _undouble(base + replacement)
        return word

    def stem_all(self, words: list[str]) -> list[str]:
        return [self.stem(word) for word in words]


def _undouble(stem: str) -> str:
    """ "stopp" -> "stop", but keep "ll", "ss" and "zz" ("fall", "pass", "buzz")."""
    if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
        return stem[:-1]
    return stem


_DEFAULT = SuffixStemmer(exceptions={"news": "news", "series": "series", "species": "species"})


@lru_cache(maxsize=4096)
def stem(word: str) -> str:
    """Stem one word with the default stemmer (cached)."""
    return _DEFAULT.stem(word)
