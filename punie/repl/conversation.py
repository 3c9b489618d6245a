"""The conversation carried between turns, bounded by a token budget (oldest turns go first)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from punie.agent.messages import Message, tool_message

__all__ = ["Conversation", "token_counter", "turn_messages"]

TokenCounter = Callable[[str], int]


def _approximate(text: str) -> int:
    return (len(text) + 3) // 4


def token_counter(backend: object) -> TokenCounter:
    """Counts with the model's tokenizer when the backend has one, else about chars/4."""
    tokenizer: Any = getattr(backend, "tokenizer", None)
    encode: Any = getattr(tokenizer, "encode", None)
    if not callable(encode):
        return _approximate

    def count(text: str) -> int:
        try:
            tokens: Any = encode(text, add_special_tokens=False)
            return len(tokens)
        except Exception:
            return _approximate(text)

    return count


def message_text(message: Message) -> str:
    parts = [message["content"]]
    for call in message.get("tool_calls", []):
        code = call["function"]["arguments"].get("code")
        parts.append(code if isinstance(code, str) else str(call["function"]["arguments"]))
    return "\n".join(parts)


def turn_messages(
    messages: Sequence[Message], history_len: int, final_answer: str | None
) -> list[Message]:
    """What a finished turn adds to the conversation: its messages after the system message
    and the history it was given; a program that answered gets its answer as the tool reply."""
    new = list(messages[1 + history_len :])
    if new and final_answer is not None and new[-1].get("tool_calls"):
        new.append(tool_message(final_answer))
    return new


class Conversation:
    """Earlier turns, oldest first; :meth:`messages` keeps the newest that fit ``budget``."""

    def __init__(self, budget: int, count: TokenCounter = _approximate) -> None:
        self.budget = budget
        self.count = count
        self._turns: list[tuple[list[Message], int]] = []

    def add(self, messages: Sequence[Message]) -> None:
        if messages:
            size = sum(self.count(message_text(m)) + 4 for m in messages)
            self._turns.append((list(messages), size))

    def clear(self) -> None:
        self._turns.clear()

    @property
    def turn_count(self) -> int:
        return len(self._turns)

    def messages(self) -> list[Message]:
        """The newest whole turns whose tokens fit the budget (dropped turns are forgotten)."""
        total = 0
        keep = 0
        for _, size in reversed(self._turns):
            if total + size > self.budget:
                break
            total += size
            keep += 1
        del self._turns[: len(self._turns) - keep]
        return [m for turn, _ in self._turns for m in turn]

    def tokens(self) -> int:
        return sum(size for _, size in self._turns)
