"""``OpenAIBackend``: any OpenAI-compatible ``/v1/chat/completions`` server, over urllib.

The request offers the one ``execute_code`` tool. The reply's ``tool_calls`` are used when the
server parsed them; otherwise the raw text goes to :mod:`punie.agent.parse`. The backend's
identity is the model id the server answers with; a server that answers as another model than
the one asked for is an error, never silently used.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any, cast

from punie.agent.backends.base import Generation
from punie.agent.messages import EXECUTE_CODE_TOOL, Message
from punie.agent.prompt import PromptStyle
from punie.errors import PunieError

__all__ = ["OpenAIBackend", "parse_openai_spec"]


def parse_openai_spec(spec: str) -> tuple[str, str]:
    """``openai:URL#MODEL_ID`` -> ``(URL, MODEL_ID)``."""
    if not spec.startswith("openai:"):
        raise PunieError(f"not an OpenAI model spec (want openai:URL#MODEL_ID): {spec!r}")
    url, sep, model = spec[len("openai:") :].partition("#")
    if not sep or not url or not model:
        raise PunieError(
            f"an OpenAI model spec needs a URL and a model id: openai:URL#MODEL_ID, got {spec!r}"
        )
    return url, model


def _wire_messages(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Messages in the OpenAI wire format: tool-call arguments as JSON strings, call ids, and
    each ``tool`` message tied to the call it answers (where there is one)."""
    wire: list[dict[str, Any]] = []
    pending: list[str] = []
    for n, message in enumerate(messages):
        item: dict[str, Any] = {"role": message["role"], "content": message["content"]}
        calls = message.get("tool_calls")
        if message["role"] == "assistant":
            pending = []
            if calls:
                wire_calls: list[dict[str, Any]] = []
                item["tool_calls"] = wire_calls
                for i, call in enumerate(calls):
                    call_id = f"call_{n}_{i}"
                    pending.append(call_id)
                    arguments = json.dumps(call["function"]["arguments"], ensure_ascii=False)
                    wire_calls.append(
                        {
                            "id": call_id,
                            "type": "function",
                            "function": {"name": call["function"]["name"], "arguments": arguments},
                        }
                    )
        elif message["role"] == "tool" and pending:
            item["tool_call_id"] = pending.pop(0)
        wire.append(item)
    return wire


class OpenAIBackend:
    """Chat completions from ``base_url`` (``http://host:port`` or ``.../v1``) for ``model``."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        max_tokens: int = 512,
        temperature: float = 0.0,
        timeout_s: float = 600.0,
        api_key: str | None = None,
    ) -> None:
        base = base_url.rstrip("/")
        self.endpoint = (
            f"{base}/chat/completions" if base.endswith("/v1") else f"{base}/v1/chat/completions"
        )
        self.model = model
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.timeout_s = timeout_s
        self.api_key = api_key
        self.prompt_style: PromptStyle = "catalogue"  # a served model reads the catalogue
        self._served: str | None = None

    @classmethod
    def from_spec(cls, spec: str, **kwargs: Any) -> OpenAIBackend:
        url, model = parse_openai_spec(spec)
        return cls(url, model, **kwargs)

    @property
    def identity(self) -> str:
        """``openai:<endpoint>#<model id the server answered with>`` (the requested id before
        the first reply)."""
        return f"openai:{self.endpoint}#{self._served or self.model}"

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(
            self.endpoint, data=json.dumps(body).encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as reply:
                raw = reply.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:500]
            raise PunieError(
                f"{self.endpoint} answered HTTP {exc.code} for model {self.model!r}: {detail}"
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise PunieError(f"cannot reach {self.endpoint}: {reason}") from None
        try:
            data: object = json.loads(raw)
        except json.JSONDecodeError:
            raise PunieError(f"{self.endpoint} did not answer JSON: {raw[:200]!r}") from None
        if not isinstance(data, dict):
            raise PunieError(f"{self.endpoint} answered {type(data).__name__}, not an object")
        return cast(dict[str, Any], data)

    def generate(self, messages: Sequence[Message]) -> Generation:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": _wire_messages(messages),
            "tools": [EXECUTE_CODE_TOOL],
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "stream": False,
        }
        started = time.perf_counter()
        data = self._post(body)
        latency = time.perf_counter() - started
        served = data.get("model")
        if not isinstance(served, str) or served != self.model:
            raise PunieError(
                f"asked {self.endpoint} for model {self.model!r} but it answered as {served!r}"
            )
        self._served = served
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices:
            raise PunieError(f"{self.endpoint} returned no choices: {str(data)[:300]}")
        choice = cast(dict[str, Any], cast(list[Any], choices)[0])
        message = cast(dict[str, Any], choice.get("message") or {})
        content = message.get("content")
        raw_calls: object = message.get("tool_calls") or []
        calls = tuple(
            cast(dict[str, Any], c) for c in cast(list[Any], raw_calls) if isinstance(c, dict)
        )
        usage = cast(dict[str, Any], data.get("usage") or {})
        return Generation(
            text=content if isinstance(content, str) else "",
            tool_calls=calls,
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            latency_s=latency,
            finish_reason=str(choice.get("finish_reason") or "stop"),
            prompt=None,
        )
