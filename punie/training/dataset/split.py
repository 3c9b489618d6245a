"""Splitting by (repo, symbol) groups, holdout repos, and seeded shuffling.

Every sample of a group (same repo and symbol; without a symbol, same repo and question) lands in
one split, so no valid/test sample shares a symbol with train. Groups of holdout repos all go to
``test``. The other groups are ordered by a seeded shuffle and each is given to the split that is
furthest below its target share (``valid_fraction``/``test_fraction`` of the non-holdout samples;
train takes the rest). Within a split, samples are shuffled with a seed derived from ``seed`` and
the split name; an order with a run of one category that a random order would produce with
probability < 1% (:func:`~punie.training.dataset.formats.max_run_flags`) is reshuffled, up to
100 times, deterministically.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from punie.errors import PunieError
from punie.training.dataset.formats import max_run_flags, sample_key
from punie.training.dataset.select import Sample

__all__ = ["SPLITS", "Splits", "shuffle_split", "split_samples"]

SPLITS = ("train", "valid", "test")


@dataclass
class Splits:
    train: list[Sample] = field(default_factory=lambda: [])
    valid: list[Sample] = field(default_factory=lambda: [])
    test: list[Sample] = field(default_factory=lambda: [])

    def by_name(self) -> dict[str, list[Sample]]:
        return {"train": self.train, "valid": self.valid, "test": self.test}


def _order_key(sample: Sample) -> tuple[str, str, int]:
    """By content first: a trace's uid is random per run, and the harvest writes repos in the
    order their turns finish, so only the samples' own text gives the same order (and the same
    dataset bytes for the same seed) in every run that harvests the same samples."""
    content = sample_key(sample.record()["messages"])
    return (content, sample.trace_uid, -1 if sample.step is None else sample.step)


def split_samples(
    samples: Sequence[Sample],
    *,
    holdout: Sequence[str],
    valid_fraction: float,
    test_fraction: float,
    seed: int,
) -> Splits:
    if not 0 < valid_fraction < 1 or not 0 <= test_fraction < 1:
        raise PunieError("--valid-fraction must be in (0, 1) and --test-fraction in [0, 1)")
    if valid_fraction + test_fraction >= 1:
        raise PunieError("--valid-fraction plus --test-fraction must leave samples for train")
    held = set(holdout)
    groups: dict[tuple[str, str], list[Sample]] = {}
    for sample in sorted(samples, key=_order_key):
        groups.setdefault(sample.group, []).append(sample)
    splits = Splits()
    free: list[tuple[str, str]] = []
    for key in sorted(groups):
        if key[0] in held:
            splits.test.extend(groups[key])
        else:
            free.append(key)
    random.Random(f"split:{seed}").shuffle(free)
    total = sum(len(groups[k]) for k in free)
    targets = {"valid": valid_fraction * total, "test": test_fraction * total}
    targets["train"] = total - targets["valid"] - targets["test"]
    counts = {"train": 0, "valid": 0, "test": 0}
    assigned: dict[str, list[tuple[str, str]]] = {"train": [], "valid": [], "test": []}
    for key in free:
        name = max(("train", "valid", "test"), key=lambda n: targets[n] - counts[n])
        assigned[name].append(key)
        counts[name] += len(groups[key])
    if not assigned["valid"] and len(assigned["train"]) > 1:
        smallest = min(assigned["train"], key=lambda k: (len(groups[k]), k))
        assigned["train"].remove(smallest)
        assigned["valid"].append(smallest)
    for name, keys in assigned.items():
        for key in keys:
            splits.by_name()[name].extend(groups[key])
    if not splits.train or not splits.valid:
        raise PunieError(
            f"not enough (repo, symbol) groups to split: {len(free)} outside holdout repos "
            f"gave {len(splits.train)} train and {len(splits.valid)} valid samples; "
            "both must be non-empty"
        )
    for name, part in splits.by_name().items():
        part[:] = shuffle_split(part, seed=seed, name=name)
    return splits


def shuffle_split(samples: Sequence[Sample], *, seed: int, name: str) -> list[Sample]:
    ordered = sorted(samples, key=_order_key)
    rng = random.Random(f"shuffle:{seed}:{name}")
    best: list[Sample] = list(ordered)
    best_flags = -1
    for _ in range(100):
        candidate = list(ordered)
        rng.shuffle(candidate)
        flags = len(max_run_flags([s.category for s in candidate]))
        if best_flags < 0 or flags < best_flags:
            best, best_flags = candidate, flags
        if flags == 0:
            break
    return best
