"""Runs the real REPL with a scripted backend (for tests/test_repl.py, driven through tmux).

``python -m tests._repl_driver REPO TRACES``: questions containing "slow" get a reply that
streams for a minute (to be cancelled); any other question gets one Qwen3-Coder tool call that
counts the references to ``calculate_total``. The backend streams through ``on_token`` like
:class:`punie.agent.backends.mlx.MlxBackend`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import anyio

from punie.agent.backends.base import Generation
from punie.agent.messages import Message
from punie.repl import ReplConfig, run_repl

SCRIPTED_CODE = 'r = find_references("calculate_total")\nfinal_answer(str(r.reference_count))'
QWEN_CALL = (
    "I will count the references.\n<tool_call>\n<function=execute_code>\n<parameter=code>\n"
    f"{SCRIPTED_CODE}\n</parameter>\n</function>\n</tool_call>"
)


class ScriptedBackend:
    """Replays a fixed reply (the loop's control flow only), streamed piece by piece."""

    prompt_style = "catalogue"

    @property
    def identity(self) -> str:
        return "scripted:repl-test"

    def generate(
        self, messages: Sequence[Message], on_token: Callable[[str], None] | None = None
    ) -> Generation:
        question = next(m["content"] for m in reversed(messages) if m["role"] == "user")
        started = time.perf_counter()
        if "slow" in question:
            pieces = ["thinking "] * 600
            delay = 0.1
        else:
            pieces = [QWEN_CALL[i : i + 12] for i in range(0, len(QWEN_CALL), 12)]
            delay = 0.01
        for piece in pieces:
            if on_token is not None:
                on_token(piece)
            time.sleep(delay)
        return Generation(
            text="".join(pieces),
            completion_tokens=len(pieces),
            latency_s=time.perf_counter() - started,
        )


def main() -> int:
    repo, traces = Path(sys.argv[1]), Path(sys.argv[2])
    config = ReplConfig(repo=repo, traces=traces, max_steps=3)
    return anyio.run(run_repl, config, ScriptedBackend())


if __name__ == "__main__":
    sys.exit(main())
