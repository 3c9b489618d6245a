"""JSON-RPC 2.0 framing (``Content-Length`` headers, as in LSP) with a cap on message size."""

from __future__ import annotations

import json
import re
from typing import Any, Protocol

__all__ = ["FrameError", "Reader", "encode", "read_message"]

_LENGTH = re.compile(rb"^content-length:\s*(\d+)\s*$", re.IGNORECASE)
_MAX_HEADER = 1024


class Reader(Protocol):
    async def readline(self) -> bytes: ...
    async def readexactly(self, n: int) -> bytes: ...


class FrameError(Exception):
    """A message that cannot be read; the connection is closed after answering it."""


async def read_message(reader: Reader, max_bytes: int) -> bytes | None:
    """One message body, or None at the end of the stream."""
    length: int | None = None
    while True:
        line = await reader.readline()
        if not line:
            return None
        if len(line) > _MAX_HEADER:
            raise FrameError("header line too long")
        if not line.strip():
            if length is None:
                raise FrameError("message without a Content-Length header")
            break
        match = _LENGTH.match(line)
        if match:
            length = int(match.group(1))
    if length > max_bytes:
        raise FrameError(f"message of {length} bytes is over the {max_bytes}-byte limit")
    return await reader.readexactly(length)


def encode(message: dict[str, Any]) -> bytes:
    body = json.dumps(message, separators=(",", ":")).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body
