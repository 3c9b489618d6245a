"""The training loss: mlx-lm's masked cross-entropy without its off-by-one.

mlx-lm 0.32's ``default_loss`` masks targets with ``steps <= length``, which also trains the
padding position after each sample (target id = the pad token). With punie's tokenizer the pad
token is ``<|endoftext|>`` (id 0, a stop token), so an undertrained model learns to stop at once
and answers with nothing. Here the mask ends at the sample's last real token.
"""

from __future__ import annotations

from typing import Any

import mlx.core as mx
import mlx.nn as nn  # pyright: ignore[reportMissingTypeStubs]

__all__ = ["masked_loss"]


def masked_loss(model: Any, batch: mx.array, lengths: mx.array) -> tuple[mx.array, mx.array]:
    """Mean cross-entropy over the trained span ``[offset, length)`` of each sample."""
    inputs = batch[:, :-1]
    targets = batch[:, 1:]
    logits = model(inputs)
    steps = mx.arange(1, targets.shape[1] + 1)
    mask = mx.logical_and(steps >= lengths[:, 0:1], steps < lengths[:, 1:])
    ce = nn.losses.cross_entropy(logits, targets) * mask
    ntoks = mask.sum()
    return ce.astype(mx.float32).sum() / ntoks, ntoks
