"""The trace: every turn the agent runs, with the genuine tool results, in one SQLite store.

Above the agent (a trace records a :class:`punie.agent.loop.TurnResult`) and below everything
that reads traces back: the REPL, ``punie traces``, the harvest and the dataset build.
"""

from punie.traces.store import TraceStore, TurnMeta, git_state, prompt_sha256, tool_versions

__all__ = ["TraceStore", "TurnMeta", "git_state", "prompt_sha256", "tool_versions"]
