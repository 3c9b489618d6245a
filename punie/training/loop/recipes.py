"""Training recipes chosen by what the base model is, each measured (see ``benchmarks/``).

A pretrained base (an imported GGUF) keeps its language knowledge under LoRA on every layer;
punie's from-scratch tiny model has none to keep and is trained in full at a high rate.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Final

from punie.agent.prompt import punie_config
from punie.training.train.config import TrainConfig

__all__ = ["PRETRAINED", "ROUND", "SCRATCH", "SCRATCH_IN_LOOP", "recipe_for"]

PRETRAINED: Final = TrainConfig(
    method="lora",
    iters=240,
    batch_size=4,
    learning_rate=3e-4,
    warmup_steps=10,
    lora_rank=16,
    num_layers=-1,
    val_batches=4,
    select="final",
)
"""LoRA rank 16 on all 30 layers, ~1.2 passes over the loop's ~830 training samples (batch 4, ~70
tokens a sample: programs rendered as Python blocks, and the ``bare`` prompt style with no
system line). 2.9 s a step on 2 cores with the output layer on trained positions only (3.3 s
with it everywhere, 4.3 s in a slow hour), in an 18 min 40 s loop that gave 92% right tool and
89% correct on the held-out suite (as two loops before it on the same data).
``benchmarks/pretrained.py`` measures the alternatives (top-8 layers 1.2-1.5x faster, full
fine-tuning 2.3x slower); 120 steps at 5e-4 reached the same validation loss (0.04) but
answered 28% of the held-out suite. The last adapters are kept, not the checkpoint with the
lowest validation loss: that loss is read off 4 batches, and on one loop's data it picked
iteration 119 of 160, which answered 49% of the held-out suite where the last one answered 63%."""
ROUND: Final = dataclasses.replace(
    PRETRAINED,
    iters=40,
    # a continuation: at the first round's 3e-4 the training loss rose from 0.02 to 0.2 and
    # the held-out suite fell from 47% to 27% correct
    learning_rate=5e-5,
    warmup_steps=4,
    repeat_corrected=8,
    select="final",  # the last weights are kept, so nothing is evaluated mid-run
)
"""``punie loop --from-traces --round-from model``: LoRA on the last loop's model, its
deployment samples mixed with replay (:mod:`punie.training.loop.replay`), corrections and
their anchors visited 8 times per pass. On the loop's model and 30 labelled turns (5
corrected), correct answers on the 45 covered cases / the 45 others, from 37 / 43: this recipe
39 / 40 (twice, on two loops' models); without anchors 39 / 39; at 2e-5 36 / 38; unweighted
with 3 of the 5 corrections split off (the old round) 37 / 40. SGD at 0.02 did worse than Adam
at 5e-5 in two of three rounds on an earlier model.

The default round (``round_from="base"``) is not a continuation: it retrains the base with
the first round's recipe on the loop's data and the deployment samples, corrections and
their anchors visited ``ROUND.repeat_corrected`` times per pass, the steps scaled to the
visits (240 -> 295). Measured on the same deployment: 44 / 44; without the anchors 44 / 38
(the corrected fields pulled "the failure count", "every method of X" and "which file"
questions to them on all three repos). On a second deployment (2 corrections, from 48 / 32 on
its 49 covered / 41 other cases): 42 / 34, the continuation 45 / 32, and every labelled turn
weighted like a correction (``round_weigh_labels``) 48 / 33."""
SCRATCH: Final = TrainConfig(
    method="full", iters=300, batch_size=16, learning_rate=3e-3, warmup_steps=30, steps_per_eval=50
)
"""punie's from-scratch tiny model: every parameter, a high rate (it has nothing to keep)."""
SCRATCH_IN_LOOP: Final = dataclasses.replace(SCRATCH, iters=150)
"""The tiny model as the loop's comparison: 150 steps to stay in the loop's budget (at 200 its
validation loss was 0.71 against 0.77 at 150, and it answered 1 of 45 held-out cases)."""


def recipe_for(model_dir: Path) -> TrainConfig:
    """:data:`SCRATCH` for a model ``punie model init-tiny`` built, else :data:`PRETRAINED`."""
    builder = punie_config(Path(model_dir)).get("builder")
    return SCRATCH if builder == "punie model init-tiny" else PRETRAINED
