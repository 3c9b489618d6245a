"""``punie ask "QUESTION" --repo PATH --model M [--json] [--verbose] [--max-steps N]
[--traces DB | --no-traces] [--max-tokens N] [--temperature T]``: run one agent turn.

``--model`` is a local mlx model directory (default: the embedded tiny model, built on first
use), or ``openai:URL#MODEL_ID`` for an OpenAI-compatible server. The turn is stored in the
trace database (default ``.punie/traces.db``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import anyio

from punie.agent.loop import MAX_STEPS, MAX_TOKENS
from punie.cli._common import add_server_option, emit_json, server_config
from punie.errors import PunieError

__all__ = ["register"]

DEFAULT_TRACES = Path(".punie") / "traces.db"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:  # pyright: ignore[reportPrivateUsage]
    parser = sub.add_parser("ask", help="answer a question about a repo with the agent")
    parser.add_argument("question", help="the question")
    parser.add_argument("--repo", default=".", help="workspace root (default: .)")
    parser.add_argument(
        "--model",
        default=None,
        help="mlx model directory, or openai:URL#MODEL_ID "
        "(default: the newest model `punie loop` trained)",
    )
    parser.add_argument(
        "--max-steps", type=int, default=MAX_STEPS, help=f"model replies at most ({MAX_STEPS})"
    )
    parser.add_argument(
        "--max-tokens", type=int, default=MAX_TOKENS, help=f"tokens per reply ({MAX_TOKENS})"
    )
    parser.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (default)")
    parser.add_argument(
        "--traces", type=Path, default=DEFAULT_TRACES, help=f"trace database ({DEFAULT_TRACES})"
    )
    parser.add_argument("--no-traces", action="store_true", help="do not store the turn")
    parser.add_argument("--json", action="store_true", help="print the turn as JSON")
    parser.add_argument("--verbose", action="store_true", help="show each step on stderr")
    add_server_option(parser)
    parser.add_argument(
        "--free",
        action="store_true",
        help="decode freely (default: navigation arguments constrained to the workspace's "
        "names that the question mentions)",
    )
    parser.set_defaults(handler=_ask)


def _show_step(step: Any) -> None:
    from punie.agent.loop import Step

    assert isinstance(step, Step)
    gen = step.generation
    out = sys.stderr
    out.write(
        f"--- step {step.index + 1}: {step.action} ({gen.completion_tokens} tokens, "
        f"{gen.latency_s:.2f} s, {gen.finish_reason})\n"
    )
    if step.action != "code":
        out.write(f"reply: {gen.text.strip()[:2000]}\n")
    if step.recovered:
        out.write(f"recovered: {step.recovered}\n")
    if step.code is not None:
        out.write(f"code:\n{step.code}\n")
    if step.execution is not None:
        out.write(f"result ({step.execution.duration_s:.2f} s):\n{step.execution.render()}\n")
    if step.correction:
        out.write(f"correction: {step.correction.splitlines()[0]}\n")
    out.flush()


def _ask(args: argparse.Namespace) -> int:
    from punie.agent.backends import load_backend

    repo = Path(args.repo)
    if not repo.is_dir():
        raise PunieError(f"repo {repo} is not a directory")
    model = args.model
    if model is None or not str(model).startswith("openai:"):
        from punie.model.openblas import ensure_openblas

        ensure_openblas()  # may restart this command with OpenBLAS preloaded
    if model is None:
        from punie.cli._model import default_model

        model = default_model()
    if int(args.max_steps) < 1:
        raise PunieError("--max-steps must be at least 1")
    backend = load_backend(
        str(model), max_tokens=int(args.max_tokens), temperature=float(args.temperature)
    )

    from punie.agent.executor import Executor
    from punie.agent.loop import TurnResult, run_turn
    from punie.agent.messages import EXECUTE_CODE_TOOL
    from punie.agent.symbols import constrain_backend
    from punie.tools import ToolContext
    from punie.traces import TraceStore, TurnMeta

    async def turn() -> TurnResult:
        async with ToolContext.at(repo, server=server_config(args)) as ctx, Executor(ctx) as ex:
            if not args.free:
                await constrain_backend(backend, ctx, str(args.question))
            return await run_turn(
                str(args.question),
                backend,
                ex,
                max_steps=int(args.max_steps),
                on_step=_show_step if args.verbose else None,
            )

    result = anyio.run(turn)
    meta = TurnMeta.collect(repo, backend.identity)
    trace_id: int | None = None
    if not args.no_traces:
        with TraceStore(Path(args.traces)) as store:
            trace_id = store.record_turn(result, meta, [EXECUTE_CODE_TOOL])
    summary: dict[str, Any] = {
        "answer": result.final_answer,
        "stop_reason": result.stop_reason,
        "error": result.error,
        "steps": len(result.steps),
        "model": meta.model,
        "repo": meta.repo,
        "git_commit": meta.git_commit,
        "trace_id": trace_id,
        "traces": None if args.no_traces else str(args.traces),
        "duration_s": round(result.duration_s, 3),
        "generation_s": round(result.generation_s, 3),
        "overhead_s": round(result.overhead_s, 3),
    }
    if args.json:
        emit_json(summary)
    else:
        if result.final_answer is not None:
            print(result.final_answer)
        else:
            why = result.error or f"no answer after {len(result.steps)} steps"
            print(f"(no answer: {result.stop_reason}: {why})")
        if args.verbose:
            where = f"trace {trace_id} in {args.traces}" if trace_id is not None else "not stored"
            print(
                f"[{len(result.steps)} steps, {result.duration_s:.2f} s "
                f"({result.generation_s:.2f} s generating), {where}]",
                file=sys.stderr,
            )
    return 0 if result.final_answer is not None else 1
