"""Which model ``ask`` and ``repl`` run when ``--model`` is not given."""

from __future__ import annotations

import sys

from punie.errors import PunieError

__all__ = ["NO_TRAINED_MODEL", "default_model"]

NO_TRAINED_MODEL = (
    "no trained model yet: `punie loop` trains one on the bundled sandboxes (about 20 minutes "
    "on 2 cores) and `ask`/`repl` then use it; or pass --model DIR (an mlx model directory) "
    "or --model openai:URL#MODEL_ID"
)


def default_model() -> str:
    """The newest model ``punie loop`` trained (its identity is printed on stderr); a clear
    error when there is none. Never an untrained model."""
    from punie.training.loop.registry import newest_trained

    found = newest_trained()
    if found is None:
        raise PunieError(NO_TRAINED_MODEL)
    print(f"model: {found.describe()}", file=sys.stderr, flush=True)
    return found.path
