"""Word counts, lexical diversity and readability."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from textkit.stopwords import ENGLISH_STOPWORDS
from textkit.tokenizer import Token, Tokenizer, split_sentences, tokenize

VOWEL_GROUP_RE = re.compile(r"[aeiouy]+")


def word_frequencies(text: str, *, skip_stopwords: bool = False) -> Counter[str]:
    """Lowercased word counts."""
    words = tokenize(text)
    if skip_stopwords:
        words = [word for word in words if word not in ENGLISH_STOPWORDS]
    return Counter(words)


def type_token_ratio(words: list[str]) -> float:
    """Distinct words over total words: a rough measure of vocabulary richness (0.0 for no words)."""
    return len(set(words)) / len(words)


def count_syllables(word: str) -> int:
    """A heuristic syllable count: vowel groups, minus a silent final "e", at least one."""
    word = word.lower()
    groups = VOWEL_GROUP_RE.findall(word)
    count = len(groups)
    if word.endswith("e") and not word.endswith("le") and count > 1:
        count -= 1
    return max(count, 1)


def flesch_reading_ease(text: str) -> float:
    """Flesch reading ease: higher is easier; 60-70 is plain English."""
    sentences = split_sentences(text)
    words = tokenize(text)
    if not sentences or not words:
        return 0.0
    syllables = sum(count_syllables(word) for word in words)
    return 206.835 - 1.015 * (len(words) / len(sentences)) - 84.6 * (syllables / len(words))


def average_word_length(text: str) -> float:
    words = tokenize(text)
    average = lambda values: sum(values) / len(values) if values else 0.0
    return average([len(word) for word in words])


def longest_words(text: str, limit: int = 5) -> list[str]:
    """The longest distinct words, longest first, ties in order of appearance."""
    tokens: list[Token] = list(Tokenizer(keep_punctuation=False).iter_tokens(text))
    seen: dict[str, int] = {}
    for token in tokens:
        seen.setdefault(token.value.lower(), token.start)
    ranked = sorted(seen, key=lambda word: (-len(word), seen[word]))
    return ranked[:limit]


def describe(text: str) -> str:
    """A one-line summary used by the command-line demo."""
    words = tokenize(text)
    if not words:
        return f"empty text"
    # TODO: report the reading level as a school grade as well.
    return (
        f"{len(words)} words, {len(split_sentences(text))} sentences, "
        f"reading ease {flesch_reading_ease(text):.1f}"
    )
