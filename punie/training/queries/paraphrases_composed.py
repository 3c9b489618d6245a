"""Training phrasings composed from a family's lead-ins and each intent's own ask.

The hand-written phrasings of sibling intents open differently: most that begin "Type-check
the project" ask for the first error's file, so a small model learns the opening and not the
ask (measured: held-out questions that open that way got the first-error program whatever
they asked for). Here every lead-in of a family ("Run pyright", "Run the tests", ...) is
joined with the ask of every intent in that family, so an opening tells nothing about which
intent is meant, and only the ask does. Like the other training phrasings they never meet the
held-out ones (``tests/test_queries.py`` checks both sets stay disjoint).
"""

from __future__ import annotations

from typing import Final

__all__ = ["COMPOSED_TEMPLATES"]

_LEADS: Final[dict[str, tuple[str, ...]]] = {
    "typecheck": (
        "Run pyright",
        "Type-check the repository",
        "Run the type checker",
        "Check the types of the whole project",
        "Do a pyright pass",
    ),
    "ruff": (
        "Run ruff",
        "Lint the project",
        "Run the linter over the code",
        "Check the code with ruff",
        "Do a lint pass",
    ),
    "pytest": (
        "Run the tests",
        "Run pytest",
        "Execute the test suite",
        "Kick off the test run",
        "Do a test run",
    ),
    "definition": (
        "Look up {symbol}",
        "Go to the definition of {symbol}",
        "Find where {symbol} is declared",
        "Search for the declaration of {symbol}",
    ),
    "references": (
        "Look up the usages of {symbol}",
        "Find every reference to {symbol}",
        "Search the uses of {symbol}",
        "Check who uses {symbol}",
    ),
}

_ASKS: Final[dict[str, tuple[str, str, tuple[str, ...]]]] = {
    # intent: (family, separator after the lead-in, asks)
    "typecheck.error_count": (
        "typecheck",
        ": ",
        ("how many errors are reported?", "what is the error count?", "count the errors."),
    ),
    "typecheck.first_error_file": (
        "typecheck",
        ": ",
        (
            "which file holds the first error?",
            "give me the file of the first error.",
            "the first error is in which file?",
        ),
    ),
    "typecheck.rule_count": (
        "typecheck",
        ": ",
        (
            "how many errors have the rule {rule}?",
            "count only the {rule} errors.",
            "give the number of errors whose rule is {rule}.",
        ),
    ),
    "typecheck.file_has_error": (
        "typecheck",
        ": ",
        (
            "does {file} have an error? yes or no",
            "is any error in {file}? Answer yes or no.",
            "yes or no, does it report an error in {file}?",
        ),
    ),
    "workflow.first_error_line": (
        "typecheck",
        ", then ",
        (
            "read me the line of code where the first error is.",
            "show the text of the line the first error points at.",
            "print the source code at the first error's line.",
        ),
    ),
    "workflow.first_error_function": (
        "typecheck",
        ", then ",
        (
            "name the function that contains the first error.",
            "tell me which function or method the first error is in.",
            "give the name of the function around the first error.",
        ),
    ),
    "ruff.violation_count": (
        "ruff",
        ": ",
        (
            "how many violations are there?",
            "count the violations.",
            "what is the number of findings?",
        ),
    ),
    "ruff.fixable_count": (
        "ruff",
        ": ",
        (
            "how many violations can be fixed automatically?",
            "count the fixable findings.",
            "what number of violations does ruff know how to fix?",
        ),
    ),
    "ruff.codes": (
        "ruff",
        ": ",
        (
            "which rule codes are violated?",
            "list the distinct codes it reports, like E501.",
            "name the codes of the violations.",
        ),
    ),
    "ruff.files": (
        "ruff",
        ": ",
        (
            "which files have violations?",
            "list the paths of the files with findings.",
            "name the files it complains about.",
        ),
    ),
    "pytest.failed_count": (
        "pytest",
        ": ",
        ("how many tests fail?", "count the failing tests.", "what number of tests failed?"),
    ),
    "pytest.failing_test": (
        "pytest",
        ": ",
        (
            "which test fails?",
            "give me the node id of the failing test.",
            "name the test that fails.",
        ),
    ),
    "pytest.all_passing": (
        "pytest",
        ": ",
        (
            "are all tests green? yes or no",
            "does everything pass? Answer yes or no.",
            "yes or no, did every test pass?",
        ),
    ),
    "pytest.total": (
        "pytest",
        ": ",
        (
            "how many tests ran?",
            "count every test in the run.",
            "what is the number of tests, passing and failing together?",
        ),
    ),
    "workflow.failing_test_definition": (
        "pytest",
        ", then ",
        (
            "give the file:line where the failing test is defined.",
            "tell me where the failing test's function is defined (file:line).",
            "find the definition of the failing test and give file:line.",
        ),
    ),
    "definition.location": (
        "definition",
        ": ",
        ("give me its file and line.", "I want file:line.", "answer with path:line."),
    ),
    "definition.file": (
        "definition",
        ": ",
        (
            "give me only its file path.",
            "I want the file, not the line.",
            "answer with the path of the file alone.",
        ),
    ),
    "references.file_count": (
        "references",
        ": ",
        (
            "in how many files are they?",
            "count the distinct files.",
            "give me the number of files.",
        ),
    ),
    "references.files": (
        "references",
        ": ",
        (
            "which files are they in?",
            "list the distinct file paths.",
            "give me the paths of those files.",
        ),
    ),
}


def _compose() -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for intent, (family, separator, asks) in _ASKS.items():
        phrasings: list[str] = []
        for lead in _LEADS[family]:
            for ask in asks:
                phrasings.append(f"{lead}{separator}{ask}")
        out[intent] = tuple(phrasings)
    return out


COMPOSED_TEMPLATES: Final[dict[str, tuple[str, ...]]] = _compose()
"""Intent -> every lead-in of its family joined with every one of its asks (12-15 each)."""
