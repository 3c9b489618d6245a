import unittest
from collections import Counter

from textkit.ngrams import char_ngrams, most_common_ngrams
from textkit.similarity import cosine_similarity, fuzzy_match, jaccard_similarity, text_similarity
from textkit.stopwords import remove_stopwords


class SimilarityTests(unittest.TestCase):
    def test_jaccard(self) -> None:
        self.assertAlmostEqual(jaccard_similarity("abc", "bcd"), 0.5)
        self.assertEqual(jaccard_similarity([], []), 1.0)

    def test_cosine_identical_and_disjoint(self) -> None:
        bag = Counter({"red": 2, "fish": 1})
        self.assertAlmostEqual(cosine_similarity(bag, bag), 1.0)
        self.assertEqual(cosine_similarity(bag, Counter({"blue": 1})), 0.0)

    def test_text_similarity_ignores_case(self) -> None:
        self.assertAlmostEqual(text_similarity("Red fish", "red FISH"), 1.0)

    def test_fuzzy_match(self) -> None:
        self.assertEqual(fuzzy_match("colour", ["color", "collar", "dolor"], 0.3), ["color"])


class NgramTests(unittest.TestCase):
    def test_char_ngrams_padded(self) -> None:
        self.assertEqual(char_ngrams("ab", 2), [" a", "ab", "b "])

    def test_most_common_ngrams(self) -> None:
        tokens = "to be or not to be".split()
        self.assertEqual(most_common_ngrams(tokens, 2, limit=1), [(("to", "be"), 2)])

    def test_invalid_n(self) -> None:
        with self.assertRaises(ValueError):
            char_ngrams("abc", 0)


def test_remove_stopwords_keeps_case():
    assert remove_stopwords(["The", "Quick", "fox", "IS", "here"]) == ["Quick", "fox"]
