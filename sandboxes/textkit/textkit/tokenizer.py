"""Regex-based word and sentence tokenization."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

WORD_RE = re.compile(r"[A-Za-z0-9]+(?:['\u2019][A-Za-z]+)*|[^\sA-Za-z0-9]")
SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'])")
ABBREVIATIONS = frozenset({"dr", "mr", "mrs", "ms", "prof", "st", "vs", "e.g", "i.e"})


@dataclass(frozen=True)
class Token:
    """A token and its character offsets in the original text."""

    text: str
    start: int
    end: int

    @property
    def is_word(self) -> bool:
        return self.text[0].isalnum()

    def lower(self) -> str:
        return self.text.lower()


class Tokenizer:
    """Splits text into word and punctuation tokens.

    Contractions ("don't", "it's") stay one token. With ``keep_punctuation=False``
    only word tokens are produced.
    """

    def __init__(self, *, keep_punctuation: bool = True, lowercase: bool = False) -> None:
        self.keep_punctuation = keep_punctuation
        self.lowercase = lowercase

    def iter_tokens(self, text: str) -> Iterator[Token]:
        for match in WORD_RE.finditer(text):
            value = match.group()
            if self.lowercase:
                value = value.lower()
            token = Token(value, match.start(), match.end())
            if token.is_word or self.keep_punctuation:
                yield token

    def tokenize(self, text: str) -> list[str]:
        # TODO: keep hyphenated compounds ("state-of-the-art") together as one token.
        return [token.text for token in self.iter_tokens(text)]


def tokenize(text: str, *, lowercase: bool = True) -> list[str]:
    """Word tokens only, lowercased by default."""
    return Tokenizer(keep_punctuation=False, lowercase=lowercase).tokenize(text)


def split_sentences(text: str) -> list[str]:
    """Split on terminal punctuation followed by a capital, keeping common abbreviations."""
    pieces = SENTENCE_END_RE.split(text.strip())
    sentences: list[str] = []
    for piece in pieces:
        if sentences and _ends_with_abbreviation(sentences[-1]):
            sentences[-1] = f"{sentences[-1]} {piece}"
        else:
            sentences.append(piece)
    return [sentence for sentence in sentences if sentence]


def _ends_with_abbreviation(sentence: str) -> bool:
    last_word = sentence.rsplit(None, 1)[-1].rstrip(".").lower()
    return last_word in ABBREVIATIONS
