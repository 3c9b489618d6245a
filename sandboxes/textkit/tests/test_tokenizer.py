from textkit.tokenizer import Token, Tokenizer, split_sentences, tokenize


def test_tokenize_lowercases_and_drops_punctuation():
    assert tokenize("Hello, World!") == ["hello", "world"]


def test_contractions_stay_whole():
    assert tokenize("Don't stop, it's fine") == ["don't", "stop", "it's", "fine"]


def test_tokens_carry_offsets():
    tokens = list(Tokenizer().iter_tokens("Hi there."))
    assert tokens == [Token("Hi", 0, 2), Token("there", 3, 8), Token(".", 8, 9)]


def test_split_sentences_keeps_abbreviations():
    text = "Dr. Smith arrived. He was late! Was he? Yes."
    assert split_sentences(text) == ["Dr. Smith arrived.", "He was late!", "Was he?", "Yes."]


def test_split_sentences_without_final_punctuation():
    assert split_sentences("One. Two") == ["One.", "Two"]
