"""The MCP server: tools derived from the one catalogue, ``execute_code`` (Code Mode) and
``rate``, on the official Python SDK's low-level ``Server``.

* Each catalogue tool (``goto_definition``, ``find_references``, ``typecheck``, ...) takes the
  arguments of its signature (JSON schema from the annotations) and returns its typed result
  as structured output and its ``render()`` text as the content.
* ``execute_code(question, code)`` runs a Code-Mode program in the same monty sandbox, with the
  same limits and the same confined tools, as a turn whose "model" is the MCP client: it comes
  back with the answer, the printed output and any error, readable by a model. ``question`` is
  what the program answers; with it the call is a training sample (``punie dataset build``
  takes verified or good-rated ones).
* ``rate(turn_id, rating, correction?)`` labels a trace good or bad.

Every call is a trace in the trace store, tagged with the MCP session, the client's name and
version (from ``initialize``) and the workspace commit. Bad input (an unknown tool, bad
arguments, a program that raises, a path outside the workspace, a killed language server) is an
MCP error result, never a dead server.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mcp.types as types
from mcp.server.lowlevel import Server
from pydantic import TypeAdapter

from punie.agent.backends.base import Generation
from punie.agent.executor import Executor
from punie.agent.executor.result import ExecutionResult, ToolCallRecord
from punie.agent.loop import Step, TurnResult, run_turn
from punie.agent.messages import EXECUTE_CODE_TOOL, Message
from punie.agent.prompt import PromptStyle
from punie.errors import PunieError
from punie.tools import ToolContext, result_to_json
from punie.tools.catalogue import ToolSpec, get_spec, tool_specs
from punie.traces import TraceStore, TurnMeta

__all__ = ["McpSession", "build_server", "run_stdio"]

_EXECUTE, _RATE = "execute_code", "rate"


def _schema(spec: ToolSpec) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for param in spec.params:
        prop = dict(TypeAdapter(param.annotation).json_schema())
        if not param.required:
            prop["default"] = param.default
        properties[param.name] = prop
    required = [p.name for p in spec.params if p.required]
    return {"type": "object", "properties": properties, "required": required}


def _tools() -> list[types.Tool]:
    tools = [
        types.Tool(name=spec.name, description=spec.doc or spec.name, inputSchema=_schema(spec))
        for spec in tool_specs()
    ]
    signatures = "\n".join(f"  {spec.signature_text()}" for spec in tool_specs())
    tools.append(
        types.Tool(
            name=_EXECUTE,
            description=(
                "Code Mode: run a short Python program that calls punie's typed tools and reads "
                "fields of their results, in a sandbox (the tools are the only way out). End "
                "with final_answer(text). `question` is what the program answers (recorded "
                "with the call, which makes it a training sample). The tools:\n" + signatures
            ),
            inputSchema={
                "type": "object",
                "properties": {
                    "question": {"type": "string", "description": "what the program answers"},
                    "code": {"type": "string", "description": "the Python program"},
                },
                "required": ["question", "code"],
            },
        )
    )
    tools.append(
        types.Tool(
            name=_RATE,
            description="Label an earlier call's trace (its turn_id) good or bad, optionally "
            "with a correction (the right answer or program).",
            inputSchema={
                "type": "object",
                "properties": {
                    "turn_id": {"type": "integer"},
                    "rating": {"type": "string", "enum": ["good", "bad"]},
                    "correction": {"type": "string"},
                },
                "required": ["turn_id", "rating"],
            },
        )
    )
    return tools


class _ClientProgram:
    """A Backend whose reply is the MCP client's program (the client is the model)."""

    prompt_style: PromptStyle = "catalogue"

    def __init__(self, code: str, identity: str) -> None:
        self._code = code
        self._identity = identity
        self._sent = False

    @property
    def identity(self) -> str:
        return self._identity

    def generate(self, messages: Sequence[Message]) -> Generation:
        if self._sent:  # only one program per call
            return Generation(text="", finish_reason="stop")
        self._sent = True
        arguments = json.dumps({"code": self._code})
        call = {"type": "function", "function": {"name": _EXECUTE, "arguments": arguments}}
        return Generation(text="", tool_calls=(call,), finish_reason="tool_calls")


@dataclass
class McpSession:
    """One ``punie mcp`` process: its workspace, warm tools, executor and trace store."""

    ctx: ToolContext
    executor: Executor
    store: TraceStore
    session: str = field(default_factory=lambda: uuid.uuid4().hex)
    client: str = "unknown"
    client_version: str = ""

    @property
    def identity(self) -> str:
        version = f"/{self.client_version}" if self.client_version else ""
        return f"mcp:{self.client}{version}"

    def _source(self, kind: str) -> dict[str, str]:
        return {
            "kind": kind,
            "session": self.session,
            "client": self.client,
            "client_version": self.client_version,
        }

    def _meta(self, kind: str) -> TurnMeta:
        return TurnMeta.collect(self.ctx.workspace.root, self.identity, self._source(kind))

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """A catalogue tool: (rendered text, structured result); recorded as a trace."""
        spec = get_spec(name)
        started = time.perf_counter()
        try:
            result = await spec.call(self.ctx, **arguments)
        except TypeError as exc:
            raise PunieError(f"{name}: {exc}") from None
        duration = time.perf_counter() - started
        data = result_to_json(result)
        rendered = result.render()
        code = f"{name}(**{arguments!r})"
        record = ToolCallRecord(0, name, arguments, result, data, None, duration, False)
        execution = ExecutionResult(code, rendered, "", (record,), None, duration)
        step = Step(0, 2, Generation(text=code), "code", code=code, execution=execution)
        turn = TurnResult(
            question=code,
            messages=[{"role": "user", "content": code}],
            steps=[step],
            final_answer=rendered,
            stop_reason="final_answer",
            max_steps=1,
            duration_s=duration,
            started_at=time.time(),
        )
        turn_id = self.store.record_turn(turn, self._meta("mcp-tool"), [])
        return rendered, {"turn_id": turn_id, **data}

    async def execute_code(self, question: str, code: str) -> tuple[str, dict[str, Any]]:
        """Code Mode: the client's program as one turn; recorded as a trace."""
        backend = _ClientProgram(code, self.identity)
        turn = await run_turn(question, backend, self.executor, max_steps=1)
        turn_id = self.store.record_turn(turn, self._meta("mcp"), [EXECUTE_CODE_TOOL])
        execution = turn.steps[0].execution if turn.steps else None
        error = execution.error.render() if execution and execution.error else turn.error
        calls = [
            {"name": c.name, "arguments": c.arguments, "error": c.error}
            for c in (execution.tool_calls if execution else ())
        ]
        data: dict[str, Any] = {
            "turn_id": turn_id,
            "answer": turn.final_answer,
            "output": execution.output if execution else "",
            "error": error,
            "tool_calls": calls,
        }
        text = execution.render() if execution else (turn.error or "no program ran")
        return f"{text}\n[trace {turn_id}]", data

    def rate(self, turn_id: int, rating: str, correction: str | None) -> tuple[str, dict[str, Any]]:
        if rating not in ("good", "bad"):
            raise PunieError(f"rating must be 'good' or 'bad', got {rating!r}")
        self.store.set_label(turn_id, "good" if rating == "good" else "bad", correction)
        return f"turn {turn_id} labelled {rating}", {"turn_id": turn_id, "rating": rating}


def build_server(session: McpSession) -> Server[Any, Any]:
    server: Server[Any, Any] = Server("punie")

    @server.list_tools()
    async def list_tools() -> list[types.Tool]:  # pyright: ignore[reportUnusedFunction]
        return _tools()

    @server.call_tool()
    async def call_tool(  # pyright: ignore[reportUnusedFunction]
        name: str, arguments: dict[str, Any]
    ) -> tuple[list[types.TextContent], dict[str, Any]]:
        params = server.request_context.session.client_params
        if params is not None:
            session.client = params.clientInfo.name
            session.client_version = params.clientInfo.version
        if name == _EXECUTE:
            text, data = await session.execute_code(
                str(arguments["question"]), str(arguments["code"])
            )
        elif name == _RATE:
            correction = arguments.get("correction")
            text, data = session.rate(
                int(arguments["turn_id"]),
                str(arguments["rating"]),
                None if correction is None else str(correction),
            )
        else:
            try:
                get_spec(name)
            except KeyError as exc:
                raise PunieError(str(exc.args[0])) from None
            text, data = await session.call_tool(name, arguments)
        return [types.TextContent(type="text", text=text)], data

    return server


async def run_stdio(repo: Path, traces: Path) -> None:
    """Serve MCP on stdin/stdout for ``repo`` until the client closes the stream."""
    from mcp.server.stdio import stdio_server

    async with (
        ToolContext.at(repo) as ctx,
        Executor(ctx) as executor,
    ):
        await ctx.lsp()  # warm before the first call
        with TraceStore(traces) as store:
            server = build_server(McpSession(ctx, executor, store))
            async with stdio_server() as (read, write):
                await server.run(read, write, server.create_initialization_options())
