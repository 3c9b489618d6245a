"""The value types of the query set: categories, truths, queries, verdicts and the inventory."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "CATEGORIES",
    "Inventory",
    "Query",
    "SymbolEntry",
    "Truth",
    "TruthKind",
    "Verdict",
]

CATEGORIES: tuple[str, ...] = (
    "direct",
    "discrimination",
    "definition",
    "references",
    "hover",
    "symbols",
    "typecheck",
    "ruff",
    "pytest",
    "workflow",
)

TruthKind = Literal["location", "count", "text", "names", "none"]


@dataclass(frozen=True)
class Truth:
    """The canonical answer. ``location``: ``file:line``; ``count``: an integer; ``text``: a
    phrase the answer must contain (``yes``/``no`` must be the answer); ``names``: a
    comma-separated set; ``none``: the answer must say there is nothing."""

    kind: TruthKind
    value: str
    accept: tuple[str, ...] = ()


@dataclass(frozen=True)
class Query:
    uid: str
    repo: str
    category: str
    intent: str
    question: str
    symbol: str | None
    expected_tools: tuple[str, ...]
    expected_fields: tuple[str, ...]
    truth: Truth
    phrasing: int
    holdout_phrasing: bool
    first_try: str | None = None
    """A recovery query's flawed first program (:mod:`punie.training.queries.flaws`): the
    teacher writes it, it fails for real, and the teacher's own program follows the genuine
    error. ``None``: the teacher's program is the first reply."""


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str


@dataclass(frozen=True)
class SymbolEntry:
    """A symbol the language server reports (``document_symbols``), whose definition line the
    ``ast`` index confirms."""

    name: str
    qualified: str
    kind: str
    file: str
    line: int


@dataclass(frozen=True)
class Inventory:
    """What one repository offers to ask about.

    Truth values come from independent sources: ``ast`` (definitions, usage files, return
    annotations, docstrings, file contents), plain ``re`` text search, and the real CLIs run as
    subprocesses (``pyright --outputjson``, ``ruff check --output-format json``,
    ``python -m pytest -rA``). Tool results (the language server) are used only to pick targets
    where both agree; ``dropped`` counts the candidates left out that way, per intent.
    """

    name: str
    root: str
    python_files: tuple[str, ...]
    symbols: tuple[SymbolEntry, ...]
    # qualified name -> "file:line" (ast), for symbols whose name is unique in the repo
    definitions: dict[str, str] = field(default_factory=dict[str, str])
    # qualified name -> files using it (ast), where find_references names the same files
    reference_files: dict[str, tuple[str, ...]] = field(default_factory=dict[str, tuple[str, ...]])
    # qualified name -> return annotation (ast), where hover shows the same
    returns: dict[str, str] = field(default_factory=dict[str, str])
    # qualified name -> first docstring line (ast), where hover shows it
    docstrings: dict[str, str] = field(default_factory=dict[str, str])
    # file -> top-level class and function names (ast)
    top_level: dict[str, tuple[str, ...]] = field(default_factory=dict[str, tuple[str, ...]])
    # file -> number of classes (module level and nested in classes; ast)
    class_counts: dict[str, int] = field(default_factory=dict[str, int])
    # class name -> (file, method names) (ast)
    methods: dict[str, tuple[str, tuple[str, ...]]] = field(
        default_factory=dict[str, tuple[str, tuple[str, ...]]]
    )
    # pyright CLI errors in its order: (file, line, rule)
    type_errors: tuple[tuple[str, int, str], ...] = ()
    # source text of each type error's line, same order
    type_error_lines: tuple[str, ...] = ()
    # innermost function/method (ast) around each type error ("" at module level)
    type_error_scopes: tuple[str, ...] = ()
    # ruff CLI findings: (file, line, code, safe fix available)
    ruff: tuple[tuple[str, int, str, bool], ...] = ()
    # pytest CLI outcomes: (node id, outcome) in run order
    tests: tuple[tuple[str, str], ...] = ()
    # test function name -> "file:line" (ast)
    test_definitions: dict[str, str] = field(default_factory=dict[str, str])
    # literal text -> (matching line count, matching files) by plain text search
    text_hits: dict[str, tuple[int, tuple[str, ...]]] = field(
        default_factory=dict[str, tuple[int, tuple[str, ...]]]
    )
    dropped: dict[str, int] = field(default_factory=dict[str, int])
    build_s: float = 0.0
