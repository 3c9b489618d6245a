"""A second, wider set of training phrasings per intent: the name moved to the start, the
middle and the end of the sentence, a lead-in verb before it ("Find", "Show", "Track down"),
synonyms for the thing counted (modules, scripts, test cases, findings) and casual,
terse and polite registers. Like :mod:`punie.training.queries.paraphrases` they are training
phrasings only; the held-out phrasings (the suite's wording) are untouched and never appear
here (``tests/test_queries.py`` checks both sets stay disjoint)."""

from __future__ import annotations

from typing import Final

__all__ = ["WIDE_TEMPLATES"]

WIDE_TEMPLATES: Final[dict[str, tuple[str, ...]]] = {
    "definition.location": (
        "Track down {symbol} for me: file and line of its definition?",
        "Find {symbol}. Where exactly is it defined (file:line)?",
        "I'm reading a call to {symbol}; which file:line declares it?",
        "Please show the declaration of {symbol} as file:line.",
        "quick one: {symbol} defined where? file:line",
    ),
    "definition.file": (
        "Where is the source file of {symbol}? Only its path.",
        "Find the file that implements {symbol}; the path alone is enough.",
        "In which module is {symbol} declared? Give the file path only.",
        "Show me the path of the source that contains the definition of {symbol}.",
        "{symbol} lives in which source file? No line, just the file.",
    ),
    "references.file_count": (
        "How many modules reference {symbol}?",
        "Find the usages of {symbol}: in how many files are they?",
        "Tell me the number of modules where {symbol} is used.",
        "Count the source files that refer to {symbol}.",
        "{symbol} shows up as a reference in how many files in total?",
    ),
    "references.files": (
        "Find the modules that use {symbol} and give their paths.",
        "Show the files referring to {symbol}.",
        "Which scripts or modules reference {symbol}? Paths please.",
        "I want to change {symbol}: which files use it?",
        "List the file paths of every usage of {symbol}.",
    ),
    "hover.return_type": (
        "Find out what {symbol} returns: which type?",
        "Show me the return type of {symbol}.",
        "When {symbol} finishes, what type is its result?",
        "Tell me the type that a call to {symbol} produces.",
        "{symbol} gives back what kind of object?",
    ),
    "hover.docstring": (
        "Show the docstring written for {symbol}.",
        "Find {symbol} and tell me what its documentation says.",
        "What doc text is attached to {symbol}?",
        "Give me the documentation of {symbol}, word for word.",
        "{symbol}: read its docstring to me.",
    ),
    "symbols.top_level": (
        "Outline {file}: the functions and classes it defines at the top level.",
        "Show me the top-level classes and functions of {file}.",
        "Go through {file} and list its module-level functions and classes.",
        "For {file}, which functions and classes sit at module level?",
        "Give a summary of {file} as the names of its top-level functions and classes.",
    ),
    "symbols.class_count": (
        "Show me how many classes {file} defines.",
        "Count the classes declared in the module {file}.",
        "In {file}, what is the number of class definitions?",
        "How many class statements are written in {file}?",
        "Tell me the count of classes in {file}.",
    ),
    "symbols.methods": (
        "Show the methods in the body of class {symbol}.",
        "What are the method names of {symbol}?",
        "Go through class {symbol} and list every method it declares.",
        "Tell me each method defined on {symbol}.",
        "Give me the list of methods that {symbol} declares.",
    ),
    "grep.text_lines": (
        "Do a plain text search for '{text}': how many lines match?",
        "Find every line containing the literal '{text}' and tell me how many there are.",
        "Count the lines matching the text '{text}' in this repository.",
        "Search the repository for the exact text '{text}'; give the line count.",
        "Number of lines that contain '{text}' when searched as plain text?",
    ),
    "grep.todo": (
        "How many {text} markers are still in the code?",
        "Count every line with a {text} note in the repository.",
        "Find the {text} lines in this codebase and give me their number.",
        "Total the lines that still say {text}.",
        "How many {text} comments remain in this project?",
    ),
    "grep.files": (
        "Search for the exact text '{text}' and give me the files that contain it.",
        "Find the files in which the literal string '{text}' appears.",
        "Show every file with the text '{text}' in it.",
        "Which files have '{text}' written in them? A plain text search.",
        "List the paths of files containing the literal '{text}'.",
    ),
    "typecheck.error_count": (
        "Run pyright over the project and count the errors.",
        "How many type errors are there in total?",
        "Give me the number of errors the type checker reports overall.",
        "Check the types of the whole project and tell me how many errors there are.",
        "Total of type-checking errors, please.",
    ),
    "typecheck.first_error_file": (
        "Run the type checker: which file has its first error?",
        "Show me the file of the first error pyright finds.",
        "Type-check the project and give the file of error number one.",
        "The first type-checking error is in which file?",
        "Find pyright's first error; I only need the file name.",
    ),
    "typecheck.file_has_error": (
        "Has {file} got any type errors? yes or no",
        "Run pyright: does {file} have an error? Say yes or no.",
        "Is there a type error in {file}? Answer only yes or no.",
        "Check whether pyright reports errors in {file}: yes/no.",
        "{file}: does the type checker complain? yes or no",
    ),
    "typecheck.rule_count": (
        "How many type errors fall under the rule {rule}?",
        "Run pyright and count only the {rule} errors.",
        "Tell me the number of errors with rule {rule}.",
        "Count the pyright diagnostics reported as {rule}.",
        "Of all type errors, how many have the rule {rule}?",
    ),
    "ruff.violation_count": (
        "Run ruff over the project and count the violations.",
        "How many lint findings are there in total?",
        "Give me the overall number of problems the linter reports.",
        "Check the code with ruff and tell me how many violations there are.",
        "Total of lint violations, please.",
    ),
    "ruff.fixable_count": (
        "Run ruff: how many of its findings can it fix automatically?",
        "Count the lint problems that come with an automatic fix.",
        "Tell me the number of fixable ruff violations.",
        "How many violations could ruff fix on its own?",
        "Of the lint problems, count those with an available fix.",
    ),
    "ruff.codes": (
        "Which rule codes does the linter report?",
        "Run ruff and give me the codes of the rules that fail.",
        "Show the lint rule codes that are violated in this project.",
        "Tell me every ruff code among the current findings.",
        "What are the codes of the lint rules broken right now?",
    ),
    "ruff.files": (
        "Run ruff and tell me which files have problems.",
        "Show the files where the linter reports violations.",
        "Which source files fail ruff? File names please.",
        "Give me the files that have lint findings in them.",
        "Lint the code: in which files are the violations?",
    ),
    "pytest.failed_count": (
        "Run pytest and tell me how many tests fail.",
        "Tell me the number of broken tests.",
        "Count the test failures in this project.",
        "Give me the number of tests that do not pass.",
        "Number of failed tests, please.",
    ),
    "pytest.failing_test": (
        "Run pytest and give me the node id of the failure.",
        "Which test is failing? Give its id.",
        "Show me the test that fails, as a pytest node id.",
        "Find the failing test and tell me its id.",
        "Report the node id of the failing test.",
    ),
    "pytest.all_passing": (
        "Run pytest: does everything pass? yes or no",
        "Are all the tests green? Answer yes or no.",
        "Is the test suite passing? Say yes or no.",
        "Check whether every test passes: yes/no.",
        "Do all tests succeed? Just yes or no.",
    ),
    "pytest.total": (
        "Run pytest and tell me how many tests there are in all.",
        "How many tests does the suite run, counting passes and failures?",
        "Count every test case pytest collects and runs.",
        "Give me the total number of tests, passed or not.",
        "Number of tests run in total, please.",
    ),
    "workflow.failing_test_definition": (
        "Run the tests, then show me where the first failing test is defined (file:line).",
        "Which file and line hold the first test that fails?",
        "Find the first broken test and give the file:line of its definition.",
        "Take the first test failure and tell me its definition's file:line.",
        "Show the file:line of the first failing test's source.",
    ),
    "workflow.first_error_line": (
        "Run pyright and show me the line of code its first error is on.",
        "What does the source line of the first type error say?",
        "Find the first type error and quote the line it points to.",
        "Give the code on the line of the first pyright error.",
        "Show the text of the line where type checking first fails.",
    ),
    "workflow.first_error_function": (
        "Run pyright and tell me which function its first error is in.",
        "In which function does the first type error occur?",
        "Find the function that holds the first type error.",
        "The first pyright error sits inside which function?",
        "Show me the name of the function around the first type error.",
    ),
}
