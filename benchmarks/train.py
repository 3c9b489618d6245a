"""Training and generation speed of punie's tiny model on this CPU, with MLX's bundled reference
BLAS and with OpenBLAS (``libopenblas0-pthread``) preloaded.

Each configuration runs in its own process, because the BLAS library must be chosen before MLX
loads: one with ``LD_PRELOAD=.../libopenblas.so.0``, one with ``PUNIE_NO_OPENBLAS=1`` and no
preload. A worker trains with mlx-lm's trainer (the one ``punie train`` uses) on realistic
Code-Mode samples (system prompt, execute_code tool schema, a tool call), drops the first
(compiling) step and reports the median step, then generates greedily (median of three runs
after a warm-up). Other processes on the machine add noise: compare runs taken back to back.
Training tokens/s counts every input token of a batch (prompt included; the loss covers only
the assistant turn); ``loss tok/s`` is mlx-lm's own figure. Peak memory is MLX's allocator
peak and the process's max RSS.

    uv run python benchmarks/train.py [--size tiny|small] [--method full|lora] [--iters 6]
        [--batch-size 2] [--gen-tokens 128] [--model DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SYSTEM = (
    "Answer questions about the repository with execute_code. In the code call "
    "goto_definition(symbol), find_references(symbol), hover(symbol), document_symbols(file) "
    "and workspace_symbols(query). Call final_answer(text) to answer."
)
QUESTIONS = [
    ("Where is Cart defined?", 'd = goto_definition("Cart")\nfinal_answer(d.locations[0].file)'),
    ("Who calls add_item?", 'r = find_references("add_item")\nfinal_answer(str(r.count))'),
    ("Signature of total_price?", 'h = hover("total_price")\nfinal_answer(h.signature)'),
    ("Functions in shop/tax.py?", 's = document_symbols("shop/tax.py")\nprint(s.symbols)'),
]


def _write_dataset(directory: Path) -> None:
    from punie.agent.messages import EXECUTE_CODE_TOOL, assistant_code_message

    rows = [
        {
            "messages": [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": question},
                assistant_code_message(code),
            ],
            "tools": [EXECUTE_CODE_TOOL],
        }
        for question, code in QUESTIONS
    ]
    directory.mkdir(parents=True, exist_ok=True)
    for split in ("train", "valid"):
        (directory / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def _worker(args: argparse.Namespace) -> None:
    import mlx.core as mx
    from _steps import train_steps

    from punie.model.mlx_api import module
    from punie.model.openblas import blas_status

    mx.reset_peak_memory()
    run = train_steps(Path(args.model), Path(args.data), args.method, args.iters, args.batch_size)
    model, tokenizer = run.model, run.tokenizer
    seconds_per_step = run.seconds_per_step
    mean_len = run.mean_tokens
    train_peak = mx.get_peak_memory()

    model.eval()
    stream_generate = module("mlx_lm.generate").stream_generate
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": QUESTIONS[0][0]}], add_generation_prompt=True, tokenize=False
    )
    runs: list[Any] = []
    for _ in range(4):  # one warm-up, then the median of three
        last: Any = None
        for response in stream_generate(model, tokenizer, prompt, max_tokens=args.gen_tokens):
            last = response
        runs.append(last)
    measured = sorted(runs[1:], key=lambda r: r.generation_tps)
    last = measured[len(measured) // 2]
    print(
        json.dumps(
            {
                "blas": blas_status(),
                "seconds_per_step": seconds_per_step,
                "train_input_tps": args.batch_size * mean_len / seconds_per_step,
                "train_loss_tps": statistics.median(r["tokens_per_second"] for r in run.reports),
                "gen_tps": last.generation_tps if last else 0.0,
                "prompt_tps": last.prompt_tps if last else 0.0,
                "gen_tokens": last.generation_tokens if last else 0,
                "train_peak_mb": train_peak / 2**20,
                "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def _run_worker(args: argparse.Namespace, model: Path, data: Path, openblas: str | None) -> Any:
    env = {k: v for k, v in os.environ.items() if k not in {"LD_PRELOAD", "PUNIE_OPENBLAS_REEXEC"}}
    if openblas:
        env["LD_PRELOAD"] = openblas
    else:
        env["PUNIE_NO_OPENBLAS"] = "1"
    command = [
        sys.executable, __file__, "--worker", "--model", str(model), "--data", str(data),
        "--method", args.method, "--iters", str(args.iters), "--batch-size", str(args.batch_size),
        "--gen-tokens", str(args.gen_tokens),
    ]  # fmt: skip
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"worker failed:\n{proc.stderr[-4000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_s"] = time.perf_counter() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--size", choices=("tiny", "small"), default="tiny")
    parser.add_argument("--method", choices=("full", "lora", "dora"), default="full")
    parser.add_argument("--iters", type=int, default=6, help="measured steps (one more warms up)")
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--gen-tokens", type=int, default=128)
    parser.add_argument("--model", type=Path, default=None, help="model dir (default: build one)")
    parser.add_argument("--data", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args)
        return

    from punie.model.openblas import find_openblas
    from punie.training.base_model.build import init_tiny_model

    openblas = find_openblas()
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if model is None:
            model = Path(tmp) / "model"
            built = init_tiny_model(model, size=args.size)
            print(
                f"built {args.size} model: {built.parameters:,} parameters in {built.seconds:.1f} s"
            )
        data = Path(tmp) / "data"
        _write_dataset(data)
        results: dict[str, Any] = {}
        if openblas is None:
            print("OpenBLAS not found (apt-get install libopenblas0-pthread): one column only")
        else:
            results["OpenBLAS"] = _run_worker(args, model, data, openblas)
        results["reference BLAS"] = _run_worker(args, model, data, None)

    names = list(results)
    rows = [
        ("train s/step", "seconds_per_step", "{:.2f}"),
        ("train input tok/s", "train_input_tps", "{:,.0f}"),
        ("train loss tok/s", "train_loss_tps", "{:,.0f}"),
        ("generate tok/s", "gen_tps", "{:,.1f}"),
        ("prompt tok/s", "prompt_tps", "{:,.0f}"),
        ("MLX peak MB (train)", "train_peak_mb", "{:,.0f}"),
        ("max RSS MB", "max_rss_mb", "{:,.0f}"),
        ("worker wall s", "wall_s", "{:.1f}"),
    ]
    header = f"{'metric':<22}" + "".join(f"{n:>16}" for n in names)
    if len(names) == 2:
        header += f"{'ratio':>10}"
    print(f"\n{args.size} model, {args.method}, batch {args.batch_size}, {args.iters} steps")
    print(header)
    print("-" * len(header))
    for label, key, fmt in rows:
        line = f"{label:<22}" + "".join(f"{fmt.format(results[n][key]):>16}" for n in names)
        if len(names) == 2:
            a, b = results[names[0]][key], results[names[1]][key]
            line += f"{(a / b if b else float('nan')):>9.2f}x"
        print(line)
    for name in names:
        print(f"{name}: {results[name]['blas']}")


if __name__ == "__main__":
    main()
