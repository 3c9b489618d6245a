"""A backend wrapper for the REPL: streams the reply's text as it is generated (when the backend
takes an ``on_token`` callback) and stops an abandoned generation at its next token."""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Sequence
from typing import Any

from punie.agent.backends.base import Backend, Generation
from punie.agent.messages import Message
from punie.agent.prompt import PromptStyle

__all__ = ["GenerationCancelled", "StreamingBackend"]


class GenerationCancelled(Exception):
    """Raised inside a streaming generation whose turn was cancelled."""


def _takes_on_token(backend: object) -> bool:
    generate: Any = getattr(backend, "generate", None)
    try:
        return "on_token" in inspect.signature(generate).parameters
    except (TypeError, ValueError):
        return False


class StreamingBackend:
    """Wraps ``inner``; ``on_text`` gets each piece of the reply (from the generating thread)."""

    def __init__(self, inner: Backend, on_text: Callable[[str], None]) -> None:
        self.inner = inner
        self.on_text = on_text
        self.streams = _takes_on_token(inner)
        self._lock = threading.Lock()  # one generation at a time, an abandoned one included
        self._cancelled = threading.Event()

    @property
    def identity(self) -> str:
        return self.inner.identity

    @property
    def prompt_style(self) -> PromptStyle:
        return self.inner.prompt_style

    def begin_turn(self) -> None:
        """A new turn: generations may run (and stream) again."""
        self._cancelled.clear()

    def cancel(self) -> None:
        """Stop the generation in flight (at its next token, for a streaming backend)."""
        self._cancelled.set()

    def _piece(self, text: str) -> None:
        if self._cancelled.is_set():
            raise GenerationCancelled("the turn was cancelled")
        self.on_text(text)

    def generate(self, messages: Sequence[Message]) -> Generation:
        with self._lock:
            if self._cancelled.is_set():
                raise GenerationCancelled("the turn was cancelled")
            if self.streams:
                generate: Any = self.inner.generate
                gen: Generation = generate(messages, on_token=self._piece)
                return gen
            return self.inner.generate(messages)
