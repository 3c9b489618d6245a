"""The training loss: mlx-lm's masked cross-entropy without its off-by-one, and with logits
only where a token is trained.

mlx-lm 0.32's ``default_loss`` masks targets with ``steps <= length``, which also trains the
padding position after each sample (target id = the pad token). With punie's tokenizer the pad
token is ``<|endoftext|>`` (id 0, a stop token), so an undertrained model learns to stop at once
and answers with nothing. Here the mask ends at the sample's last real token.

It also computes the output layer for every position, prompt and padding included, and on a
CPU that layer is a third of a LoRA step on SmolLM2-135M (a 49,152-word softmax, forward and
backward; MLX's CPU ``exp`` runs at ~70 M values/s). :func:`punie.training.train.batches.
iterate_batches` passes the flat indices of the trained positions, and the loss runs the
output layer on those only: the same loss, ~11% less time a step (``benchmarks/train_step.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mlx.core as mx
import mlx.nn as nn  # pyright: ignore[reportMissingTypeStubs]

__all__ = ["masked_loss", "output_layer"]


def masked_loss(
    model: Any,
    batch: mx.array,
    lengths: mx.array,
    positions: mx.array | None = None,
    weights: mx.array | None = None,
) -> tuple[mx.array, mx.array]:
    """Mean cross-entropy over the trained span ``[offset, length)`` of each sample.

    ``positions`` (flat indices into the ``batch[:, 1:]`` targets) and ``weights`` (1 for a
    trained position, 0 for the padding that rounds their count up) restrict the output layer
    to those positions; without them, or for a model whose output layer is not found, every
    position's logits are computed and masked."""
    inputs = batch[:, :-1]
    targets = batch[:, 1:]
    head = output_layer(model)
    if positions is not None and weights is not None and head is not None:
        hidden: mx.array = model.model(inputs)
        flat = mx.reshape(hidden, (-1, hidden.shape[-1]))
        picked = flat[positions]
        ce = nn.losses.cross_entropy(head(picked), mx.reshape(targets, (-1,))[positions]) * weights
        ntoks = weights.sum()
        return ce.astype(mx.float32).sum() / ntoks, ntoks
    logits = model(inputs)
    steps = mx.arange(1, targets.shape[1] + 1)
    mask = mx.logical_and(steps >= lengths[:, 0:1], steps < lengths[:, 1:])
    ce = nn.losses.cross_entropy(logits, targets) * mask
    ntoks = mask.sum()
    return ce.astype(mx.float32).sum() / ntoks, ntoks


_PLAIN_HEADS = frozenset({"llama", "mistral", "qwen2", "qwen3"})
"""mlx-lm architectures whose logits are exactly ``lm_head`` (or the tied embedding) of
``model.model``'s output: no soft-capping or scaling after it."""


def output_layer(model: Any) -> Callable[[mx.array], mx.array] | None:
    """The map from final hidden states to logits of an mlx-lm llama/qwen-style model (its
    ``lm_head``, or the tied embedding), or None where the model is built otherwise."""
    if getattr(model, "model_type", None) not in _PLAIN_HEADS:
        return None
    inner = getattr(model, "model", None)
    if inner is None or not callable(inner):
        return None
    args = getattr(model, "args", None)
    tied = bool(getattr(args, "tie_word_embeddings", False))
    if not tied and hasattr(model, "lm_head"):
        head: Callable[[mx.array], mx.array] = model.lm_head
        return head
    embed = getattr(inner, "embed_tokens", None)
    if tied and embed is not None and hasattr(embed, "as_linear"):
        linear: Callable[[mx.array], mx.array] = embed.as_linear
        return linear
    return None
