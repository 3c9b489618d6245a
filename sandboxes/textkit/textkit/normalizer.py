"""Unicode and whitespace normalization."""

from __future__ import annotations

import re
import string
import unicodedata

WHITESPACE_RE = re.compile(r"\s+")
QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
DASHES = str.maketrans({"\u2013": "-", "\u2014": "-"})


def strip_accents(text: str) -> str:
    """Remove combining marks: "Crème brûlée" -> "Creme brulee"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def collapse_whitespace(text: str) -> str:
    return WHITESPACE_RE.sub(" ", text).strip()


def normalize_quotes(text: str) -> str:
    """Curly quotes and en/em dashes to their ASCII forms."""
    return text.translate(QUOTES).translate(DASHES)


def normalize_text(text: str, *, accents: bool = False, case: bool = True) -> str:
    """NFC, ASCII quotes, single spaces; optionally strip accents and casefold."""
    text = unicodedata.normalize("NFC", text)
    text = normalize_quotes(text)
    if accents:
        text = strip_accents(text)
    if case:
        text = text.casefold()
    return collapse_whitespace(text)


def remove_punctuation(text: str, keep: str = "'-") -> str:
    table = {ord(ch): None for ch in string.punctuation if ch not in keep}
    return text.translate(table)


def slugify(text: str, separator: str = "-") -> str:
    """A URL slug: ASCII letters and digits joined by ``separator``."""
    ascii_text = strip_accents(text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return separator.join(words)
