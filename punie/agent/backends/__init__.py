"""Model backends for the agent loop: a local mlx-lm model, or an OpenAI-compatible server.

``load_backend("openai:URL#MODEL_ID")`` gives an :class:`OpenAIBackend`; any other value is a
local mlx model directory (:class:`MlxBackend`, which imports mlx on construction).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from punie.agent.backends.base import Backend, Generation
from punie.agent.backends.openai import OpenAIBackend, parse_openai_spec

if TYPE_CHECKING:
    from punie.agent.backends.mlx import MlxBackend

__all__ = [
    "Backend",
    "Generation",
    "MlxBackend",
    "OpenAIBackend",
    "load_backend",
    "parse_openai_spec",
]


def load_backend(model: str, *, max_tokens: int = 512, temperature: float = 0.0) -> Backend:
    if model.startswith("openai:"):
        return OpenAIBackend.from_spec(model, max_tokens=max_tokens, temperature=temperature)
    from punie.agent.backends.mlx import MlxBackend

    return MlxBackend(model, max_tokens=max_tokens, temperature=temperature)


def __getattr__(name: str) -> object:
    if name == "MlxBackend":
        from punie.agent.backends.mlx import MlxBackend

        return MlxBackend
    raise AttributeError(name)
