"""``punie repl``: an editor-like interactive session with the agent on one workspace.

- :mod:`~punie.repl.app`: the prompt loop and the turn runner (:func:`run_repl`);
- :mod:`~punie.repl.commands`: the slash commands;
- :mod:`~punie.repl.workbench`: the disposable sandbox copy and the tools bound to it;
- :mod:`~punie.repl.render`: how steps, tool results, files and traces are shown;
- :mod:`~punie.repl.complete`: completion of slash commands, file paths and workspace symbols;
- :mod:`~punie.repl.conversation`: the history carried between turns, under a token budget;
- :mod:`~punie.repl.streaming`: streamed, cancellable generation;
- :mod:`~punie.repl.interrupt`: Ctrl-C while a turn runs.
"""

from __future__ import annotations

from punie.repl.app import run_repl
from punie.repl.config import ReplConfig

__all__ = ["ReplConfig", "run_repl"]
