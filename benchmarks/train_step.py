"""A LoRA training step on the pretrained base (SmolLM2-135M-Instruct, all 30 layers, rank 16,
batch 4: the loop's recipe) on the loop's own dataset, three ways, measured in one run:

- mlx-lm's batches (padded to 1 + a multiple of 32) and its loss: the baseline;
- punie's tight batches, every position's logits computed and masked;
- punie's tight batches, the output layer run on the trained positions only (what
  ``punie train`` does).

Each runs in its own process with OpenBLAS preloaded, on the same seeded batch order.

    uv run python benchmarks/train_step.py [--data runs/loop/data] [--iters 12]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

WAYS = {
    "mlx-lm batches and loss": "mlx-lm",
    "tight batches, logits everywhere": "every",
    "tight batches, logits where trained": "trained",
}


def _worker(model: Path, data: Path, way: str, iters: int) -> dict[str, Any]:
    from _steps import train_steps

    from punie.training.train.batches import iterate_batches
    from punie.training.train.loss import masked_loss

    def every_position(m: Any, batch: Any, lengths: Any, *_: Any) -> Any:
        return masked_loss(m, batch, lengths)

    options: dict[str, Any] = {}
    if way != "mlx-lm":
        options["batches"] = functools.partial(iterate_batches, seed=0)
        options["loss"] = masked_loss if way == "trained" else every_position
    run = train_steps(model, data, "lora", iters, 4, num_layers=-1, lora_rank=16, **options)
    return {"seconds_per_step": run.seconds_per_step}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO / "runs" / "loop" / "data")
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--iters", type=int, default=12)
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        model, data, way, iters = args.worker
        print(json.dumps(_worker(Path(model), Path(data), way, int(iters))))
        return

    from _table import table

    from punie.model.openblas import find_openblas
    from punie.training.base_model.importer import ensure_default_base

    model = args.model or ensure_default_base()
    if not (args.data / "train.jsonl").is_file():
        raise SystemExit(f"no dataset at {args.data}: run `punie loop` first or pass --data")
    env = dict(os.environ)
    if library := find_openblas():
        env["LD_PRELOAD"] = library
    results: dict[str, float] = {}
    for name, way in WAYS.items():
        command = [sys.executable, __file__, "--worker", str(model), str(args.data), way]
        out = subprocess.run(
            [*command, str(args.iters)], capture_output=True, text=True, env=env, check=False
        )
        if out.returncode != 0:
            raise SystemExit(f"{name}: {out.stderr.strip().splitlines()[-1:]}")
        results[name] = float(json.loads(out.stdout.strip().splitlines()[-1])["seconds_per_step"])
    baseline = results["mlx-lm batches and loss"]
    rows = [[n, f"{s:.2f}", f"{baseline / s:.2f}x"] for n, s in results.items()]
    print(f"LoRA step, batch 4, median of {args.iters} steps after a warm-up, {args.data}")
    print(table(["batches and loss", "s/step", "speed vs mlx-lm"], rows))


if __name__ == "__main__":
    main()
