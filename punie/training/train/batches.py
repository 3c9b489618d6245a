"""Training batches padded to the batch's own longest sample (rounded up to 8 tokens).

mlx-lm's ``iterate_batches`` pads every batch to one plus a multiple of 32 tokens. punie's
samples are short (a question and a program, ~50-120 tokens), so that is a quarter or more of
every step spent on padding, which on a CPU is compute-bound time. This is the same contract
(samples sorted by length into batches, batches visited in a seeded random order, ``(tokens,
(offset, length))`` per row) with tight padding; the masked loss never reads the padding.
Each batch also carries the flat indices of its trained target positions (padded to a
multiple of 32 with weight 0), so the loss runs the output layer there only
(:mod:`punie.training.train.loss`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import mlx.core as mx
import numpy as np

__all__ = ["PAD_TO", "POSITIONS_PAD_TO", "Repeated", "iterate_batches", "trained_positions"]

PAD_TO = 8
POSITIONS_PAD_TO = 32


def iterate_batches(
    dataset: Any,
    batch_size: int,
    max_seq_length: int,
    loop: bool = False,
    seed: int | None = None,
    comm_group: Any = None,
) -> Iterator[tuple[mx.array, mx.array, mx.array, mx.array]]:
    """Batches of ``dataset`` (an mlx-lm ``CacheDataset`` of ``(tokens, offset)`` items)."""
    if comm_group is not None and comm_group.size() > 1:
        raise ValueError("punie's batches are for one process")
    if len(dataset) < batch_size:
        raise ValueError(
            f"Dataset must have at least batch_size={batch_size} examples "
            f"but only has {len(dataset)}."
        )
    order = sorted(range(len(dataset)), key=lambda i: int(dataset.itemlen(i)))
    groups = [order[i : i + batch_size] for i in range(0, len(order) - batch_size + 1, batch_size)]
    rng = np.random.default_rng(seed)
    while True:
        for g in rng.permutation(len(groups)):
            rows = [dataset[j] for j in groups[int(g)]]
            tokens = [list(r[0])[:max_seq_length] for r in rows]
            offsets = [int(r[1]) for r in rows]
            lengths = [len(t) for t in tokens]
            width = min(max_seq_length, PAD_TO * ((max(lengths) + PAD_TO - 1) // PAD_TO))
            array = np.zeros((len(rows), width), np.int32)
            for k, row in enumerate(tokens):
                array[k, : len(row)] = row
            positions, weights = trained_positions(offsets, lengths, width - 1)
            spans = mx.array(list(zip(offsets, lengths, strict=True)))
            yield mx.array(array), spans, positions, weights
        if not loop:
            break


def trained_positions(
    offsets: list[int], lengths: list[int], width: int
) -> tuple[mx.array, mx.array]:
    """Flat indices into a batch's ``[:, 1:]`` targets (rows ``width`` long) of the trained
    positions, ``[offset - 1, length - 1)`` in each row (the mask of ``masked_loss``), padded
    to a multiple of :data:`POSITIONS_PAD_TO` (few distinct shapes, so few compilations), and
    their weights (0 for the padding)."""
    flat = [
        row * width + j
        for row, (offset, length) in enumerate(zip(offsets, lengths, strict=True))
        for j in range(max(offset - 1, 0), length - 1)
    ]
    size = max(POSITIONS_PAD_TO, -(-len(flat) // POSITIONS_PAD_TO) * POSITIONS_PAD_TO)
    weights = np.zeros(size, np.float32)
    weights[: len(flat)] = 1.0
    indices = np.zeros(size, np.int32)
    indices[: len(flat)] = flat
    return mx.array(indices), mx.array(weights)


class Repeated:
    """A view of a dataset that visits row ``i`` ``repeats[i]`` times per pass: a weight on a
    sample without a duplicate row in the dataset (which the audit refuses). The copies sort
    next to each other by length, so a batch may hold one twice: that is the weight, too."""

    def __init__(self, dataset: Any, repeats: list[int]) -> None:
        if len(repeats) != len(dataset):
            raise ValueError(f"{len(repeats)} repeats for a dataset of {len(dataset)} rows")
        self._dataset = dataset
        self._index = [i for i, n in enumerate(repeats) for _ in range(max(n, 0))]

    def __len__(self) -> int:
        return len(self._index)

    def __getitem__(self, k: int) -> Any:
        return self._dataset[self._index[k]]

    def itemlen(self, k: int) -> int:
        return int(self._dataset.itemlen(self._index[k]))
