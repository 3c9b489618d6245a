"""The trace: every turn the agent runs, with the genuine tool results, in one SQLite store.

Above the agent (a trace records a :class:`punie.agent.loop.TurnResult`) and below everything
that reads traces back: the REPL, ``punie traces``, the harvest and the dataset build. The
store writes (:mod:`.store`, with the harvest ledger as a registered extension table,
:mod:`.ledger`), :func:`read_traces` is the one typed reader (:mod:`.reader`), and
:func:`message_problems` the one check of a sample's messages (:mod:`.messages`).
"""

from punie.traces.ledger import HARVEST_LEDGER, LedgerRow
from punie.traces.messages import ROLES, message_problems
from punie.traces.reader import LedgerInfo, StepInfo, TraceRecord, TraceSnapshot, read_traces
from punie.traces.store import (
    Extension,
    TraceStore,
    TurnMeta,
    git_state,
    prompt_sha256,
    tool_versions,
)

__all__ = [
    "HARVEST_LEDGER",
    "ROLES",
    "Extension",
    "LedgerInfo",
    "LedgerRow",
    "StepInfo",
    "TraceRecord",
    "TraceSnapshot",
    "TraceStore",
    "TurnMeta",
    "git_state",
    "message_problems",
    "prompt_sha256",
    "read_traces",
    "tool_versions",
]
