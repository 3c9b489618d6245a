"""textkit: small, dependency-free text processing."""

from textkit.ngrams import char_ngrams, word_ngrams
from textkit.normalizer import normalize_text, strip_accents
from textkit.similarity import cosine_similarity, jaccard_similarity
from textkit.stats import flesch_reading_ease, type_token_ratio, word_frequencies
from textkit.stemmer import SuffixStemmer, stem
from textkit.stopwords import ENGLISH_STOPWORDS, remove_stopwords
from textkit.tokenizer import Token, Tokenizer, split_sentences, tokenize

__all__ = [
    "ENGLISH_STOPWORDS",
    "SuffixStemmer",
    "Token",
    "Tokenizer",
    "char_ngrams",
    "cosine_similarity",
    "flesch_reading_ease",
    "jaccard_similarity",
    "normalize_text",
    "remove_stopwords",
    "split_sentences",
    "stem",
    "strip_accents",
    "tokenize",
    "type_token_ratio",
    "word_frequencies",
    "word_ngrams",
]
