"""The intents: phrasing templates (the last ``holdout`` of each are held out), the tools and
fields a correct program uses, and how each intent's targets and truths come out of an
inventory."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from punie.training.queries.direct import DIRECT, DirectItem
from punie.training.queries.model import Inventory, Truth

__all__ = ["DIRECT", "INTENTS", "Candidate", "DirectItem", "IntentSpec", "intent_spec"]


@dataclass(frozen=True)
class Candidate:
    """One target of an intent: what the template is filled with, and the truth."""

    target: str
    symbol: str | None
    fill: dict[str, str]
    truth: Truth


@dataclass(frozen=True)
class IntentSpec:
    intent: str
    category: str
    templates: tuple[str, ...]
    tools: tuple[str, ...]
    fields: tuple[str, ...]
    candidates: Callable[[Inventory], list[Candidate]]
    holdout: int = 1

    def is_holdout(self, phrasing: int) -> bool:
        return phrasing >= len(self.templates) - self.holdout


def _names(items: list[str] | tuple[str, ...]) -> str:
    return ", ".join(sorted(set(items)))


# --- candidates ------------------------------------------------------------------------------


def _definitions(inv: Inventory) -> list[Candidate]:
    return [
        Candidate(q, q, {"symbol": q}, Truth("location", loc))
        for q, loc in sorted(inv.definitions.items())
    ]


def _definition_files(inv: Inventory) -> list[Candidate]:
    return [
        Candidate(q, q, {"symbol": q}, Truth("names", loc.rsplit(":", 1)[0]))
        for q, loc in sorted(inv.definitions.items())
    ]


def _ref_count(inv: Inventory) -> list[Candidate]:
    return [
        Candidate(q, q, {"symbol": q}, Truth("count", str(len(files))))
        for q, files in sorted(inv.reference_files.items())
    ]


def _ref_files(inv: Inventory) -> list[Candidate]:
    return [
        Candidate(q, q, {"symbol": q}, Truth("names", _names(files)))
        for q, files in sorted(inv.reference_files.items())
        if len(files) <= 6
    ]


def _returns(inv: Inventory) -> list[Candidate]:
    return [
        Candidate(q, q, {"symbol": q}, Truth("text", ret)) for q, ret in sorted(inv.returns.items())
    ]


def _docstrings(inv: Inventory) -> list[Candidate]:
    return [
        Candidate(q, q, {"symbol": q}, Truth("text", doc))
        for q, doc in sorted(inv.docstrings.items())
    ]


def _top_level(inv: Inventory) -> list[Candidate]:
    return [
        Candidate(f, f, {"file": f}, Truth("names", _names(names)))
        for f, names in sorted(inv.top_level.items())
        if len(names) <= 8
    ]


def _class_counts(inv: Inventory) -> list[Candidate]:
    return [
        Candidate(f, f, {"file": f}, Truth("count", str(n)))
        for f, n in sorted(inv.class_counts.items())
        if f in inv.top_level
    ]


def _methods(inv: Inventory) -> list[Candidate]:
    return [
        Candidate(cls, cls, {"symbol": cls}, Truth("names", _names(names)))
        for cls, (_, names) in sorted(inv.methods.items())
        if cls in inv.definitions and len(names) <= 10
    ]


def _text_lines(inv: Inventory) -> list[Candidate]:
    return [
        Candidate(t, t, {"text": t}, Truth("count", str(n)))
        for t, (n, _) in sorted(inv.text_hits.items())
        if n < 200 and t[:1].isupper() and not t.isupper()
    ]


def _tags(inv: Inventory) -> list[Candidate]:
    return [
        Candidate(t, t, {"text": t}, Truth("count", str(n)))
        for t, (n, _) in sorted(inv.text_hits.items())
        if t.isupper()
    ]


def _text_files(inv: Inventory) -> list[Candidate]:
    return [
        Candidate(t, t, {"text": t}, Truth("names", _names(files)))
        for t, (_, files) in sorted(inv.text_hits.items())
        if len(files) <= 6
    ]


def _repo(truth: Truth) -> list[Candidate]:
    return [Candidate(".", None, {}, truth)]


def _error_count(inv: Inventory) -> list[Candidate]:
    return _repo(Truth("count", str(len(inv.type_errors))))


def _first_error_file(inv: Inventory) -> list[Candidate]:
    if not inv.type_errors:
        return _repo(Truth("none", "none"))
    return _repo(Truth("names", inv.type_errors[0][0]))


def _file_has_error(inv: Inventory) -> list[Candidate]:
    bad = {f for f, _, _ in inv.type_errors}
    return [
        Candidate(f, f, {"file": f}, Truth("text", "yes" if f in bad else "no"))
        for f in inv.python_files
        if f in inv.top_level
    ]


def _rule_count(inv: Inventory) -> list[Candidate]:
    rules = sorted({r for _, _, r in inv.type_errors if r})
    return [
        Candidate(r, r, {"rule": r}, Truth("count", str(sum(e[2] == r for e in inv.type_errors))))
        for r in rules
    ]


def _ruff_count(inv: Inventory) -> list[Candidate]:
    return _repo(Truth("count", str(len(inv.ruff))))


def _ruff_fixable(inv: Inventory) -> list[Candidate]:
    return _repo(Truth("count", str(sum(f[3] for f in inv.ruff))))


def _ruff_codes(inv: Inventory) -> list[Candidate]:
    if not inv.ruff:
        return _repo(Truth("none", "none"))
    return _repo(Truth("names", _names([f[2] for f in inv.ruff])))


def _ruff_files(inv: Inventory) -> list[Candidate]:
    if not inv.ruff:
        return _repo(Truth("none", "none"))
    return _repo(Truth("names", _names([f[0] for f in inv.ruff])))


def _failed_tests(inv: Inventory) -> list[tuple[str, str]]:
    return [t for t in inv.tests if t[1] in ("failed", "error")]


def _pytest_failed(inv: Inventory) -> list[Candidate]:
    return _repo(Truth("count", str(sum(t[1] == "failed" for t in inv.tests))))


def _pytest_failing(inv: Inventory) -> list[Candidate]:
    failing = _failed_tests(inv)
    if not failing:
        return _repo(Truth("none", "none"))
    ids = [t[0] for t in failing]
    leaves = [i.split("::")[-1] for i in ids]
    return _repo(Truth("names", _names(ids), (_names(leaves),)))


def _pytest_all(inv: Inventory) -> list[Candidate]:
    return _repo(Truth("text", "no" if _failed_tests(inv) else "yes"))


def _pytest_total(inv: Inventory) -> list[Candidate]:
    return _repo(Truth("count", str(len(inv.tests))))


def _wf_failing_def(inv: Inventory) -> list[Candidate]:
    failing = _failed_tests(inv)
    if not failing or failing[0][0] not in inv.test_definitions:
        return []
    return _repo(Truth("location", inv.test_definitions[failing[0][0]]))


def _wf_error_line(inv: Inventory) -> list[Candidate]:
    if not inv.type_errors:
        return []
    return _repo(Truth("text", inv.type_error_lines[0]))


def _wf_error_scope(inv: Inventory) -> list[Candidate]:
    if not inv.type_errors or not inv.type_error_scopes[0]:
        return []
    scope = inv.type_error_scopes[0]
    leaf = scope.rsplit(".", 1)[-1]
    return _repo(Truth("text", scope, (leaf,) if leaf != scope else ()))


_DEF = "goto_definition"
_BASE_INTENTS: tuple[IntentSpec, ...] = (
    IntentSpec(
        "definition.location",
        "definition",
        (
            "Where is {symbol} defined?",
            "Find the definition of {symbol}.",
            "In which file and line is {symbol} defined?",
            "Go to the definition of {symbol}.",
            "Show me where {symbol} is declared.",
            "I need the file and line where {symbol} is implemented.",
            "Locate the source of {symbol}: which file:line defines it?",
        ),
        (_DEF,),
        ("locations", "file", "line"),
        _definitions,
        holdout=2,
    ),
    IntentSpec(
        "definition.file",
        "definition",
        (
            "Which file defines {symbol}?",
            "In which file is {symbol} defined?",
            "What file contains the definition of {symbol}?",
            "Tell me the file where {symbol} is declared.",
            "{symbol} is defined in which file?",
            "Which source file would I open to read the implementation of {symbol}?",
        ),
        (_DEF,),
        ("locations", "file"),
        _definition_files,
    ),
    IntentSpec(
        "references.file_count",
        "references",
        (
            "In how many files is {symbol} used?",
            "How many files reference {symbol}?",
            "Count the files that use {symbol}.",
            "How many different files refer to {symbol}?",
            "{symbol} is used in how many files?",
            "Across the codebase, how many modules make use of {symbol}?",
        ),
        ("find_references",),
        ("file_count",),
        _ref_count,
    ),
    IntentSpec(
        "references.files",
        "references",
        (
            "Which files use {symbol}?",
            "List the files that reference {symbol}.",
            "Where is {symbol} used? Give the files.",
            "What files refer to {symbol}?",
            "Name every file that uses {symbol}.",
            "Which modules depend on {symbol}? List their files.",
        ),
        ("find_references",),
        ("files",),
        _ref_files,
    ),
    IntentSpec(
        "hover.return_type",
        "hover",
        (
            "What does {symbol} return?",
            "What is the return type of {symbol}?",
            "What type does {symbol} return?",
            "Which type comes back from calling {symbol}?",
            "Tell me the return type of {symbol}.",
            "If I call {symbol}, what kind of value do I get back?",
        ),
        ("hover",),
        ("signature",),
        _returns,
    ),
    IntentSpec(
        "hover.docstring",
        "hover",
        (
            "What does the docstring of {symbol} say?",
            "Show the documentation of {symbol}.",
            "What is {symbol} documented to do?",
            "Give me the docstring for {symbol}.",
            "What does the documentation say about {symbol}?",
            "Read me the doc comment attached to {symbol}.",
        ),
        ("hover",),
        ("docstring",),
        _docstrings,
    ),
    IntentSpec(
        "symbols.top_level",
        "symbols",
        (
            "What classes and functions does {file} define at the top level?",
            "List the top-level classes and functions in {file}.",
            "Which classes and functions are defined in {file} (top level only)?",
            "What top-level definitions are in {file}?",
            "Give the names of the module-level classes and functions of {file}.",
            "Summarise {file}: which classes and functions does it declare at module level?",
        ),
        ("document_symbols",),
        ("symbols", "kind", "container", "name"),
        _top_level,
    ),
    IntentSpec(
        "symbols.class_count",
        "symbols",
        (
            "How many classes are defined in {file}?",
            "Count the classes in {file}.",
            "How many classes does {file} declare?",
            "What is the number of classes defined in {file}?",
            "{file} defines how many classes?",
            "Tell me how many class definitions live in {file}.",
        ),
        ("document_symbols",),
        ("symbols", "kind"),
        _class_counts,
    ),
    IntentSpec(
        "symbols.methods",
        "symbols",
        (
            "What methods does the class {symbol} define?",
            "List the methods of {symbol}.",
            "Which methods are defined on {symbol}?",
            "Name the methods that class {symbol} has.",
            "What are the methods of class {symbol}?",
            "Enumerate every method declared in the body of {symbol}.",
        ),
        (_DEF, "document_symbols"),
        ("locations", "file", "symbols", "container", "kind", "name"),
        _methods,
    ),
    IntentSpec(
        "grep.text_lines",
        "discrimination",
        (
            "How many lines contain the text '{text}' anywhere in the repo"
            " (comments and strings included)?",
            "Search the repository text for '{text}': how many matching lines are there?",
            "Count the lines in all files that mention the string '{text}'.",
            "Do a plain text search for '{text}'. How many lines match?",
            "How many lines of text, in any file, include '{text}'?",
            "Grep for the literal '{text}' and tell me the number of matching lines.",
        ),
        ("grep",),
        ("match_count",),
        _text_lines,
    ),
    IntentSpec(
        "grep.todo",
        "discrimination",
        (
            "How many lines contain {text}?",
            "Count the {text} markers in the repository.",
            "How many {text} notes are there in the code (count matching lines)?",
            "Search for {text}: how many lines match?",
            "How many lines mention {text} across all files?",
            "Tally the {text} lines left in this project.",
        ),
        ("grep",),
        ("match_count",),
        _tags,
    ),
    IntentSpec(
        "grep.files",
        "discrimination",
        (
            "Which files contain the text '{text}'?",
            "List the files in which the string '{text}' appears, comments and docs included.",
            "Search all files for the text '{text}' and name the files that match.",
            "In which files does '{text}' appear as text?",
            "What files mention '{text}' anywhere?",
            "Give me every file whose contents include the literal '{text}'.",
        ),
        ("grep",),
        ("matches", "file"),
        _text_files,
    ),
    IntentSpec(
        "typecheck.error_count",
        "typecheck",
        (
            "How many type errors does this project have?",
            "Run the type checker: how many errors are there?",
            "Count the type errors in the repository.",
            "How many errors does pyright report?",
            "What is the number of type-checking errors?",
            "Type-check the code base and give me the error total.",
        ),
        ("typecheck",),
        ("error_count",),
        _error_count,
    ),
    IntentSpec(
        "typecheck.first_error_file",
        "typecheck",
        (
            "Which file has the first type error?",
            "Type-check the project: in which file is the first error?",
            "What file does the first type-checker error point at?",
            "Run the type checker and tell me the file of the first error.",
            "Which file is the first type error reported in?",
            "Name the file where pyright's first reported error lives.",
        ),
        ("typecheck",),
        ("diagnostics", "file"),
        _first_error_file,
    ),
    IntentSpec(
        "typecheck.file_has_error",
        "typecheck",
        (
            "Is there a type error in {file}? Answer yes or no.",
            "Does {file} have any type errors (yes/no)?",
            "Type-check {file}: does it have errors? yes or no",
            "Are there type errors in {file}? Reply yes or no.",
            "Does the type checker find an error in {file}? yes/no",
            "Would pyright flag an error in {file}? Just say yes or no.",
        ),
        ("typecheck",),
        ("error_count",),
        _file_has_error,
    ),
    IntentSpec(
        "typecheck.rule_count",
        "typecheck",
        (
            "How many type errors of rule {rule} are there?",
            "Count the {rule} errors from the type checker.",
            "How many errors does pyright report under {rule}?",
            "Type-check the project: how many {rule} errors?",
            "What is the number of {rule} type errors?",
            "Filter the type errors by the rule {rule} and count them.",
        ),
        ("typecheck",),
        ("diagnostics", "rule"),
        _rule_count,
    ),
    IntentSpec(
        "ruff.violation_count",
        "ruff",
        (
            "How many ruff violations are there?",
            "Run ruff: how many lint violations does it find?",
            "Count the lint errors reported by ruff.",
            "How many problems does the linter report?",
            "What is the number of ruff findings in the project?",
            "Lint the repository and give me the total number of violations.",
        ),
        ("ruff_check",),
        ("violation_count",),
        _ruff_count,
    ),
    IntentSpec(
        "ruff.fixable_count",
        "ruff",
        (
            "How many ruff violations can be fixed automatically?",
            "Run ruff: how many findings are fixable?",
            "Count the auto-fixable lint violations.",
            "How many lint problems does ruff say it can fix safely?",
            "What is the number of fixable ruff violations?",
            "Of the linter's findings, how many have a safe automatic fix?",
        ),
        ("ruff_check",),
        ("fixable_count",),
        _ruff_fixable,
    ),
    IntentSpec(
        "ruff.codes",
        "ruff",
        (
            "Which ruff rule codes are violated?",
            "Run ruff and list the violated rule codes.",
            "What lint codes does ruff report?",
            "Which rules does the linter flag? Give the codes.",
            "List the distinct ruff codes found in the project.",
            "Name every lint rule code that currently fails.",
        ),
        ("ruff_check",),
        ("violations", "code"),
        _ruff_codes,
    ),
    IntentSpec(
        "ruff.files",
        "ruff",
        (
            "Which files have ruff violations?",
            "Run ruff: which files does it complain about?",
            "List the files with lint violations.",
            "What files does the linter flag?",
            "Name the files that have ruff findings.",
            "Where are the lint problems? Give me the file names.",
        ),
        ("ruff_check",),
        ("violations", "file"),
        _ruff_files,
    ),
    IntentSpec(
        "pytest.failed_count",
        "pytest",
        (
            "How many tests fail?",
            "Run the tests: how many failures are there?",
            "Count the failing tests.",
            "How many tests are failing right now?",
            "Run pytest and tell me the number of failed tests.",
            "What is the failure count of the test suite?",
        ),
        ("pytest_run",),
        ("failed",),
        _pytest_failed,
    ),
    IntentSpec(
        "pytest.failing_test",
        "pytest",
        (
            "Which test fails?",
            "Run the tests and name the failing test.",
            "What is the name of the failing test?",
            "Which tests are failing?",
            "Run pytest: which test does not pass?",
            "Tell me the id of the test that breaks.",
        ),
        ("pytest_run",),
        ("tests", "outcome", "node_id"),
        _pytest_failing,
    ),
    IntentSpec(
        "pytest.all_passing",
        "pytest",
        (
            "Do all the tests pass? Answer yes or no.",
            "Run the tests: is everything green (yes/no)?",
            "Is the test suite passing? yes or no",
            "Are all tests passing? Reply yes or no.",
            "Does pytest pass without failures? yes/no",
            "Is the build's test run clean? Just say yes or no.",
        ),
        ("pytest_run",),
        ("failed", "errors"),
        _pytest_all,
    ),
    IntentSpec(
        "pytest.total",
        "pytest",
        (
            "How many tests are there?",
            "Run the tests: how many tests ran in total?",
            "Count the tests in the suite.",
            "How many test cases does pytest run?",
            "What is the total number of tests?",
            "Run pytest and report how many tests it executed altogether.",
        ),
        ("pytest_run",),
        ("tests",),
        _pytest_total,
    ),
    IntentSpec(
        "workflow.failing_test_definition",
        "workflow",
        (
            "Run the tests, then find where the first failing test is defined.",
            "Which file and line define the first failing test?",
            "Run pytest and go to the definition of the first failing test.",
            "Find the first failing test and give its definition's file:line.",
            "Where is the failing test function defined? Run the tests to find it.",
            "Locate the source (file:line) of the first test that fails.",
        ),
        ("pytest_run", _DEF),
        ("tests", "outcome", "node_id", "locations", "file", "line"),
        _wf_failing_def,
    ),
    IntentSpec(
        "workflow.first_error_line",
        "workflow",
        (
            "Type-check the project and show me the source line of the first error.",
            "What does the line with the first type error say?",
            "Run the type checker, then read the code at the first error.",
            "Show the code on the line where the first type error is.",
            "Which line of code triggers the first type error? Quote it.",
            "Quote the offending source line of pyright's first error.",
        ),
        ("typecheck", "read_file"),
        ("diagnostics", "file", "line", "lines"),
        _wf_error_line,
    ),
    IntentSpec(
        "workflow.first_error_function",
        "workflow",
        (
            "In which function is the first type error?",
            "Type-check the project: which function or method contains the first error?",
            "Run the type checker and name the function where the first error is.",
            "Which method has the first type error?",
            "What function is the first type error inside of?",
            "Find the first pyright error and tell me the enclosing function's name.",
        ),
        ("typecheck", "document_symbols"),
        ("diagnostics", "file", "line", "symbols", "end_line", "qualified"),
        _wf_error_scope,
    ),
)


def _with_paraphrases(specs: tuple[IntentSpec, ...]) -> tuple[IntentSpec, ...]:
    """Each intent's extra training phrasings inserted before its held-out ones."""
    from punie.training.queries.paraphrases import EXTRA_TEMPLATES
    from punie.training.queries.paraphrases_composed import COMPOSED_TEMPLATES
    from punie.training.queries.paraphrases_wide import WIDE_TEMPLATES

    out: list[IntentSpec] = []
    for spec in specs:
        extra = (
            *EXTRA_TEMPLATES.get(spec.intent, ()),
            *WIDE_TEMPLATES.get(spec.intent, ()),
            *COMPOSED_TEMPLATES.get(spec.intent, ()),
        )
        train, held = spec.templates[: -spec.holdout], spec.templates[-spec.holdout :]
        out.append(dataclasses.replace(spec, templates=(*train, *extra, *held)))
    return tuple(out)


INTENTS: tuple[IntentSpec, ...] = _with_paraphrases(_BASE_INTENTS)


def intent_spec(intent: str) -> IntentSpec | None:
    for spec in INTENTS:
        if spec.intent == intent:
            return spec
    return None


def direct_item(intent: str) -> DirectItem | None:
    for item in DIRECT:
        if item.intent == intent:
            return item
    return None
