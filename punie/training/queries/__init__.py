"""Questions grounded in a real repository, each with an independently computed truth, the
teacher's Code-Mode program that answers it, and the checker.

- :func:`build_inventory` lists a repo's symbols through the language-server tools and computes
  truths independently (``ast``, ``re`` text search, the pyright/ruff/pytest CLIs as
  subprocesses). Reference questions ask for FILES using a symbol: the truth is the ``ast`` set
  of files with a use (names, attributes, ``from`` imports, ``__all__`` strings), kept only when
  ``find_references`` names exactly the same files (pyright's location COUNT also counts
  imports and ``__all__`` strings, so it is never asked). Hover truths (``ast`` return
  annotations, docstring first lines) are kept only where hover shows the same.
- :func:`generate_queries` fills phrasing templates; the last one (two for definitions) of each
  intent is held out.
- :func:`synthesize` / :func:`direct_answer` give the teacher's reply; :class:`SynthesizerTeacher`
  serves them as a :class:`~punie.agent.backends.base.Backend`.
- :func:`check_answer` normalises an answer and compares it with the truth.
"""

from punie.training.queries.check import check_answer, normalize
from punie.training.queries.generate import generate_queries, query_uid
from punie.training.queries.intents import DIRECT, INTENTS
from punie.training.queries.inventory import build_inventory, clear_cache
from punie.training.queries.model import (
    CATEGORIES,
    Inventory,
    Query,
    SymbolEntry,
    Truth,
    TruthKind,
    Verdict,
)
from punie.training.queries.programs import direct_answer, synthesize
from punie.training.queries.teacher import SynthesizerTeacher, tool_call_text

__all__ = [
    "CATEGORIES",
    "DIRECT",
    "INTENTS",
    "Inventory",
    "Query",
    "SymbolEntry",
    "SynthesizerTeacher",
    "Truth",
    "TruthKind",
    "Verdict",
    "build_inventory",
    "check_answer",
    "clear_cache",
    "direct_answer",
    "generate_queries",
    "normalize",
    "query_uid",
    "synthesize",
    "tool_call_text",
]
