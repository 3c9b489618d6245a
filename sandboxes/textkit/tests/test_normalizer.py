import unittest

from textkit.normalizer import (
    collapse_whitespace,
    normalize_text,
    remove_punctuation,
    slugify,
    strip_accents,
)


class NormalizerTests(unittest.TestCase):
    def test_strip_accents(self) -> None:
        self.assertEqual(strip_accents("Crème brûlée"), "Creme brulee")

    def test_collapse_whitespace(self) -> None:
        self.assertEqual(collapse_whitespace("  a \t b\n\nc "), "a b c")

    def test_normalize_text_quotes_and_case(self) -> None:
        self.assertEqual(normalize_text("\u201cIt\u2019s  DONE\u201d"), '"it\'s done"')

    def test_normalize_text_keeps_accents_by_default(self) -> None:
        self.assertEqual(normalize_text("Café"), "café")
        self.assertEqual(normalize_text("Café", accents=True), "cafe")

    def test_remove_punctuation_keeps_apostrophes(self) -> None:
        self.assertEqual(remove_punctuation("well-known, isn't it?"), "well-known isn't it")

    def test_slugify(self) -> None:
        self.assertEqual(slugify("Ünïcode & You: A Guide!"), "unicode-you-a-guide")
