"""Rehearsal for ``punie loop --from-traces``: the loop's own training split mixed into a
round of deployment samples. The default round retrains the base on all of it
(:func:`add_all`, the corrections' :func:`anchors` weighted); a continuation of the loop's
model (``--round-from model``) takes a sample of it, chosen so the round keeps the first
round's mix (:func:`add_replay`).

A round on a few dozen deployment traces alone teaches the model those questions and makes it
forget the rest: measured on the held-out suite, 16/36 -> 25/36 on the covered cases but
26/54 -> 10/54 on the others (direct answers 60% -> 0%). Replay drawn at random keeps the
first round's mix only on top of the deployment samples, which are all code for the tools a
user happened to ask about. A continuation's replay has two halves:

* the *neighbours* of each deployment sample: the training questions that share the most
  words with it. A correction moves the model most on questions worded like it, which are
  often a sibling intent's ("... give me the error total" corrected to the error count moved
  "... how many tests it executed altogether" to the failed count); rehearsing those keeps
  the boundary where it was;
* the rest drawn per *kind* of answer (the set of tools a sample calls, or none for a prose
  answer) so that the round as a whole has the kinds in the first round's proportions.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

__all__ = [
    "add_all",
    "add_replay",
    "anchors",
    "fold_round",
    "kind_of",
    "neighbours",
    "questions",
    "restoring_counts",
]

Pair = tuple[str, str]
"""A dataset row and its meta line."""


def fold_round(data: Path, source: Path, valid: int = 8) -> int:
    """Put every deployment sample of ``data`` into its train split, and the first ``valid``
    samples of the loop's own valid split (``source``) whose question the round does not ask in
    as its valid split; return how many samples were moved. A round's labels are few and all
    of them are signal: split 80/10/10, one measured round trained 2 of its 5 corrections and
    held the other 3 out. The borrowed valid split gives a loss to watch; nothing is selected
    by it (the round keeps its final weights)."""
    held = _pairs(data, "valid") + _pairs(data, "test")
    mine = _pairs(data) + held
    _write(data, "train", mine)
    for name in ("test.jsonl", "test.meta.jsonl"):
        (data / name).unlink(missing_ok=True)
    asked = {q for row, _ in mine for q in _row_questions(row)}  # a user may ask one of them
    borrowed = [p for p in _pairs(source, "valid") if not _row_questions(p[0]) & asked]
    _write(data, "valid", borrowed[:valid])
    return len(held)


def add_replay(data: Path, source: Path, per_sample: int, seed: int) -> int:
    """Append to ``data``'s train split ``per_sample`` samples of ``source``'s train split for
    each deployment sample (rows and their meta lines together, shuffled in); return how many.
    A question the round already holds is never replayed (no duplicate, no leak)."""
    mine, pool = _pairs(data), _pairs(source)
    if per_sample <= 0 or not mine:
        return 0
    asked = questions(data)
    pool = [(r, m) for r, m in pool if not (_row_questions(r) & asked)]
    rng = random.Random(seed)
    budget = min(len(pool), per_sample * len(mine))
    anchored = anchors(mine, pool)
    held = {row for row, _ in anchored}
    rest = [p for p in pool if p[0] not in held]
    chosen = anchored + neighbours(
        mine, rest, min(budget, len(mine) * (per_sample // 2)) - len(anchored)
    )
    taken = {row for row, _ in chosen}
    groups: dict[tuple[str, ...], list[Pair]] = defaultdict(list)
    for pair in pool:
        if pair[0] not in taken:
            groups[kind_of(pair[1])].append(pair)
    counts = restoring_counts(
        Counter(kind_of(m) for _, m in mine + chosen),
        {k: len(v) for k, v in groups.items()},
        budget - len(chosen),
    )
    chosen += [p for k, n in counts.items() for p in rng.sample(groups[k], n)]
    mixed = mine + chosen
    rng.shuffle(mixed)
    _write(data, "train", mixed)
    return len(chosen)


def add_all(data: Path, source: Path, seed: int, weigh_labels: bool = False) -> int:
    """Append to ``data``'s train split every sample of ``source``'s train split whose
    question the round does not already hold (shuffled in); return how many. For a round that
    retrains from the base model: the first round's data, and the deployment samples on top.
    The :func:`anchors` of the corrections are marked in place (weighted like them), and with
    ``weigh_labels`` every deployment sample is marked ``weighted`` too, not only the
    corrections."""
    mine = _pairs(data)
    if weigh_labels:
        mine = [(r, json.dumps({**json.loads(m), "weighted": True})) for r, m in mine]
    asked = questions(data)
    pool = [(r, m) for r, m in _pairs(source) if not (_row_questions(r) & asked)]
    marked = dict(anchors(mine, pool))
    pool = [(r, marked.get(r, m)) for r, m in pool]
    mixed = mine + pool
    random.Random(seed).shuffle(mixed)
    _write(data, "train", mixed)
    return len(pool)


def anchors(mine: list[Pair], pool: list[Pair]) -> list[Pair]:
    """One sample of ``pool`` for every intent that calls a tool some corrected deployment
    sample calls: the one whose question shares the most words with the corrections, its meta
    marked ``anchor``. A correction is weighted (``repeat_corrected``), and alone it pulled
    its tool's other questions along: fixing "the id of the test that breaks" turned "how
    many tests it executed altogether" from ``len(r.tests)`` to ``r.failed`` on all three
    repos. The anchors are weighted the same, so each sibling keeps its own answer."""
    fixes = [(r, m) for r, m in mine if json.loads(m).get("corrected")]
    tools = {str(t) for _, m in fixes for t in json.loads(m).get("tools") or ()}
    if not tools:
        return []
    words: set[str] = set()
    for row, _ in fixes:
        words |= _words(row)
    best: dict[str, tuple[float, int]] = {}
    for index, (row, meta) in enumerate(pool):
        info: Any = json.loads(meta)
        intent = info.get("intent")
        if not intent or not tools & {str(t) for t in info.get("tools") or ()}:
            continue
        own = _words(row)
        score = len(own & words) / (len(own | words) or 1)
        if intent not in best or score > best[intent][0]:
            best[intent] = (score, index)
    out: list[Pair] = []
    for intent in sorted(best):
        row, meta = pool[best[intent][1]]
        out.append((row, json.dumps({**json.loads(meta), "anchor": True})))
    return out


def neighbours(mine: list[Pair], pool: list[Pair], n: int) -> list[Pair]:
    """``n`` samples of ``pool`` whose questions share the most words with the deployment
    samples' (Jaccard on lower-case words), taken in turn for each deployment sample."""
    if n <= 0:
        return []
    words = [_words(r) for r, _ in pool]
    ranked: list[list[int]] = []
    for row, _ in mine:
        own = _words(row)
        scores = [len(own & w) / (len(own | w) or 1) for w in words]
        ranked.append(sorted(range(len(pool)), key=lambda i: -scores[i]))
    picked: list[int] = []
    seen: set[int] = set()
    depth = 0
    while len(picked) < n and depth < len(pool):
        for order in ranked:
            if len(picked) < n and order[depth] not in seen:
                seen.add(order[depth])
                picked.append(order[depth])
        depth += 1
    return [pool[i] for i in picked]


def kind_of(meta_line: str) -> tuple[str, ...]:
    """The kind of answer a sample teaches: the sorted tools it calls (``()`` for prose)."""
    meta: Any = json.loads(meta_line)
    return tuple(sorted({str(t) for t in meta.get("tools") or ()}))


def restoring_counts(
    deployed: Counter[tuple[str, ...]], available: dict[tuple[str, ...], int], n: int
) -> dict[tuple[str, ...], int]:
    """How many of ``n`` replay samples to draw of each kind, so that the deployed samples and
    the replay together come closest to ``available``'s proportions (never more of a kind
    than it has; a shortfall is filled from the kinds with samples left)."""
    pool = sum(available.values())
    if n <= 0 or pool == 0:
        return {}
    total = n + sum(deployed.values())
    gap = {k: max(0.0, have * total / pool - deployed[k]) for k, have in available.items()}
    scale = n / (sum(gap.values()) or 1.0)
    wanted = {k: min(available[k], g * scale) for k, g in gap.items()}
    counts = {k: int(w) for k, w in wanted.items()}
    short = n - sum(counts.values())
    for k in sorted(available, key=lambda k: wanted[k] - counts[k], reverse=True):
        if short and counts[k] < available[k]:  # largest remainders first
            counts[k] += 1
            short -= 1
    for k in sorted(available, key=lambda k: available[k], reverse=True):
        take = min(short, available[k] - counts[k])  # a capped kind left a shortfall
        counts[k] += take
        short -= take
    return {k: c for k, c in counts.items() if c}


def questions(data: Path) -> set[str]:
    """The user questions of a dataset directory's samples."""
    found: set[str] = set()
    for name in ("train.jsonl", "valid.jsonl", "test.jsonl"):
        path = data / name
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                found |= _row_questions(line)
    return found


def _write(folder: Path, split: str, pairs: list[Pair]) -> None:
    for index, name in enumerate((f"{split}.jsonl", f"{split}.meta.jsonl")):
        text = "".join(pair[index] + "\n" for pair in pairs)
        (folder / name).write_text(text, encoding="utf-8")


def _pairs(folder: Path, split: str = "train") -> list[Pair]:
    rows, metas = (folder / name for name in (f"{split}.jsonl", f"{split}.meta.jsonl"))
    if not rows.is_file() or not metas.is_file():
        return []
    lines = rows.read_text(encoding="utf-8").splitlines()
    return list(zip(lines, metas.read_text(encoding="utf-8").splitlines(), strict=True))


def _words(line: str) -> set[str]:
    return {w for q in _row_questions(line) for w in re.findall(r"[a-z]+", q.lower())}


def _row_questions(line: str) -> set[str]:
    """The user questions of one dataset line."""
    sample: Any = json.loads(line)
    return {
        str(m.get("content", "")).strip()
        for m in sample.get("messages", [])
        if m.get("role") == "user"
    }
