"""``punie train --data DIR --model M --out OUT``: fine-tune with mlx-lm, then fuse and quantize.

On Linux the command restarts itself once with OpenBLAS preloaded (``PUNIE_NO_OPENBLAS=1`` to
opt out); see :mod:`punie.model.openblas`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # pyright: ignore[reportPrivateUsage]
    parser = sub.add_parser(
        "train", help="train a model on a dataset directory (LoRA, DoRA or full), fuse, quantize"
    )
    parser.add_argument("--data", type=Path, required=True, help="directory with train/valid.jsonl")
    parser.add_argument(
        "--model",
        type=Path,
        default=None,
        help="model directory (default: the embedded tiny model, built on first use)",
    )
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--method", choices=("lora", "dora", "full"), default=None)
    parser.add_argument("--config", type=Path, default=None, help="JSON or YAML training options")
    parser.add_argument("--iters", type=int, default=None)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--learning-rate", type=float, default=None)
    parser.add_argument("--steps-per-eval", type=int, default=None, help="checkpoint interval K")
    parser.add_argument(
        "--repeat-corrected",
        type=int,
        default=None,
        metavar="N",
        help="visit each corrected sample (train.meta.jsonl) N times per pass (default 1)",
    )
    parser.add_argument(
        "--q-bits", type=int, default=None, help="quantize the result to N bits (default 5, 0: no)"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from punie.model.openblas import ensure_openblas

    ensure_openblas()

    from punie.training.base_model.importer import ensure_default_base
    from punie.training.train.config import load_config
    from punie.training.train.run import train_model

    config = load_config(
        args.config,
        method=args.method,
        iters=args.iters,
        seed=args.seed,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        steps_per_eval=args.steps_per_eval,
        repeat_corrected=args.repeat_corrected,
        q_bits=args.q_bits,
    )
    model = Path(args.model) if args.model is not None else ensure_default_base()

    def log(message: str) -> None:
        print(f"punie: {message}", file=sys.stderr if args.json else sys.stdout, flush=True)

    result = train_model(
        Path(args.data), model, Path(args.out), config, quiet=bool(args.json), log=log
    )
    if args.json:
        print(
            json.dumps(
                result.to_dict() | {"model_card": str(result.out / "model_card.json")}, indent=2
            )
        )
    else:
        print(
            f"trained {config.method}: train loss {result.first_train_loss:.3f} -> "
            f"{result.final_train_loss:.3f}; selected iteration {result.best_iteration} "
            f"(validation loss {result.best_val_loss:.3f}) in {result.seconds:.0f} s"
        )
        for note in result.notes:
            print(f"note: {note}")
        print(f"model: {result.model_path}")
        print(f"model card: {result.out / 'MODEL.md'}")
    return 0
