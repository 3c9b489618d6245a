from textkit.stats import (
    average_word_length,
    count_syllables,
    describe,
    flesch_reading_ease,
    type_token_ratio,
    word_frequencies,
)


def test_word_frequencies():
    counts = word_frequencies("The cat sat. The cat ran!")
    assert counts["the"] == 2
    assert counts["cat"] == 2
    assert counts["ran"] == 1


def test_word_frequencies_without_stopwords():
    counts = word_frequencies("The cat and the hat", skip_stopwords=True)
    assert sorted(counts) == ["cat", "hat"]


def test_type_token_ratio():
    assert type_token_ratio(["a", "b", "a", "c"]) == 0.75


def test_type_token_ratio_of_no_words():
    assert type_token_ratio([]) == 0.0


def test_count_syllables():
    assert count_syllables("cat") == 1
    assert count_syllables("table") == 2
    assert count_syllables("make") == 1
    assert count_syllables("readability") == 5


def test_flesch_simple_text_is_easy():
    assert flesch_reading_ease("The cat sat on the mat. It was a good cat.") > 90


def test_average_word_length():
    assert average_word_length("aa bbbb") == 3.0
    assert average_word_length("") == 0.0


def test_describe():
    assert describe("") == "empty text"
    assert describe("One two. Three.").startswith("3 words, 2 sentences")
