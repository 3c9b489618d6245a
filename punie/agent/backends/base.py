"""What every backend returns, and the protocol the agent loop drives."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from punie.agent.messages import Message
from punie.agent.prompt import PromptStyle

__all__ = ["Backend", "Generation"]


@dataclass(frozen=True)
class Generation:
    """One model reply.

    ``tool_calls`` are OpenAI-style calls when the backend parsed them (an HTTP server), else
    empty and the calls are in ``text``. ``prompt`` is the exact prompt text the model saw when
    the backend rendered it itself (``None`` when a server rendered it). ``finish_reason`` is
    ``"stop"``, ``"length"`` (cut off by ``max_tokens``), ``"loop"`` (stopped repeating a few
    tokens: :func:`punie.agent.backends.stops.looping`) or what the server said.
    """

    text: str
    tool_calls: tuple[dict[str, Any], ...] = ()
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    finish_reason: str = "stop"
    prompt: str | None = None
    extra: dict[str, Any] = field(default_factory=dict[str, Any])

    @property
    def truncated(self) -> bool:
        return self.finish_reason == "length"

    @property
    def looped(self) -> bool:
        return self.finish_reason == "loop"


class Backend(Protocol):
    """A model that answers a conversation. ``identity`` names exactly which model it is."""

    @property
    def identity(self) -> str: ...

    @property
    def prompt_style(self) -> PromptStyle:
        """How the turn loop writes this model's system message (:mod:`punie.agent.prompt`)."""
        ...

    def generate(self, messages: Sequence[Message]) -> Generation: ...
