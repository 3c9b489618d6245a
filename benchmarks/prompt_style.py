"""What the prompt style costs in training: the same Code-Mode samples rendered in the
``catalogue`` style (intro, tool catalogue and the chat template's tool block) and in the
``brief`` style (one system line), trained with mlx-lm's trainer (the one ``punie train`` uses)
on punie's tiny model in one process (OpenBLAS preloaded when present).

Per style: tokens per sample (the whole rendered sample; the loss covers only the program),
the median step time after a compiling first step, and samples per second; the last column is
how many times better the brief style is. The samples are teacher programs for real questions
on the ``shop`` sandbox.

    uv run python benchmarks/prompt_style.py [--iters 6] [--batch-size 8] [--model DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _table import table  # noqa: E402

PAIRS: list[tuple[str, list[str]]] = [
    (
        "Where is calculate_total defined?",
        [
            'r = goto_definition("calculate_total")',
            "loc = r.locations[0]",
            'final_answer(f"{loc.file}:{loc.line}")',
        ],
    ),
    (
        "How many files reference Cart?",
        ['r = find_references("Cart")', "final_answer(str(r.file_count))"],
    ),
    (
        "What does tax_rate_for return?",
        [
            'r = hover("tax_rate_for")',
            "signature = r.signature",
            'final_answer(signature.rsplit("->", 1)[-1].strip())',
        ],
    ),
    (
        "How many classes does shop/models.py declare?",
        [
            'r = document_symbols("shop/models.py")',
            'classes = [s for s in r.symbols if s.kind == "class"]',
            "final_answer(str(len(classes)))",
        ],
    ),
    (
        "How many type errors does pyright report?",
        ["r = typecheck()", "final_answer(str(r.error_count))"],
    ),
    (
        "Which lint rule codes fail?",
        [
            "r = ruff_check()",
            "codes = sorted({v.code for v in r.violations})",
            'final_answer(", ".join(codes))',
        ],
    ),
    ("How many tests fail?", ["r = pytest_run()", "final_answer(str(r.failed))"]),
    ("How many lines mention TODO?", ['r = grep("TODO")', "final_answer(str(r.match_count))"]),
]


def _write(directory: Path, style: Any) -> None:
    from punie.agent.messages import assistant_code_message
    from punie.agent.prompt import prompt_tools, system_prompt

    rows: list[dict[str, Any]] = []
    for question, lines in PAIRS:
        code = "\n".join(lines)
        row: dict[str, Any] = {
            "messages": [
                {"role": "system", "content": system_prompt(style)},
                {"role": "user", "content": question},
                assistant_code_message(code),
            ]
        }
        tools = prompt_tools(style)
        if tools is not None:
            row["tools"] = tools
        rows.append(row)
    directory.mkdir(parents=True, exist_ok=True)
    for split in ("train", "valid"):
        (directory / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def _measure(model_dir: Path, data: Path, iters: int, batch_size: int) -> dict[str, float]:
    from _steps import train_steps

    run = train_steps(model_dir, data, "full", iters, batch_size)
    step = run.seconds_per_step
    return {"tokens": run.mean_tokens, "step_s": step, "samples_per_s": batch_size / step}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--iters", type=int, default=6, help="measured steps (one more warms up)")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--model", type=Path, default=None, help="model dir (default: build one)")
    args = parser.parse_args()

    from punie.model.openblas import blas_status, preload_in_process

    preload_in_process()
    from punie.training.base_model.build import init_tiny_model

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if model is None:
            model = Path(tmp) / "model"
            init_tiny_model(model)
        for style in ("catalogue", "brief"):
            data = Path(tmp) / style
            _write(data, style)
            results[style] = _measure(model, data, args.iters, args.batch_size)
    cat, brief = results["catalogue"], results["brief"]
    speed = brief["samples_per_s"] / cat["samples_per_s"]
    rows = [
        [label, fmt.format(cat[key]), fmt.format(brief[key]), f"{gain:.1f}x"]
        for label, key, fmt, gain in (
            ("tokens / sample", "tokens", "{:,.0f}", cat["tokens"] / brief["tokens"]),
            ("s / step", "step_s", "{:.3f}", cat["step_s"] / brief["step_s"]),
            ("samples / s", "samples_per_s", "{:.1f}", speed),
        )
    ]
    print(f"\ntiny model, full, batch {args.batch_size}, {args.iters} measured steps")
    print(table(["metric", "catalogue", "brief", "brief is better by"], rows))
    print(f"BLAS: {blas_status()}")


if __name__ == "__main__":
    main()
