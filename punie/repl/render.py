"""How the REPL shows things: streamed replies, code actions, tool results, files and traces.

Locations are shown as ``file:line`` with the source line and two lines of context on each
side; diagnostics, lint findings and test failures as tables; code syntax-highlighted.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from punie.agent.executor import ExecutionResult, ToolCallRecord
from punie.agent.loop import Step, TurnResult
from punie.tools import Diagnostic, Location
from punie.tools.navigation import (
    DefinitionResult,
    HoverResult,
    ReferencesResult,
    WorkspaceSymbolsResult,
)
from punie.tools.quality import RuffResult, TypecheckResult
from punie.tools.testing import PytestResult

__all__ = [
    "CONTEXT_LINES",
    "code_block",
    "render_file",
    "render_locations",
    "render_result",
    "render_step",
    "render_trace",
    "render_turn_end",
    "sanitize",
]

CONTEXT_LINES = 2
TURN_LOCATIONS = 4  # locations shown in full inside a turn (a /refs shows them all)
THEME = "monokai"


def sanitize(text: str) -> str:
    """Text safe for a terminal: control characters (but newlines and tabs) become ``?``."""
    return "".join(
        c if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cs") else "?" for c in text
    )


def code_block(code: str, title: str = "code") -> Panel:
    syntax = Syntax(code.rstrip("\n"), "python", theme=THEME, background_color="default")
    return Panel(syntax, title=title, title_align="left", border_style="blue", expand=False)


def _file_lines(root: Path, rel: str) -> list[str]:
    try:
        return (root / rel).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []


def render_locations(
    console: Console, root: Path, locations: Sequence[Location], limit: int | None = None
) -> None:
    """Each location as ``file:line``, then its source line with context around it (the first
    ``limit`` locations in full, the rest as ``file:line`` only)."""
    cache: dict[str, list[str]] = {}
    shown = locations if limit is None else locations[:limit]
    rest = locations[len(shown) :]
    if rest:
        more = ", ".join(f"{loc.file}:{loc.line}" for loc in rest)
        console.print(Text(f"(showing {len(shown)} in full; also {more})", style="dim"))
    for loc in shown:
        lines = cache.setdefault(loc.file, _file_lines(root, loc.file))
        head = Text(f"{loc.file}:{loc.line}", style="bold cyan")
        head.append(f":{loc.column}", style="cyan")
        console.print(head)
        first = max(1, loc.line - CONTEXT_LINES)
        last = min(len(lines), loc.line + CONTEXT_LINES)
        if not lines:
            console.print(Text(f"  > {loc.preview}", style="bold"))
            continue
        width = len(str(last))
        for number in range(first, last + 1):
            here = number == loc.line
            mark = ">" if here else " "
            row = Text(f"  {mark} {number:>{width}} │ ", style="bold yellow" if here else "dim")
            row.append(sanitize(lines[number - 1]), style="bold" if here else "")
            console.print(row, overflow="ellipsis", no_wrap=True)


def _diagnostics_table(title: str, diagnostics: Sequence[Diagnostic]) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False)
    for column in ("where", "severity", "rule", "message"):
        table.add_column(column, overflow="fold")
    for d in diagnostics:
        style = "red" if d.severity == "error" else "yellow"
        table.add_row(
            f"{d.file}:{d.line}:{d.column}", Text(d.severity, style), d.rule or "", d.message
        )
    return table


def _ruff_table(result: RuffResult) -> Table:
    table = Table(title=result.render().splitlines()[0], title_justify="left")
    for column in ("where", "code", "message", "fix"):
        table.add_column(column, overflow="fold")
    for v in result.violations:
        where = f"{v.file}:{v.line}:{v.column}"
        table.add_row(where, v.code, v.message, "yes" if v.fixable else "")
    return table


def _pytest_table(result: PytestResult) -> Table:
    table = Table(title=result.render().splitlines()[0], title_justify="left")
    for column in ("test", "outcome", "message"):
        table.add_column(column, overflow="fold")
    for case in result.tests:
        if case.outcome in ("failed", "error"):
            table.add_row(case.node_id, Text(case.outcome, "red"), case.message or "")
    return table


def render_result(console: Console, root: Path, result: object, limit: int | None = None) -> None:
    """A tool result, rendered for reading (``limit``: locations shown in full)."""
    if isinstance(result, DefinitionResult | ReferencesResult | HoverResult) and not result.success:
        console.print(Text(f"{result.symbol}: {result.error}", style="red"))
        if result.candidates:
            console.print(Text("did you mean: " + ", ".join(result.candidates), "yellow"))
        return
    if isinstance(result, DefinitionResult | ReferencesResult):
        console.print(Text(result.render().splitlines()[0], style="bold"))
        render_locations(console, root, result.locations, limit)
    elif isinstance(result, HoverResult):
        console.print(Syntax(result.signature, "python", theme=THEME, background_color="default"))
        if result.docstring:
            console.print(Text(result.docstring, style="italic"))
    elif isinstance(result, WorkspaceSymbolsResult) and result.success:
        console.print(Text(result.render(), style=""))
    elif isinstance(result, TypecheckResult) and result.success:
        head = result.render().splitlines()[0]
        if result.diagnostics:
            console.print(_diagnostics_table(head, result.diagnostics))
        else:
            console.print(Text(head, style="green"))
    elif isinstance(result, RuffResult) and result.success:
        if result.violations:
            console.print(_ruff_table(result))
        else:
            console.print(Text(result.render(), style="green"))
    elif isinstance(result, PytestResult):
        if result.failed or result.errors:
            console.print(_pytest_table(result))
        else:
            style = "green" if result.all_passed else "red"
            console.print(Text(result.render(), style=style))
    else:
        render: Any = getattr(result, "render", None)
        text = str(render()) if callable(render) else repr(result)
        console.print(Text(sanitize(text)))


def _call_text(call: ToolCallRecord) -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in call.arguments.items())
    return f"→ {call.name}({args})  {call.duration_s:.2f} s"


def render_execution(console: Console, root: Path, execution: ExecutionResult) -> None:
    for call in execution.tool_calls:
        console.print(Text(_call_text(call), style="magenta"))
        if call.error is not None:
            console.print(Text(call.error, style="red"))
        elif call.result is not None:
            render_result(console, root, call.result, TURN_LOCATIONS)
    if execution.output.strip():
        console.print(Text("printed:", style="dim"))
        console.print(Text(sanitize(execution.output.rstrip("\n"))))
    if execution.error is not None:
        error = execution.error
        where = f" (line {error.line})" if error.line else ""
        console.print(Text(f"{error.kind} error{where}: {sanitize(error.message)}", style="red"))


def render_step(console: Console, root: Path, step: Step, *, streamed: bool) -> None:
    """One step: the code action (highlighted), its tool results, or the correction."""
    gen = step.generation
    console.print(
        Text(
            f"── step {step.index + 1}: {step.action} · {gen.completion_tokens} tokens · "
            f"{gen.latency_s:.2f} s · {gen.finish_reason}",
            style="dim",
        )
    )
    if not streamed and step.action != "code" and gen.text.strip():
        console.print(Text(sanitize(gen.text.strip()[:800]), style="dim"))
    if step.recovered:
        console.print(Text(f"(read despite: {step.recovered})", style="yellow"))
    if step.code is not None:
        console.print(code_block(step.code))
    if step.execution is not None:
        render_execution(console, root, step.execution)
    if step.correction:
        first = step.correction.strip().splitlines()[0]
        console.print(Text(f"correction to the model: {sanitize(first)}", style="yellow"))


def render_turn_end(console: Console, turn: TurnResult, trace_id: int | None) -> None:
    if turn.final_answer is not None:
        panel = Panel(
            Text(sanitize(turn.final_answer)), title="answer", title_align="left", expand=False
        )
        console.print(panel, style="green")
    elif turn.stop_reason == "max_steps":
        console.print(
            Text(f"no answer: step limit reached ({len(turn.steps)} of {turn.max_steps} steps)"),
            style="bold red",
        )
    else:
        console.print(Text(f"no answer: {turn.stop_reason}: {turn.error}", style="bold red"))
    where = f"turn #{trace_id} recorded" if trace_id is not None else "not recorded"
    console.print(
        Text(
            f"[{where} · {len(turn.steps)} steps · {turn.duration_s:.2f} s "
            f"({turn.generation_s:.2f} s generating) · /good or /bad to label]",
            style="dim",
        )
    )


def render_file(console: Console, root: Path, rel: str, line: int | None, around: int = 8) -> None:
    """``rel`` around ``line`` (or its start), with line numbers, the line highlighted."""
    path = root / rel
    code = path.read_text(encoding="utf-8", errors="replace")
    total = max(1, len(code.splitlines()))
    centre = min(max(1, line or 1), total)
    first = max(1, centre - around) if line else 1
    last = min(total, centre + around if line else 2 * around + 1)
    console.print(Text(f"{rel}:{centre}" if line else rel, style="bold cyan"))
    lexer = Syntax.guess_lexer(str(path), code)
    console.print(
        Syntax(
            code,
            lexer,
            theme=THEME,
            line_numbers=True,
            line_range=(first, last),
            highlight_lines={centre} if line else set(),
            background_color="default",
        )
    )


def render_trace(console: Console, trace: dict[str, Any]) -> None:
    """A stored turn: what was asked, each step's reply, code and output, and the outcome."""
    label = trace.get("label") or "unlabelled"
    console.print(
        Text(
            f"trace #{trace['id']} · {trace['model']} · {trace['step_count']} steps · "
            f"{trace['stop_reason']} · {label}",
            style="bold",
        )
    )
    console.print(Text(f"question: {trace['question']}"))
    for step in trace["steps"]:
        console.print(
            Text(
                f"── step {int(step['idx']) + 1}: {step['action']} · "
                f"{step['completion_tokens']} tokens · {step['finish_reason']}",
                style="dim",
            )
        )
        if step["code"]:
            console.print(code_block(str(step["code"])))
        elif step["raw_text"]:
            console.print(Text(sanitize(str(step["raw_text"])[:400]), style="dim"))
        for call in step["tool_calls"]:
            console.print(Text(f"→ {call['name']}({call['arguments']})", style="magenta"))
        if step["output"]:
            console.print(Text(sanitize(str(step["output"])[:800])))
        if step["correction"]:
            console.print(Text(f"correction: {str(step['correction']).splitlines()[0]}", "yellow"))
    answer = trace["final_answer"]
    console.print(Text(f"answer: {answer}" if answer is not None else "no answer", style="green"))
    if trace.get("correction"):
        console.print(Text(f"correction: {trace['correction']}", style="yellow"))
