"""``punie repl --repo PATH [--model M] [--traces DB] [--sandbox/--no-sandbox]
[--max-steps N] [--max-tokens N] [--temperature T] [--history-tokens N]``: the interactive REPL.

By default the REPL works on a fresh disposable sandbox copy of the repo (``/reset`` gives a
new one); ``--no-sandbox`` works on the repo itself. ``--model`` is as for ``punie ask``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import anyio

from punie.agent.loop import MAX_STEPS, MAX_TOKENS
from punie.cli._common import add_server_option, server_config
from punie.errors import PunieError

__all__ = ["register"]

DEFAULT_TRACES = Path(".punie") / "traces.db"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # pyright: ignore[reportPrivateUsage]
    parser = sub.add_parser("repl", help="work with the agent interactively on a repo")
    parser.add_argument("--repo", default=".", help="workspace root or sandbox name (default: .)")
    parser.add_argument(
        "--model",
        default=None,
        help="mlx model directory, or openai:URL#MODEL_ID "
        "(default: the newest model `punie loop` trained)",
    )
    parser.add_argument(
        "--traces", type=Path, default=DEFAULT_TRACES, help=f"trace database ({DEFAULT_TRACES})"
    )
    parser.add_argument(
        "--sandbox",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="work on a disposable copy of the repo (default) or on the repo itself",
    )
    parser.add_argument(
        "--max-steps", type=int, default=MAX_STEPS, help=f"model replies per turn ({MAX_STEPS})"
    )
    parser.add_argument(
        "--max-tokens", type=int, default=MAX_TOKENS, help=f"tokens per reply ({MAX_TOKENS})"
    )
    parser.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (default)")
    parser.add_argument(
        "--history-tokens",
        type=int,
        default=6000,
        help="token budget of the conversation carried between turns (6000)",
    )
    add_server_option(parser)
    parser.add_argument(
        "--free",
        action="store_true",
        help="decode freely (default: navigation arguments constrained to the workspace's "
        "names that the question mentions)",
    )
    parser.set_defaults(handler=_repl)


def _repl(args: argparse.Namespace) -> int:
    from punie.agent.backends import load_backend
    from punie.repl import ReplConfig, run_repl

    repo = Path(args.repo)
    if int(args.max_steps) < 1:
        raise PunieError("--max-steps must be at least 1")
    model = args.model
    if model is None or not str(model).startswith("openai:"):
        from punie.model.openblas import ensure_openblas

        ensure_openblas()  # may restart this command with OpenBLAS preloaded
    if model is None:
        from punie.cli._model import default_model

        model = default_model()
    backend = load_backend(
        str(model), max_tokens=int(args.max_tokens), temperature=float(args.temperature)
    )
    config = ReplConfig(
        repo=repo,
        traces=Path(args.traces),
        sandbox=bool(args.sandbox),
        max_steps=int(args.max_steps),
        history_tokens=int(args.history_tokens),
        server=server_config(args),
        constrain=not args.free,
    )
    return anyio.run(run_repl, config, backend)
