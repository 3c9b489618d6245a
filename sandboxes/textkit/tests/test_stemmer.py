from textkit.stemmer import SuffixStemmer, stem


def test_inflections_share_a_stem():
    assert {stem(word) for word in ("connected", "connecting", "connection", "connects")} == {
        "connect"
    }


def test_ies_becomes_y():
    assert stem("ponies") == "pony"
    assert stem("studies") == "study"


def test_short_words_are_untouched():
    assert stem("is") == "is"
    assert stem("bus") == "bus"


def test_doubled_consonant_is_undoubled():
    assert stem("stopped") == "stop"
    assert stem("falling") == "fall"


def test_exceptions():
    stemmer = SuffixStemmer(exceptions={"data": "datum"})
    assert stemmer.stem_all(["Data", "news"]) == ["datum", "new"]
    assert stem("news") == "news"
