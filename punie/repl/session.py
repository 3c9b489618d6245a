"""A REPL session's state and its turns: the workbench, the backend, the trace store, the
conversation so far, and the last turn (for ``/trace``, ``/good`` and ``/bad``)."""

from __future__ import annotations

import anyio
from rich.console import Console
from rich.text import Text

from punie.agent.backends.base import Backend
from punie.agent.loop import Step, TurnResult, run_turn
from punie.agent.messages import EXECUTE_CODE_TOOL
from punie.agent.symbols import constrain_backend
from punie.repl.config import ReplConfig
from punie.repl.conversation import Conversation, token_counter, turn_messages
from punie.repl.interrupt import interruptible
from punie.repl.render import render_step, render_turn_end, sanitize
from punie.repl.streaming import StreamingBackend
from punie.repl.workbench import Workbench
from punie.traces import TraceStore, TurnMeta

__all__ = ["Session"]


class Session:
    def __init__(
        self, config: ReplConfig, backend: Backend, console: Console, store: TraceStore
    ) -> None:
        self.config = config
        self.console = console
        self.store = store
        self.backend = StreamingBackend(backend, self._on_text)
        self.workbench = Workbench(config.repo, sandbox=config.sandbox, server=config.server)
        self.conversation = Conversation(config.history_tokens, token_counter(backend))
        self.last_turn: TurnResult | None = None
        self.last_trace_id: int | None = None
        self._busy: anyio.CancelScope | None = None
        self._streamed = False

    # -- busy work, cancellable with Ctrl-C ---------------------------------------------------
    def interrupt(self) -> None:
        if self._busy is not None:
            self.backend.cancel()
            self._busy.cancel()

    def idle(self) -> None:
        self._busy = None

    def busy(self) -> anyio.CancelScope:
        self._busy = anyio.CancelScope()
        return self._busy

    # -- a turn --------------------------------------------------------------------------------
    def _on_text(self, piece: str) -> None:  # from the generating thread
        if not self._streamed:
            self._streamed = True
        self.console.print(Text(sanitize(piece), style="dim"), end="")

    def _on_step(self, step: Step) -> None:
        if self._streamed:
            self.console.print()
        render_step(self.console, self.workbench.root, step, streamed=self._streamed)
        self._streamed = False

    async def ask(self, question: str) -> None:
        history = self.conversation.messages()
        self._streamed = False
        self.backend.begin_turn()
        if self.config.constrain:
            await constrain_backend(
                getattr(self.backend, "inner", self.backend), self.workbench.ctx, question
            )
        turn: TurnResult | None = None
        with self.busy() as scope, interruptible(self.interrupt):
            turn = await run_turn(
                question,
                self.backend,
                self.workbench.executor,
                max_steps=self.config.max_steps,
                on_step=self._on_step,
                history=history,
                generate_in_thread=True,
            )
        self.idle()
        if scope.cancelled_caught or turn is None:
            self.backend.cancel()
            self.console.print()
            self.console.print(Text("turn cancelled (Ctrl-C); nothing recorded", style="yellow"))
            return
        meta = TurnMeta.collect(self.workbench.root, self.backend.identity)
        trace_id = self.store.record_turn(turn, meta, [EXECUTE_CODE_TOOL])
        self.last_turn, self.last_trace_id = turn, trace_id
        self.conversation.add(turn_messages(turn.messages, len(history), turn.final_answer))
        render_turn_end(self.console, turn, trace_id)

    async def open(self) -> None:
        await self.workbench.open()

    async def close(self) -> None:
        await self.workbench.close()
