"""``BatchedMlxBackend``: many turns' replies generated together (continuous batching).

On a CPU, decoding one sequence reads every weight once per token; decoding eight at once reads
them once for all eight. So validation runs several turns concurrently and their ``generate``
calls meet here: one worker thread owns an ``mlx_lm`` ``BatchGenerator``, inserts each request
as it arrives (prefill), advances every live sequence one token per step, and hands a reply
back as soon as it ends (an end-of-turn token, a complete call, or ``max_tokens``). The replies
equal the sequential backend's (greedy, the same prompt rendering and stop rules).

Each concurrent turn takes a :meth:`BatchedMlxBackend.view`, optionally with its own symbol
constraint, so turns never share decoding state.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from punie.agent.backends.base import Generation
from punie.agent.backends.mlx import MlxBackend
from punie.agent.backends.stops import call_end, looping
from punie.agent.messages import Message
from punie.agent.prompt import PromptStyle

__all__ = ["BatchedMlxBackend", "TurnView"]


@dataclass
class _Request:
    tokens: list[int]
    prompt: str
    max_tokens: int
    processors: list[Any]
    enqueued: float = field(default_factory=time.perf_counter)
    generated: list[int] = field(default_factory=list[int])
    finish: str = "length"
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


class TurnView:
    """One turn's window onto a :class:`BatchedMlxBackend` (a :class:`Backend`)."""

    def __init__(self, owner: BatchedMlxBackend, processors: list[Any]) -> None:
        self._owner = owner
        self._processors = processors

    @property
    def identity(self) -> str:
        return self._owner.identity

    @property
    def prompt_style(self) -> PromptStyle:
        return self._owner.prompt_style

    def generate(self, messages: Sequence[Message]) -> Generation:
        return self._owner.submit(messages, self._processors)


class BatchedMlxBackend:
    """An :class:`MlxBackend`'s model, decoding up to ``batch_size`` replies at once."""

    def __init__(self, inner: MlxBackend, *, batch_size: int = 8) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.inner = inner
        self.batch_size = batch_size
        self.max_tokens = inner.max_tokens
        self._queue: list[_Request] = []
        self._cond = threading.Condition()
        self._worker: threading.Thread | None = None
        self._closed = False
        self.steps = 0
        """Decode steps run (each advances every live sequence by one token)."""
        self.peak_batch = 0

    @property
    def identity(self) -> str:
        return self.inner.identity

    @property
    def prompt_style(self) -> PromptStyle:
        return self.inner.prompt_style

    def view(self, symbols: Iterable[str] | None = None) -> TurnView:
        """A backend for one turn; ``symbols`` switches on symbol-constrained decoding."""
        processors = self.inner.processors_for(symbols)
        return TurnView(self, processors)

    def generate(self, messages: Sequence[Message]) -> Generation:
        return self.submit(messages, [])

    def submit(self, messages: Sequence[Message], processors: list[Any]) -> Generation:
        """Queue one reply and wait for it (called from the turns' worker threads)."""
        prompt = self.inner.render(messages)
        request = _Request(self.inner.encode(prompt), prompt, self.max_tokens, processors)
        with self._cond:
            if self._closed:
                raise RuntimeError("the batched backend is closed")
            self._queue.append(request)
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="punie-batch", daemon=True)
                self._worker.start()
            self._cond.notify()
        request.done.wait()
        if request.error is not None:
            raise request.error
        text = self._detokenize(request.generated)
        end = call_end(text)
        if end is not None:
            text = text[:end]
        return Generation(
            text=text,
            prompt_tokens=len(request.tokens),
            completion_tokens=len(request.generated),
            latency_s=time.perf_counter() - request.enqueued,
            finish_reason=request.finish,
            prompt=prompt,
            extra={"batched": True},
        )

    def _detokenize(self, tokens: list[int]) -> str:
        """The text as ``stream_generate`` would have streamed it (its detokenizer, so a
        leading space is trimmed the same way)."""
        detokenizer: Any = self.inner.tokenizer.detokenizer
        for token in tokens:
            detokenizer.add_token(token)
        detokenizer.finalize()
        return str(detokenizer.text)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._worker is not None:
            self._worker.join(timeout=30)

    def _run(self) -> None:
        """The worker: owns the ``BatchGenerator`` (mlx state stays on this thread)."""
        from punie.model.mlx_api import module

        live: dict[int, _Request] = {}
        try:
            eos = sorted(set(self.inner.stop_token_ids()))
            generator: Any = module("mlx_lm.generate").BatchGenerator(
                self.inner.model,
                stop_tokens=[[t] for t in eos],
                completion_batch_size=self.batch_size,
                prefill_batch_size=self.batch_size,
            )
            while True:
                with self._cond:
                    while not self._queue and not live and not self._closed:
                        self._cond.wait()
                    if self._closed and not live and not self._queue:
                        break
                    room = self.batch_size - len(live)
                    new, self._queue = self._queue[:room], self._queue[room:]
                if new:
                    uids = generator.insert(
                        [r.tokens for r in new],
                        [r.max_tokens for r in new],
                        logits_processors=[r.processors or None for r in new],
                    )
                    live.update(zip((int(u) for u in uids), new, strict=True))
                self.peak_batch = max(self.peak_batch, len(live))
                if not live:
                    continue
                responses = generator.next_generated()
                self.steps += 1
                finished: list[int] = []
                for response in responses:
                    uid = int(response.uid)
                    request = live.get(uid)
                    if request is None:
                        continue
                    token = int(response.token)
                    reason = response.finish_reason
                    if reason == "stop" and token in eos:
                        request.finish = "stop"
                    else:
                        request.generated.append(token)
                        if reason is not None:
                            request.finish = str(reason)
                    if reason is None and self._stopped(request):
                        request.finish = "stop"
                        generator.remove([uid])
                        reason = "stop"
                    elif reason is None and looping(request.generated):
                        request.finish = "loop"
                        generator.remove([uid])
                        reason = "loop"
                    if reason is not None:
                        finished.append(uid)
                for uid in finished:
                    live.pop(uid).done.set()
            generator.close()
        except BaseException as exc:  # hand the failure to every waiting turn
            with self._cond:
                pending, self._queue = self._queue, []
                self._worker = None
            for request in [*live.values(), *pending]:
                request.error = exc
                request.done.set()

    def _stopped(self, request: _Request) -> bool:
        """A call just completed (:func:`call_end`; the whole reply is decoded only when the
        last few tokens could have closed one)."""
        tail = self.inner.tokenizer.decode(request.generated[-4:])
        if "`" not in tail and ">" not in tail:
            return False
        return call_end(self.inner.tokenizer.decode(request.generated)) is not None
