"""``MlxBackend``: an mlx-lm model loaded in this process (any local model directory).

The prompt is rendered with :func:`punie.agent.prompt.render_prompt` (the same function the
dataset exporter uses) and generation is greedy unless ``temperature`` is set. Generation stops
at the tokenizer's end-of-turn tokens, after the first complete call (its closing fence or
``</tool_call>``: :func:`punie.agent.backends.stops.call_end`), or at ``max_tokens``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from punie.agent.backends.base import Generation
from punie.agent.backends.stops import call_end, looping
from punie.agent.messages import Message
from punie.agent.prompt import (
    PROBE_MESSAGES,
    PromptStyle,
    model_prompt_style,
    render_prompt,
    template_problem,
)
from punie.errors import PunieError

__all__ = ["MlxBackend", "weights_files_sha256"]


def weights_files_sha256(model_dir: Path) -> str:
    """One SHA-256 over the model's ``*.safetensors`` files (name and content, in name order)."""
    from punie.model.hashing import files_sha256

    files = sorted(Path(model_dir).glob("*.safetensors"))
    if not files:
        raise PunieError(f"no *.safetensors weights in {model_dir}")
    return files_sha256(files)


class MlxBackend:
    """A local mlx-lm model directory, loaded once; ``generate`` runs in the calling thread."""

    def __init__(
        self, model_dir: str | Path, *, max_tokens: int = 512, temperature: float = 0.0
    ) -> None:
        from punie.model.openblas import preload_in_process

        preload_in_process()  # before mlx is imported; a no-op when it is too late or absent
        from punie.model.mlx_api import module

        self.model_dir = Path(model_dir).resolve()
        if not (self.model_dir / "config.json").is_file():
            raise PunieError(
                f"model directory {self.model_dir} does not exist or has no config.json"
            )
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.prompt_style: PromptStyle = model_prompt_style(self.model_dir)
        try:
            loaded: Any = module("mlx_lm").load(str(self.model_dir))
        except Exception as exc:
            raise PunieError(
                f"model {self.model_dir} does not load: {type(exc).__name__}: {exc}"
            ) from exc
        self.model: Any = loaded[0]
        self.tokenizer: Any = loaded[1]
        problem = template_problem(self.tokenizer, PROBE_MESSAGES, self.prompt_style)
        if problem is not None:
            raise PunieError(
                f"model {self.model_dir}: its chat template cannot carry a tool call ({problem}); "
                "give it a template that renders tool calls and tool results "
                "(`punie model import` writes one)"
            )
        self._stream_generate: Any = module("mlx_lm.generate").stream_generate
        self._sampler: Any = module("mlx_lm.sample_utils").make_sampler(temp=temperature)
        self._identity: str | None = None
        self._cache_api: Any = module("mlx_lm.models.cache")
        self._cache: Any = None  # the KV cache of the previous generation, reused by prefix
        self._cached: list[int] = []  # the tokens that cache holds
        self.logits_processors: list[Any] = []
        """Extra mlx-lm logits processors (constrained decoding: :meth:`constrain`)."""
        self._vocabulary: Any = None  # the constraints' token trie, built on first use
        self._code_constraint: Any = None  # stateless but for its mask cache: one per model
        self._lock = threading.Lock()

    def processors_for(self, symbols: Iterable[str] | None) -> list[Any]:
        """The logits processors of constrained decoding for one turn (none for ``None``): a
        navigation call's string argument stays one of ``symbols``, and the program's brackets
        and result attributes stay valid (:mod:`punie.model.code_constraint`)."""
        if symbols is None:
            return []
        from punie.agent.symbols import result_types
        from punie.model.code_constraint import CodeConstraint
        from punie.model.constrained import Vocabulary, make_symbol_constraint

        with self._lock:
            if self._vocabulary is None:
                self._vocabulary = Vocabulary(self.tokenizer)
            if self._code_constraint is None:
                self._code_constraint = CodeConstraint(self._vocabulary, result_types())
        return [
            *make_symbol_constraint(
                self.tokenizer, sorted(set(symbols)), vocabulary=self._vocabulary
            ),
            self._code_constraint,
        ]

    def constrain(self, symbols: Iterable[str] | None) -> None:
        """Switch constrained decoding on for ``symbols`` (``None``: off)."""
        self.logits_processors = self.processors_for(symbols)

    def stop_token_ids(self) -> list[int]:
        """The end-of-turn token ids generation stops at."""
        return sorted({int(t) for t in self.tokenizer.eos_token_ids})

    def encode(self, prompt: str) -> list[int]:
        """The token ids of a rendered prompt (no second BOS when the prompt starts with one)."""
        bos = self.tokenizer.bos_token
        special = bos is None or not prompt.startswith(bos)
        return list(self.tokenizer.encode(prompt, add_special_tokens=special))

    def _reuse(self, tokens: list[int]) -> int:
        """Trim the kept cache to its longest prefix shared with ``tokens`` (leaving at least
        one token to feed); return how many tokens it holds. Successive steps of a turn, and
        turns with the same system prompt, share long prefixes."""
        if self._cache is None or not self._cache_api.can_trim_prompt_cache(self._cache):
            self._cache, self._cached = self._cache_api.make_prompt_cache(self.model), []
            return 0
        common = 0
        limit = min(len(self._cached), len(tokens) - 1)
        while common < limit and self._cached[common] == tokens[common]:
            common += 1
        if len(self._cached) > common:
            self._cache_api.trim_prompt_cache(self._cache, len(self._cached) - common)
        self._cached = self._cached[:common]
        return common

    def _settle(self, known: list[int]) -> None:
        """After generating: drop cache entries for tokens past ``known`` (fed but unseen)."""
        held = int(self._cache[0].offset) if self._cache else 0
        if held > len(known):
            self._cache_api.trim_prompt_cache(self._cache, held - len(known))
            held = len(known)
        self._cached = known[:held]

    @property
    def identity(self) -> str:
        """``mlx:<dir>@sha256:<hash of the weights files>`` (hashed once, on first use)."""
        if self._identity is None:
            self._identity = f"mlx:{self.model_dir}@sha256:{weights_files_sha256(self.model_dir)}"
        return self._identity

    def render(self, messages: Sequence[Message]) -> str:
        return render_prompt(self.tokenizer, messages, self.prompt_style)

    def generate(
        self, messages: Sequence[Message], on_token: Callable[[str], None] | None = None
    ) -> Generation:
        """One reply. ``on_token`` (optional) gets each piece of text as it is generated; an
        exception it raises stops the generation and propagates."""
        prompt = self.render(messages)
        started = time.perf_counter()
        tokens = self.encode(prompt)
        reused = self._reuse(tokens)
        pieces: list[str] = []
        generated: list[int] = []
        finish = "length"
        count = 0
        try:
            for response in self._stream_generate(
                self.model,
                self.tokenizer,
                tokens[reused:],
                max_tokens=self.max_tokens,
                sampler=self._sampler,
                prompt_cache=self._cache,
                logits_processors=self.logits_processors or None,
            ):
                pieces.append(str(response.text))
                if on_token is not None and response.text:
                    on_token(str(response.text))
                count = int(response.generation_tokens)
                if response.finish_reason is not None:
                    finish = str(response.finish_reason)
                    if finish == "length":
                        generated.append(int(response.token))
                    break
                generated.append(int(response.token))
                if ("`" in pieces[-1] or ">" in pieces[-1]) and call_end("".join(pieces)):
                    finish = "stop"
                    break
                if looping(generated):
                    finish = "loop"
                    break
        except BaseException:
            self._cache, self._cached = None, []
            raise
        self._settle(tokens + generated)
        text = "".join(pieces)
        end = call_end(text)
        if end is not None:
            text = text[:end]
        return Generation(
            text=text,
            prompt_tokens=len(tokens),
            completion_tokens=count,
            latency_s=time.perf_counter() - started,
            finish_reason=finish,
            prompt=prompt,
            extra={"cached_prompt_tokens": reused},
        )
