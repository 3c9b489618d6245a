"""``generate_queries``: questions from an inventory, with stable uids."""

from __future__ import annotations

import dataclasses
import hashlib
import random
from typing import Literal

from punie.training.queries.flaws import flawed
from punie.training.queries.intents import DIRECT, INTENTS, Candidate, IntentSpec
from punie.training.queries.model import Inventory, Query, Truth
from punie.training.queries.programs import synthesize

__all__ = ["PhrasingSet", "generate_queries", "query_uid"]

PhrasingSet = Literal["train", "holdout", "all"]


def query_uid(repo: str, intent: str, target: str, phrasing: int) -> str:
    key = "\x1f".join([repo, intent, target, str(phrasing)])
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def _allowed(count: int, holdout: int, phrasings: PhrasingSet) -> list[int]:
    cut = count - holdout
    if phrasings == "train":
        return list(range(cut))
    if phrasings == "holdout":
        return list(range(cut, count))
    return list(range(count))


def _pick(
    rng: random.Random, candidates: list[Candidate], allowed: list[int], per_intent: int
) -> list[tuple[Candidate, int]]:
    if not candidates or not allowed:
        return []
    chosen = rng.sample(candidates, min(per_intent, len(candidates)))
    picks: list[tuple[Candidate, int]] = []
    used: set[tuple[str, int]] = set()
    round_ = 0
    while len(picks) < per_intent and round_ < len(allowed):
        for cand in chosen:
            if len(picks) == per_intent:
                break
            phrasing = _unused_phrasing(rng, cand.target, allowed, used)
            if phrasing is not None:
                picks.append((cand, phrasing))
        round_ += 1
    return picks


def _unused_phrasing(
    rng: random.Random, target: str, allowed: list[int], used: set[tuple[str, int]]
) -> int | None:
    """A phrasing ``target`` has not been asked in yet (recorded in ``used``), or None."""
    free = [p for p in allowed if (target, p) not in used]
    if not free:
        return None
    phrasing = rng.choice(free)
    used.add((target, phrasing))
    return phrasing


def _query(inv: Inventory, spec: IntentSpec, cand: Candidate, phrasing: int) -> Query:
    return Query(
        uid=query_uid(inv.name, spec.intent, cand.target, phrasing),
        repo=inv.name,
        category=spec.category,
        intent=spec.intent,
        question=spec.templates[phrasing].format(**cand.fill),
        symbol=cand.symbol,
        expected_tools=spec.tools,
        expected_fields=spec.fields,
        truth=cand.truth,
        phrasing=phrasing,
        holdout_phrasing=spec.is_holdout(phrasing),
    )


def _recoveries(
    rng: random.Random,
    inv: Inventory,
    spec: IntentSpec,
    picks: list[tuple[Candidate, int]],
    allowed: list[int],
    count: int,
) -> list[Query]:
    """Up to ``count`` recovery queries: the first picks' targets, each in a phrasing none of
    the picks gave it (so every question of a repo stays unique), with a flawed first try."""
    used = {(cand.target, phrasing) for cand, phrasing in picks}
    out: list[Query] = []
    for cand, _ in picks:
        if len(out) == count:
            break
        phrasing = _unused_phrasing(rng, cand.target, allowed, used)
        if phrasing is None:
            continue
        plain = _query(inv, spec, cand, phrasing)
        query = dataclasses.replace(
            plain, uid=query_uid(inv.name, f"{spec.intent}+recovery", cand.target, phrasing)
        )
        first_try = flawed(synthesize(query), int(query.uid[8:], 16))
        if first_try is not None:
            out.append(dataclasses.replace(query, first_try=first_try))
    return out


def generate_queries(
    inventory: Inventory,
    *,
    seed: int = 0,
    per_intent: int = 4,
    phrasings: PhrasingSet = "train",
    recovery: int = 0,
) -> list[Query]:
    """Up to ``per_intent`` questions per intent (distinct targets first, then other phrasings
    of the same targets), with phrasings drawn from the ``phrasings`` set; and ``recovery``
    recovery queries (a flawed first try, then the teacher's program:
    :mod:`punie.training.queries.flaws`), one for each of that many intents answered with tools,
    drawn by seed and repo (so two repos cover different intents)."""
    out: list[Query] = []
    names = [spec.intent for spec in INTENTS]
    drawn = random.Random(f"{seed}:{inventory.name}:recovery")
    recovering = set(drawn.sample(names, min(max(recovery, 0), len(names))))
    for spec in INTENTS:
        rng = random.Random(f"{seed}:{inventory.name}:{spec.intent}")
        allowed = _allowed(len(spec.templates), spec.holdout, phrasings)
        picks = _pick(rng, spec.candidates(inventory), allowed, per_intent)
        out.extend(_query(inventory, spec, cand, phrasing) for cand, phrasing in picks)
        if spec.intent in recovering:
            out.extend(_recoveries(rng, inventory, spec, picks, allowed, 1))
    for item in DIRECT:
        rng = random.Random(f"{seed}:{inventory.name}:{item.intent}")
        allowed = _allowed(len(item.templates), item.holdout, phrasings)
        for phrasing in sorted(rng.sample(allowed, min(per_intent, len(allowed)))):
            out.append(
                Query(
                    uid=query_uid(inventory.name, item.intent, "-", phrasing),
                    repo=inventory.name,
                    category="direct",
                    intent=item.intent,
                    question=item.templates[phrasing],
                    symbol=None,
                    expected_tools=(),
                    expected_fields=(),
                    truth=Truth("text", item.keywords[0], item.keywords[1:]),
                    phrasing=phrasing,
                    holdout_phrasing=phrasing >= len(item.templates) - item.holdout,
                )
            )
    return out
