"""``check_answer``: compare a final answer with the query's truth, after normalising."""

from __future__ import annotations

import re

from punie.training.queries.model import Query, Truth, Verdict

__all__ = ["check_answer", "normalize"]

_NONE_WORDS = {"none", "no", "nothing", "0", "no results", "n/a", "empty", "zero", "there are none"}
_LOCATION = re.compile(r"([\w./-]+\.py)\D{0,12}?(\d+)")


def normalize(text: str) -> str:
    """Lower case, collapsed whitespace, no surrounding quotes/backticks, no trailing
    punctuation, no ``./`` path prefixes."""
    text = text.strip().strip("`'\"").strip()
    text = re.sub(r"\s+", " ", text).lower()
    text = re.sub(r"(^|[\s,(])\./", r"\1", text)
    return text.rstrip(".!;:").strip().strip("`'\"").strip()


def _location(text: str) -> tuple[str, int] | None:
    match = _LOCATION.search(normalize(text))
    if match is None:
        return None
    return match.group(1).removeprefix("./"), int(match.group(2))


def _count(text: str) -> int | None:
    match = re.search(r"-?\d+", normalize(text))
    return None if match is None else int(match.group())


def _names(text: str) -> frozenset[str]:
    body = normalize(text)
    body = re.sub(r"\band\b", ",", body)
    parts = re.split(r"[,\n;]+|\s+", body)
    return frozenset(normalize(p) for p in parts if normalize(p))


def _yes_no(text: str) -> str | None:
    match = re.match(r"(yes|no)\b", normalize(text))
    return match.group(1) if match else None


def _matches(kind: str, canonical: str, answer: str, exact: bool = False) -> bool:
    if kind == "location":
        return _location(answer) is not None and _location(answer) == _location(canonical)
    if kind == "count":
        return _count(answer) is not None and _count(answer) == _count(canonical)
    if kind == "names":
        return _names(answer) == _names(canonical)
    if kind == "none":
        return normalize(answer) in _NONE_WORDS
    if normalize(canonical) in ("yes", "no"):
        return _yes_no(answer) == normalize(canonical)
    if exact:
        return _squash(canonical) == _squash(answer)
    return normalize(canonical) in normalize(answer)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", normalize(text))


_EXACT_INTENTS = frozenset({"hover.return_type", "workflow.first_error_function"})


def check_answer(query: Query, answer: str | None) -> Verdict:
    """Whether ``answer`` matches ``query.truth`` (or one of its accepted forms)."""
    truth: Truth = query.truth
    if answer is None:
        return Verdict(False, "no answer")
    if not answer.strip():
        return Verdict(False, "empty answer")
    for canonical in (truth.value, *truth.accept):
        if _matches(truth.kind, canonical, answer, query.intent in _EXACT_INTENTS):
            return Verdict(True, "ok")
    shown = answer if len(answer) <= 120 else answer[:117] + "..."
    return Verdict(False, f"{truth.kind} answer {shown!r} != truth {truth.value!r}")
