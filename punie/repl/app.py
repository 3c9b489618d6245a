"""The prompt loop: read a line (history, multi-line editing, completion), run it as a slash
command or a question, repeat until ``/quit`` or Ctrl-D, then close everything."""

from __future__ import annotations

from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from rich.console import Console
from rich.text import Text

from punie.agent.backends.base import Backend
from punie.repl.commands import COMMANDS, QUIT, run_command
from punie.repl.complete import FileIndex, ReplCompleter, SymbolIndex
from punie.repl.config import ReplConfig
from punie.repl.interrupt import interruptible
from punie.repl.session import Session
from punie.traces import TraceStore

__all__ = ["key_bindings", "run_repl"]

PROMPT = "punie> "


def key_bindings() -> KeyBindings:
    """Enter submits (or takes the highlighted completion); Esc-Enter / Alt-Enter adds a line."""
    bindings = KeyBindings()

    @bindings.add("enter")
    def _submit(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        state = buffer.complete_state
        if state is not None and state.current_completion is not None:
            buffer.apply_completion(state.current_completion)
            return
        buffer.validate_and_handle()

    @bindings.add("escape", "enter")
    def _newline(event: KeyPressEvent) -> None:
        event.current_buffer.insert_text("\n")

    return bindings


async def _handle(session: Session, line: str) -> bool:
    """One input; ``False`` means quit. An error is shown, never the end of the session."""
    try:
        if not line.startswith("/"):
            await session.ask(line)
            return True
        name = line.split(maxsplit=1)[0]
        if name in (QUIT, "/exit"):
            return False
        with session.busy() as scope, interruptible(session.interrupt):
            await run_command(session, line)
        session.idle()
        if scope.cancelled_caught:
            session.console.print(Text("cancelled (Ctrl-C)", style="yellow"))
    except Exception as exc:
        session.idle()
        session.console.print(Text(f"error: {type(exc).__name__}: {exc}", style="bold red"))
    return True


async def run_repl(config: ReplConfig, backend: Backend, console: Console | None = None) -> int:
    """Run the REPL on ``config.repo`` with ``backend`` until the user leaves."""
    console = console or Console(highlight=False)
    history_path = config.input_history_path
    history_path.parent.mkdir(parents=True, exist_ok=True)
    with TraceStore(config.traces) as store:
        session = Session(config, backend, console, store)
        where = "a disposable copy of" if config.sandbox else ""
        console.print(Text(f"punie repl: starting on {where} {config.repo} …", style="dim"))
        session.workbench.on_server_event = lambda message: console.print(
            Text(f"language server: {message}", style="yellow")
        )
        await session.open()
        try:
            completer = ReplCompleter(
                [*COMMANDS, QUIT],
                FileIndex(lambda: session.workbench.root),
                SymbolIndex(lambda: session.workbench.ctx),
            )
            prompt: PromptSession[str] = PromptSession(
                history=FileHistory(str(history_path)),
                completer=completer,
                complete_while_typing=False,
                key_bindings=key_bindings(),
                multiline=True,
                prompt_continuation="  ... ",
                bottom_toolbar=lambda: session.workbench.server_status,
            )
            console.print(
                Text(
                    f"workspace {session.workbench.root} · model {backend.identity} · "
                    f"traces {config.traces} · /help for commands, Ctrl-D to quit",
                    style="dim",
                )
            )
            while True:
                try:
                    line = await prompt.prompt_async(PROMPT)
                except KeyboardInterrupt:
                    continue
                except EOFError:
                    break
                line = line.strip()
                if not line:
                    continue
                if line.startswith("/reset"):
                    completer.files.clear()
                    completer.symbols.clear()
                if not await _handle(session, line):
                    break
        finally:
            await session.close()
        console.print(Text("bye", style="dim"))
    return 0
