"""Questions answered without a tool: general questions about the tools and their ideas.

Each item's last ``holdout`` phrasings are held out (the suite asks them on every held-out
repo). Items with ``holdout=0`` are training-only topics: they never reach the suite, and
they teach the decision itself, that a question about a concept (not about this repository's
code) is answered in prose, with no program.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DIRECT", "DirectItem"]


@dataclass(frozen=True)
class DirectItem:
    intent: str
    templates: tuple[str, ...]
    answer: str
    keywords: tuple[str, ...]  # the answer must contain the first, or one of the others
    holdout: int = 1


def _topic(intent: str, templates: tuple[str, ...], answer: str, *keywords: str) -> DirectItem:
    return DirectItem(intent, templates, answer, keywords, holdout=0)


_SUITE: tuple[DirectItem, ...] = (
    DirectItem(
        "direct.lsp",
        (
            "What does LSP stand for?",
            "What is LSP short for?",
            "Expand the acronym LSP.",
            "LSP means what?",
            "What is the Language Server Protocol abbreviation? What does LSP mean?",
            "What does the abbreviation LSP refer to?",
            "Spell out LSP for me.",
            "LSP: which words are behind the letters?",
            "I keep seeing LSP in editor settings. What is it?",
            "Define LSP.",
            "What's the full name of LSP?",
            "Tell me what LSP means.",
            "What do the letters LSP stand for?",
            "Is LSP a protocol or a program?",
            "Explain the term LSP.",
            "Give the meaning of LSP.",
            "Which protocol do language servers speak, and what is it called?",
            "LSP: what is that?",
            "Write out the words behind the acronym LSP.",
            "In editor tooling, what is the long form of LSP?",
        ),
        "LSP stands for Language Server Protocol: a JSON-RPC protocol between editors and "
        "language servers for definitions, references, hover and diagnostics.",
        ("language server protocol",),
    ),
    DirectItem(
        "direct.references_vs_grep",
        (
            "What is the difference between find_references and grep?",
            "When should I use find_references instead of grep?",
            "How does find_references differ from a text search?",
            "Why not just grep for a symbol instead of finding its references?",
            "Compare find_references with grep.",
            "Why is find_references safer than grep when renaming a function?",
            "Does grep give the same answer as find_references?",
            "Can a plain text search replace find_references?",
            "What can find_references tell me that grep cannot?",
            "grep versus references from the language server: which one is exact?",
            "Should I search the text or ask for references to see where a function is used?",
            "Is grep as good as find_references for finding the uses of a function?",
            "Is find_references more precise than grep?",
            "Are grep matches the same thing as references?",
            "Explain why grep and find_references can disagree.",
            "Tell me how grep differs from find_references.",
            "Describe what find_references does that grep does not.",
            "Would grep and find_references report the same lines?",
            "Distinguish a grep hit from a reference.",
            "Is a textual search the same as asking the language server for references?",
        ),
        "find_references is semantic: the language server returns the places where that exact "
        "symbol is used, skipping comments, strings and unrelated names that look the same. "
        "grep is a plain text search: it matches every line containing the text, comments and "
        "strings included.",
        ("semantic", "text search"),
    ),
    DirectItem(
        "direct.definition_vs_references",
        (
            "What is the difference between goto_definition and find_references?",
            "How is going to a definition different from finding references?",
            "goto_definition or find_references: what does each return?",
            "Explain definition versus references for a symbol.",
            "When do I need goto_definition rather than find_references?",
            "What does goto_definition give me that find_references does not?",
            "Definition or references: which one tells me where a name is declared?",
            "To see every usage of a name, do I go to its definition or list its references?",
            "Explain the difference between a symbol's declaration and its uses.",
            "In a language server, what separates definition lookup from reference lookup?",
            "goto_definition and find_references: how do their answers differ?",
            "Compare goto_definition with find_references.",
            "Distinguish finding a definition from finding references.",
            "Describe how goto_definition differs from find_references.",
            "Tell goto_definition apart from find_references.",
            "Is goto_definition the same as find_references?",
            "Does goto_definition list the places a name is used?",
            "Explain what goto_definition returns and what find_references returns.",
            "Set a definition lookup side by side with a references lookup.",
            "Contrast jumping to a declaration with listing a symbol's usages.",
        ),
        "goto_definition returns where a symbol is defined (its declaration); find_references "
        "returns every place where it is used.",
        ("defined", "declaration"),
    ),
    DirectItem(
        "direct.ruff",
        (
            "What is ruff?",
            "What does the ruff tool do?",
            "What kind of tool is ruff?",
            "Explain what ruff is used for.",
            "Tell me what ruff is.",
            "Why would I run ruff on my code?",
            "What is ruff for?",
            "Describe ruff in one sentence.",
            "Is ruff a linter or a test runner?",
            "What happens when I run ruff check on a project?",
            "What sort of program is ruff, and what does it report?",
            "What does ruff report?",
            "Is ruff a type checker?",
            "Describe what ruff check finds.",
            "Tell me what ruff is good for.",
            "Explain the ruff tool.",
            "Why do projects run ruff?",
            "What is ruff, in a sentence?",
            "Summarise what ruff does.",
            "In a Python project, what job does ruff do?",
        ),
        "ruff is a fast Python linter (and formatter) written in Rust; it reports lint "
        "violations by rule code and can fix some of them.",
        ("linter", "lint"),
    ),
    DirectItem(
        "direct.type_checker",
        (
            "What does a type checker like pyright do?",
            "What is pyright?",
            "Explain what static type checking is.",
            "What kind of tool is pyright?",
            "What does pyright check?",
            "What is the purpose of pyright?",
            "What does pyright do to my code?",
            "Describe pyright in one sentence.",
            "Is pyright a linter, a test runner or a type checker?",
            "What is a static type checker good for?",
            "What problems does pyright find without running the code?",
            "Tell me what pyright is.",
            "Explain what pyright reports.",
            "Is pyright a linter?",
            "Describe what a static type checker does.",
            "What sort of errors does pyright find?",
            "Summarise what pyright does.",
            "What is pyright good for?",
            "Name the kind of tool pyright is.",
            "Why would a Python project run pyright?",
        ),
        "pyright is a static type checker for Python: it analyses the code without running it "
        "and reports type errors, such as wrong argument or return types.",
        ("static", "type error"),
    ),
)

_TOPICS: tuple[DirectItem, ...] = (
    _topic(
        "direct.pytest",
        (
            "What is pytest?",
            "What does pytest do?",
            "Why would a project use pytest?",
            "Describe pytest in one sentence.",
        ),
        "pytest is a Python test runner: it collects test functions, runs them and reports "
        "which pass and which fail.",
        "test runner",
        "tests",
    ),
    _topic(
        "direct.git",
        (
            "What is git?",
            "What is git used for?",
            "Explain git in one sentence.",
            "Why do projects keep their code in git?",
        ),
        "git is a version control system: it records the history of a project's files as "
        "commits, so changes can be compared, shared and undone.",
        "version control",
    ),
    _topic(
        "direct.docstring",
        (
            "What is a docstring?",
            "What does a Python docstring contain?",
            "Where does a docstring go in a function?",
            "Explain docstrings.",
        ),
        "A docstring is the string literal written first in a module, class or function body; "
        "it documents what the code does and is shown by help() and by hover in an editor.",
        "string",
    ),
    _topic(
        "direct.type_hint",
        (
            "What is a type annotation in Python?",
            "What are type hints for?",
            "Does Python check type hints when the code runs?",
            "Explain Python type hints.",
        ),
        "A type annotation (type hint) states the expected type of a variable, parameter or "
        "return value; Python does not enforce it at run time, but type checkers such as "
        "pyright use it.",
        "type",
    ),
    _topic(
        "direct.hover",
        (
            "What does hover show in an editor?",
            "What is a hover request in a language server?",
            "Explain what hovering over a name tells me.",
            "What information does hover give?",
        ),
        "Hover asks the language server about the name under the cursor: it shows the name's "
        "signature or type and its docstring.",
        "signature",
        "type",
    ),
    _topic(
        "direct.document_symbols",
        (
            "What is a document symbol outline?",
            "What does document_symbols return?",
            "Explain the outline view of a file.",
            "What are document symbols?",
        ),
        "document_symbols returns the outline of one file: its classes, functions, methods and "
        "variables, each with its kind and line range.",
        "outline",
        "classes",
    ),
    _topic(
        "direct.workspace_symbols",
        (
            "What does workspace_symbols do?",
            "What is a workspace symbol search?",
            "How does workspace_symbols differ from document_symbols?",
            "Explain workspace symbol search.",
        ),
        "workspace_symbols searches every file of the project for definitions whose names "
        "match a query; document_symbols lists the definitions of a single file.",
        "every file",
        "project",
    ),
    _topic(
        "direct.linter",
        (
            "What is a linter?",
            "What does a linter do?",
            "Explain linting.",
            "Why lint code?",
        ),
        "A linter reads source code without running it and reports likely mistakes and style "
        "problems, each as a violation of a named rule.",
        "rule",
        "mistakes",
    ),
    _topic(
        "direct.unit_test",
        (
            "What is a unit test?",
            "Explain unit tests.",
            "What does a unit test check?",
            "Why write unit tests?",
        ),
        "A unit test runs one small piece of code, such as a function, with known input and "
        "checks that its result is the expected one.",
        "expected",
    ),
    _topic(
        "direct.json_rpc",
        (
            "What is JSON-RPC?",
            "Explain JSON-RPC.",
            "How do an editor and a language server talk to each other?",
            "What protocol carries language server messages?",
        ),
        "JSON-RPC is a protocol of requests, responses and notifications encoded as JSON; the "
        "Language Server Protocol sends its messages over it.",
        "json",
    ),
    _topic(
        "direct.conftest",
        (
            "What is conftest.py?",
            "What goes into a conftest.py file?",
            "Explain pytest's conftest.py.",
            "Why does a test folder have a conftest.py?",
        ),
        "conftest.py is a file pytest loads before the tests in its folder; it holds shared "
        "fixtures and hooks.",
        "fixtures",
    ),
    _topic(
        "direct.fixture",
        (
            "What is a pytest fixture?",
            "Explain fixtures in pytest.",
            "How does a test get a fixture?",
            "What are fixtures for?",
        ),
        "A pytest fixture is a function that prepares something a test needs; a test receives "
        "it by naming the fixture as a parameter.",
        "parameter",
        "prepares",
    ),
    _topic(
        "direct.formatter",
        (
            "What does ruff format do?",
            "What is a code formatter?",
            "How is formatting different from linting?",
            "Explain what a formatter changes.",
        ),
        "A formatter such as ruff format rewrites code layout (spacing, line breaks, quotes) "
        "into one consistent style without changing what the code does; a linter reports "
        "problems instead.",
        "layout",
        "style",
    ),
    _topic(
        "direct.diagnostic",
        (
            "What is a diagnostic in a language server?",
            "What does a diagnostic contain?",
            "Explain diagnostics.",
            "What are the red squiggles in an editor?",
        ),
        "A diagnostic is a problem report for a range of a file: a message, a severity (error, "
        "warning, information) and often a rule code.",
        "severity",
        "problem",
    ),
    _topic(
        "direct.module",
        (
            "What is a Python module?",
            "What is the difference between a module and a package?",
            "Explain Python modules.",
            "What does import do in Python?",
        ),
        "A Python module is one .py file; a package is a directory of modules; import loads a "
        "module and binds its name so its definitions can be used.",
        "file",
    ),
    _topic(
        "direct.regex",
        (
            "What is a regular expression?",
            "What is a regex used for?",
            "Explain regular expressions.",
            "How is a regex search different from a literal search?",
        ),
        "A regular expression is a pattern language for text: it matches strings by structure "
        "(classes of characters, repetition, alternatives) rather than by literal text.",
        "pattern",
    ),
    _topic(
        "direct.refactoring",
        (
            "What is refactoring?",
            "Explain refactoring code.",
            "Why rename a function with the language server instead of by hand?",
            "What does a safe rename need to know?",
        ),
        "Refactoring changes the structure of code without changing its behaviour; a safe "
        "rename needs every reference to the name, which the language server finds.",
        "behaviour",
        "reference",
    ),
    # Comparisons and descriptions asked as commands, with no tool or symbol named: the
    # suite's topics are mostly asked as questions, and a small model read "Compare ..." or
    # "Describe ..." followed by tool-like words as a request to run a tool.
    _topic(
        "direct.list_vs_tuple",
        (
            "Compare a Python list with a tuple.",
            "Tell a list apart from a tuple.",
            "Set a list side by side with a tuple and say how they differ.",
            "Describe how lists and tuples differ.",
        ),
        "A list is mutable: items can be added, removed or replaced; a tuple is immutable once "
        "created, so it can be hashed and used as a dictionary key.",
        "mutable",
    ),
    _topic(
        "direct.function_vs_method",
        (
            "Compare a function with a method.",
            "Distinguish a plain function from a method.",
            "Describe what makes a method different from a function.",
            "Weigh calling a function against calling a method.",
        ),
        "A function is defined at module level and called by name; a method is a function "
        "defined in a class and called on an instance, which it receives as self.",
        "class",
        "self",
    ),
    _topic(
        "direct.lint_vs_typecheck",
        (
            "Compare linting with type checking.",
            "Distinguish what a linter reports from what a type checker reports.",
            "Describe the difference between ruff findings and pyright errors.",
            "Set linting next to type checking and explain what each catches.",
        ),
        "A linter such as ruff reports style problems and likely mistakes by rule code; a type "
        "checker such as pyright checks that values match their declared types.",
        "types",
        "type",
    ),
    _topic(
        "direct.unit_vs_integration",
        (
            "Compare a unit test with an integration test.",
            "Distinguish unit tests from integration tests.",
            "Describe how an integration test differs from a unit test.",
            "Weigh unit testing against integration testing.",
        ),
        "A unit test checks one small piece of code in isolation; an integration test checks "
        "that several parts work together, often with real files, services or processes.",
        "together",
    ),
    _topic(
        "direct.class_vs_instance",
        (
            "Compare a class with an instance.",
            "Distinguish a class from one of its objects.",
            "Describe the relation between a class and its instances.",
            "Tell a class apart from an instance of it.",
        ),
        "A class is the definition, a template of attributes and methods; an instance is one "
        "object created from it, with its own attribute values.",
        "object",
    ),
    _topic(
        "direct.exception",
        (
            "Describe what an exception is in Python.",
            "Summarise how Python exceptions work.",
            "Outline what happens when code raises an error.",
            "Give a one-line account of try and except.",
        ),
        "An exception is an error object raised when something goes wrong; it unwinds the call "
        "stack until a try/except block that handles its type catches it.",
        "raised",
        "raise",
    ),
    _topic(
        "direct.static_vs_runtime",
        (
            "Compare checking code statically with running it.",
            "Distinguish static analysis from testing at run time.",
            "Describe what static analysis finds that running the code does not.",
            "Weigh static checks against tests.",
        ),
        "Static analysis reads the code without running it (linters, type checkers) and covers "
        "every path; tests run the code and show what it really does on the inputs they try.",
        "without running",
        "running",
    ),
    _topic(
        "direct.code_mode",
        (
            "What is Code Mode?",
            "How do you answer questions about a repository?",
            "Why do you write a program instead of calling one tool at a time?",
            "Explain how you use tools.",
        ),
        "In Code Mode I write a short Python program that calls the typed tools "
        "(goto_definition, find_references, typecheck, pytest_run, ...) and reads fields of "
        "their results; it runs in a sandbox and its final_answer is my answer.",
        "program",
    ),
)

DIRECT: tuple[DirectItem, ...] = (*_SUITE, *_TOPICS)
