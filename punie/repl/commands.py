"""The slash commands. Each takes the session and the rest of the line."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

import anyio
from rich.text import Text

from punie.errors import PunieError
from punie.repl.render import render_file, render_result, render_trace
from punie.repl.session import Session
from punie.tools.navigation import find_references, goto_definition

__all__ = ["COMMANDS", "HELP", "QUIT", "run_command"]

QUIT: Final = "/quit"

HELP: Final = """\
Ask a question in plain words; the model answers by running code against the tools.
  Enter submits · Esc-Enter (Alt-Enter) adds a line · Tab completes commands, files, symbols
  Ctrl-C cancels the turn in flight · Ctrl-D quits
/open FILE[:LINE]   show the code around a line
/def NAME           where NAME is defined (goto_definition, no model)
/refs NAME          every reference to NAME (find_references, no model)
/model              the model's identity
/trace              the last turn's trace, as stored
/good               label the last turn good
/bad [CORRECTION]   label the last turn bad, with what the answer should have been
/reset              a fresh sandbox copy and a new conversation
/help               this help
/quit               leave (or Ctrl-D)"""

Handler = Callable[[Session, str], Awaitable[None]]


def _say(session: Session, text: str, style: str = "") -> None:
    session.console.print(Text(text, style=style))


async def _open(session: Session, arg: str) -> None:
    if not arg:
        return _say(session, "usage: /open FILE[:LINE]", "yellow")
    rel, line = arg, None
    head, sep, tail = arg.rpartition(":")
    if sep and tail.isdigit():
        rel, line = head, int(tail)
    try:
        path = session.workbench.ctx.workspace.resolve(rel)
    except PunieError as exc:
        return _say(session, str(exc), "red")
    if not path.is_file():
        return _say(session, f"no such file: {rel}", "red")
    render_file(session.console, session.workbench.root, rel, line)


async def _def(session: Session, arg: str) -> None:
    if not arg:
        return _say(session, "usage: /def NAME", "yellow")
    result = await goto_definition(session.workbench.ctx, arg)
    render_result(session.console, session.workbench.root, result)


async def _refs(session: Session, arg: str) -> None:
    if not arg:
        return _say(session, "usage: /refs NAME", "yellow")
    result = await find_references(session.workbench.ctx, arg)
    render_result(session.console, session.workbench.root, result)


async def _model(session: Session, arg: str) -> None:
    _say(session, session.backend.identity, "bold")


async def _trace(session: Session, arg: str) -> None:
    if session.last_trace_id is None:
        return _say(session, "no turn yet in this session", "yellow")
    render_trace(session.console, session.store.get_turn(session.last_trace_id))


async def _label(session: Session, label: str, correction: str | None) -> None:
    if session.last_trace_id is None:
        return _say(session, "no turn to label yet", "yellow")
    session.store.set_label(session.last_trace_id, "good" if label == "good" else "bad", correction)
    extra = f" (correction: {correction})" if correction else ""
    _say(session, f"turn #{session.last_trace_id} labelled {label}{extra}", "green")


async def _good(session: Session, arg: str) -> None:
    await _label(session, "good", arg or None)


async def _bad(session: Session, arg: str) -> None:
    await _label(session, "bad", arg or None)


async def _reset(session: Session, arg: str) -> None:
    with anyio.CancelScope(shield=True):  # a half-made workbench is worse than a slow reset
        await session.workbench.reset()
    session.conversation.clear()
    what = "a fresh sandbox copy" if session.config.sandbox else "the repo itself (--no-sandbox)"
    _say(session, f"reset: {what} at {session.workbench.root}; conversation cleared", "green")


async def _help(session: Session, arg: str) -> None:
    _say(session, HELP)


COMMANDS: Final[dict[str, Handler]] = {
    "/open": _open,
    "/def": _def,
    "/refs": _refs,
    "/model": _model,
    "/trace": _trace,
    "/good": _good,
    "/bad": _bad,
    "/reset": _reset,
    "/help": _help,
}


async def run_command(session: Session, line: str) -> bool:
    """Run a slash command; ``False`` means quit."""
    name, _, arg = line.strip().partition(" ")
    if name in (QUIT, "/exit"):
        return False
    handler = COMMANDS.get(name)
    if handler is None:
        _say(session, f"unknown command {name}; /help lists them", "yellow")
        return True
    await handler(session, arg.strip())
    return True
