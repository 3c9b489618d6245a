"""The sandboxed executor: runs model-written Python against the typed tools.

``Executor`` runs snippets (see :mod:`punie.agent.executor.executor` for how);
``stubs_text()`` is the tool description the prompt shows the model, generated from the same
catalogue the executor serves.
"""

from punie.agent.executor.executor import Executor
from punie.agent.executor.limits import ALLOWED_IMPORTS, ExecutorLimits
from punie.agent.executor.result import (
    ErrorKind,
    ExecutionError,
    ExecutionResult,
    LimitName,
    ToolCallRecord,
)
from punie.agent.executor.stubs import stubs_text, type_check_stubs

__all__ = [
    "ALLOWED_IMPORTS",
    "ErrorKind",
    "ExecutionError",
    "ExecutionResult",
    "Executor",
    "ExecutorLimits",
    "LimitName",
    "ToolCallRecord",
    "stubs_text",
    "type_check_stubs",
]
