"""The sandboxed executor: real tools from the catalogue on a small real repository, escapes that
must be refused, every limit, and errors reported with their line.

Tool calls go to the REAL catalogue tools (the language-server ones always exist; ``grep`` and
``read_file`` are used when the catalogue has them). Only the executor's own mechanics
(concurrency, wall time, a tool that raises) use the test-only tools marked ``TEST-ONLY``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest

from punie.agent.executor import Executor, ExecutorLimits, stubs_text, type_check_stubs
from punie.tools import ToolContext, result_to_json
from punie.tools.catalogue import ParamSpec, ToolSpec, get_spec, tool_specs
from punie.tools.navigation import DefinitionResult

pytestmark = pytest.mark.anyio

REPO = {
    "calc.py": "def add(a: int, b: int) -> int:\n    return a + b\n\n\n"
    "def neg(a: int) -> int:\n    return -a\n",
    "main.py": "from calc import add, neg\n\nprint(add(1, 2))\nprint(add(neg(3), 4))\n",
    "notes.txt": "TODO: add subtraction\n",
}
SECRET = "root:x:0:0"  # what /etc/passwd starts with: must never reach the output

FAST = ExecutorLimits(wall_time_s=20.0, compute_time_s=1.0, max_tool_calls=5)


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def ctx(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ToolContext]:
    root = tmp_path_factory.mktemp("repo")
    for name, text in REPO.items():
        (root / name).write_text(text)
    async with ToolContext.at(root) as context:  # one warm language server for the module
        yield context


@pytest.fixture(scope="module")
async def ex(ctx: ToolContext) -> AsyncIterator[Executor]:
    async with Executor(ctx, FAST) as executor:
        yield executor


@pytest.fixture(scope="module")
async def unchecked(ctx: ToolContext) -> AsyncIterator[Executor]:
    """No type check: lets code the checker would reject reach the sandbox itself."""
    async with Executor(ctx, FAST, type_check=False) as executor:
        yield executor


# --- TEST-ONLY tools: exercise the executor's mechanics, not the product's tools -------------


@dataclass(frozen=True)
class EchoResult:
    """TEST-ONLY result."""

    success: bool
    text: str
    error: str | None = None

    def render(self) -> str:
        return self.text


async def slow_echo(ctx: ToolContext, text: str, delay: float = 0.0) -> EchoResult:
    """TEST-ONLY: answers ``text`` after ``delay`` seconds."""
    await anyio.sleep(delay)
    return EchoResult(True, text)


async def broken(ctx: ToolContext, text: str) -> EchoResult:
    """TEST-ONLY: always raises."""
    raise ValueError(f"boom {text}")


def _test_only_spec(function: object, params: tuple[ParamSpec, ...]) -> ToolSpec:
    name = getattr(function, "__name__", "?")
    return ToolSpec(name, function, params, EchoResult, "TEST-ONLY")  # type: ignore[arg-type]


TEST_ONLY_SPECS = (
    _test_only_spec(
        slow_echo,
        (
            ParamSpec("text", str, "str", None, True),
            ParamSpec("delay", float, "float", 0.0, False),
        ),
    ),
    _test_only_spec(broken, (ParamSpec("text", str, "str", None, True),)),
)


@pytest.fixture(scope="module")
async def mechanics(ctx: ToolContext) -> AsyncIterator[Executor]:
    limits = ExecutorLimits(wall_time_s=1.5, compute_time_s=1.0, max_tool_calls=10)
    async with Executor(ctx, limits, specs=TEST_ONLY_SPECS) as executor:
        yield executor


# --- stubs ------------------------------------------------------------------------------------


def test_stubs_show_every_catalogue_tool_its_result_fields_and_final_answer() -> None:
    text = stubs_text()
    for spec in tool_specs():
        assert f"def {spec.name}(" in text
        assert f"class {spec.result_type.__name__}:" in text
    assert "def final_answer(text: str) -> None:" in text
    assert "class Location:" in text and "    file: str\n" in text  # nested result classes
    assert "await asyncio.gather(" in text  # how to run calls concurrently is documented
    assert "__await__" not in text  # the type checker's awaitable base stays out of the prompt
    assert "__await__" in type_check_stubs()


async def test_stubs_type_check_cleanly(ex: Executor) -> None:
    assert await ex.check("pass") is None
    names = ", ".join(f"{spec.name}" for spec in tool_specs())
    assert await ex.check(f"tools = [{names}, final_answer]\nprint(len(tools))") is None


# --- real tools -------------------------------------------------------------------------------


async def test_final_answer_reads_real_fields(ex: Executor, ctx: ToolContext) -> None:
    code = (
        "r = goto_definition('add')\n"
        "loc = r.locations[0]\n"
        "final_answer(f'{loc.file}:{loc.line}')\n"
        "print('not reached')\n"
    )
    result = await ex.run(code)
    assert result.error is None, result.render()
    assert result.final_answer == "calc.py:1"
    assert result.render() == "calc.py:1"
    assert result.output == ""  # the run ended at final_answer
    (call,) = result.tool_calls
    assert (call.name, call.arguments, call.error, call.concurrent) == (
        "goto_definition",
        {"symbol": "add"},
        None,
        False,
    )
    direct = await get_spec("goto_definition").call(ctx, symbol="add")
    assert call.result == direct  # the genuine result object, not a copy made by the sandbox
    assert call.result_json == result_to_json(direct)
    assert call.result_json is not None and call.result_json["type"] == "DefinitionResult"
    assert call.duration_s > 0


async def test_printed_output_is_returned(ex: Executor) -> None:
    code = (
        "r = find_references('add')\n"
        "print(r.reference_count, r.file_count)\n"
        "for loc in r.locations:\n"
        "    print(loc.file, loc.line, loc.preview.strip())\n"
        "print(r.locations[0].render())\n"
    )
    result = await ex.run(code)
    assert result.error is None, result.render()
    assert result.final_answer is None
    lines = result.output.splitlines()
    assert lines[0] == "3 1"
    assert lines[1:4] == [
        "main.py 1 from calc import add, neg",
        "main.py 3 print(add(1, 2))",
        "main.py 4 print(add(neg(3), 4))",
    ]
    assert lines[4].startswith("main.py:1:18")  # a result method, run on the host
    assert result.render() == result.output.rstrip("\n")


async def test_nested_tuples_of_dataclasses_and_optional_fields(ex: Executor) -> None:
    code = (
        "syms = document_symbols('calc.py')\n"
        "names = [s.qualified for s in syms.symbols if s.kind == 'function']\n"
        "h = hover('neg')\n"
        "where = h.location.line if h.location is not None else -1\n"
        "final_answer(','.join(names) + f' {syms.symbol_count} {where}')\n"
    )
    result = await ex.run(code)
    assert result.error is None, result.render()
    assert result.final_answer == "add,neg 2 5"
    assert [c.name for c in result.tool_calls] == ["document_symbols", "hover"]


async def test_gathered_real_calls_run_as_futures(ex: Executor) -> None:
    code = (
        "import asyncio\n"
        "d, r = await asyncio.gather(goto_definition('neg'), find_references('neg'))\n"
        "final_answer(f'{d.locations[0].line} {r.reference_count}')\n"
    )
    result = await ex.run(code)
    assert result.error is None, result.render()
    assert result.final_answer == "5 2"
    assert [(c.name, c.concurrent) for c in result.tool_calls] == [
        ("goto_definition", True),
        ("find_references", True),
    ]


async def test_result_objects_cannot_change_the_host_result(ex: Executor) -> None:
    result = await ex.run("r = goto_definition('add')\nr.success = False\nprint(r.success)")
    assert result.output == "False\n"  # the sandbox's copy changed...
    host = result.tool_calls[0].result
    assert isinstance(host, DefinitionResult) and host.success  # ...the host's did not


async def test_file_tools_when_the_catalogue_has_them(ctx: ToolContext) -> None:
    names = {spec.name for spec in tool_specs()}
    if not {"grep", "read_file"} <= names:
        pytest.skip(f"grep/read_file not in the catalogue yet: {sorted(names)}")
    async with Executor(ctx, FAST) as executor:
        code = (
            "g = grep('TODO')\n"
            "f = read_file(g.matches[0].file)\n"
            "final_answer(f'{g.match_count} {f.lines[0]}')\n"
        )
        result = await executor.run(code)
    assert result.error is None, result.render()
    assert result.final_answer == "1 TODO: add subtraction"


# --- escapes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("import os\nprint(os.listdir('/'))", "import"),
        ("import subprocess\nsubprocess.run(['id'])", "import"),
        ("from pathlib import Path\nprint(Path('/etc/passwd').read_text())", "import"),
        ("import sys\nprint(sys.modules)", "import"),
        ("print(open('/etc/passwd').read())", "type_check"),
        ("__import__('os').system('id')", "type_check"),
        ("print(getattr(print, '__self__'))", "type_check"),
        ("print(().__class__.__bases__[0].__subclasses__())", "runtime"),
        ("print(type(()).__subclasses__())", "runtime"),
        ("f = lambda: 0\nprint(f.__globals__)", "runtime"),
        ("r = goto_definition('add')\nprint(r.__class__.__dict__)", "runtime"),
        ("r = goto_definition('add')\nprint(type(r).__init__)", "runtime"),
    ],
)
async def test_escapes_are_refused(ex: Executor, code: str, kind: str) -> None:
    result = await ex.run(code)
    assert result.error is not None, result.output
    assert result.error.kind == kind, result.render()
    assert SECRET not in result.output


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("print(open('/etc/passwd').read())", "PermissionError: open: the sandbox has no file"),
        ("__import__('os')", "NameError: name '__import__' is not defined"),
        ("print(getattr(print, '__self__'))", "AttributeError"),
        ("getattr(getattr((), '__class__'), '__subclasses__')()", "AttributeError"),
        ("print(__builtins__)", "NameError"),
        ("print(eval('__import__')('os'))", "NameError"),
        ("exec('import os\\nprint(os.getenv(\"HOME\"))')", "PermissionError: os.getenv"),
        ("exec('import os\\nos.system(\"touch pwned\")')", "has no attribute 'system'"),
        ("exec('import subprocess')", "ModuleNotFoundError: No module named 'subprocess'"),
        (
            "exec('import pathlib\\nprint(pathlib.Path(\"/etc/passwd\").read_text())')",
            "PermissionError: Path.read_text",
        ),
        (
            "r = goto_definition('add')\nT = type(r)\nprint(T(symbol='x', success=True))",
            "cannot instantiate host class",
        ),
    ],
)
async def test_escapes_fail_inside_the_sandbox_too(
    unchecked: Executor, ctx: ToolContext, code: str, error: str
) -> None:
    """With the host's checks off, the sandbox itself refuses: no file, environment or process
    access exists except through the tools."""
    result = await unchecked.run(code)
    assert result.error is not None and result.error.kind == "runtime", result.render()
    assert error in result.error.render()
    assert SECRET not in result.output
    assert not (ctx.workspace.root / "pwned").exists() and not Path("pwned").exists()


# --- limits -----------------------------------------------------------------------------------


async def test_infinite_loop_hits_the_compute_time_limit(ex: Executor) -> None:
    started = time.perf_counter()
    result = await ex.run("n = 0\nwhile True:\n    n += 1\n")
    assert result.error is not None and result.error.limit == "compute_time", result.render()
    assert result.error.kind == "limit_exceeded"
    assert result.error.message.startswith("LimitExceeded: the program computed for more than 1s")
    assert time.perf_counter() - started < 5


async def test_huge_output_hits_the_output_limit(ctx: ToolContext) -> None:
    limits = ExecutorLimits(max_output_chars=1000)
    async with Executor(ctx, limits) as executor:
        result = await executor.run("for i in range(100000):\n    print('line', i)\n")
    assert result.error is not None and result.error.limit == "output", result.render()
    assert result.error.message == (
        "LimitExceeded: more than 1000 characters printed (the rest was cut)"
    )
    assert len(result.output) == 1000 and result.output.startswith("line 0\nline 1\n")
    assert result.render().endswith(result.error.message)


async def test_output_limit_cannot_be_caught(ctx: ToolContext) -> None:
    limits = ExecutorLimits(max_output_chars=100)
    code = (
        "for i in range(1000):\n"
        "    try:\n"
        "        print('x' * 50)\n"
        "    except Exception:\n"
        "        pass\n"
        "final_answer('escaped the limit')\n"
    )
    async with Executor(ctx, limits) as executor:
        result = await executor.run(code)
    assert result.final_answer is None
    assert result.error is not None and result.error.limit == "output"


async def test_deep_recursion_hits_the_recursion_limit(ex: Executor) -> None:
    code = "def down(n: int) -> int:\n    return down(n + 1)\n\ndown(0)\n"
    result = await ex.run(code)
    assert result.error is not None and result.error.limit == "recursion", result.render()
    assert result.error.message == "LimitExceeded: recursion deeper than 200 calls (line 2)"


async def test_memory_hog_hits_the_memory_limit(ctx: ToolContext) -> None:
    limits = ExecutorLimits(max_memory_bytes=32 * 2**20)
    async with Executor(ctx, limits) as executor:
        result = await executor.run("x = [1]\nwhile True:\n    x = x + x\n")
    assert result.error is not None and result.error.limit == "memory", result.render()
    assert (
        result.error.message
        == "LimitExceeded: the program used more than 32 MiB of memory (line 3)"
    )


async def test_too_many_tool_calls(ex: Executor) -> None:
    code = "for i in range(50):\n    document_symbols('calc.py')\nfinal_answer('done')\n"
    result = await ex.run(code)
    assert result.final_answer is None
    assert result.error is not None and result.error.limit == "tool_calls"
    assert result.error.message == "LimitExceeded: more than 5 tool calls"
    assert len(result.tool_calls) == 5
    assert [c.index for c in result.tool_calls] == [0, 1, 2, 3, 4]


async def test_tool_call_limit_cannot_be_caught(ex: Executor) -> None:
    code = (
        "for i in range(50):\n"
        "    try:\n"
        "        document_symbols('calc.py')\n"
        "    except Exception:\n"
        "        pass\n"
        "final_answer('escaped the limit')\n"
    )
    result = await ex.run(code)
    assert result.final_answer is None
    assert result.error is not None and result.error.limit == "tool_calls"


async def test_wall_time_counts_time_spent_in_tools(mechanics: Executor) -> None:
    started = time.perf_counter()
    result = await mechanics.run("slow_echo('a', 10.0)\nprint('not reached')")
    assert time.perf_counter() - started < 4
    assert result.error is not None and result.error.limit == "wall_time", result.render()
    assert result.error.message.startswith("LimitExceeded: the program ran longer than 1.5s")
    assert result.output == ""


async def test_executor_is_usable_after_every_limit(ex: Executor) -> None:
    await ex.run("while True:\n    pass\n")
    result = await ex.run("print(goto_definition('neg').locations[0].line)")
    assert (result.error, result.output) == (None, "5\n")


# --- errors with lines ------------------------------------------------------------------------


async def test_syntax_error_is_reported_with_its_line(ex: Executor) -> None:
    result = await ex.run("r = goto_definition('add')\nif r.success\n    print(r)\n")
    assert result.error is not None and result.error.kind == "syntax"
    assert result.error.line == 2
    assert result.error.message == "SyntaxError: expected ':' (line 2)"
    assert "    if r.success\n" in result.render()
    assert result.tool_calls == ()


async def test_type_errors_are_reported_with_their_lines_and_nothing_runs(ex: Executor) -> None:
    code = "print('first')\nr = goto_definition(42)\nprint(r.locatons)\n"
    result = await ex.run(code)
    assert result.error is not None and result.error.kind == "type_check", result.render()
    assert result.error.line == 2
    text = result.render()
    assert "line 2, column 21: error[invalid-argument-type]" in text
    assert "line 3, column 7: error[unresolved-attribute]" in text
    assert "`DefinitionResult` has no attribute `locatons`" in text
    assert result.output == "" and result.tool_calls == ()


async def test_runtime_error_is_reported_with_its_line_after_the_output(ex: Executor) -> None:
    code = "r = find_references('add')\nprint(r.reference_count)\nprint(r.locations[10])\n"
    result = await ex.run(code)
    assert result.error is not None and result.error.kind == "runtime"
    assert result.error.line == 3
    assert result.error.message.startswith("IndexError")
    assert result.output == "3\n"
    rendered = result.render()
    assert rendered.startswith("3\nTraceback (most recent call last):")
    assert 'File "snippet", line 3' in rendered
    assert len(result.tool_calls) == 1  # the call made before the error is kept


async def test_wrong_arguments_at_run_time_raise_type_error_in_the_sandbox(
    unchecked: Executor,
) -> None:
    code = (
        "try:\n"
        "    goto_definition()\n"
        "except TypeError as e:\n"
        "    print(e)\n"
        "goto_definition('add', nope=1)\n"
    )
    result = await unchecked.run(code)
    assert result.output == "goto_definition() missing required argument: 'symbol'\n"
    assert result.error is not None
    assert "unexpected keyword argument 'nope'" in result.error.message
    assert result.tool_calls == ()


async def test_runs_are_isolated(unchecked: Executor) -> None:
    assert (await unchecked.run("secret = 41")).error is None
    result = await unchecked.run("print(secret)")
    assert result.error is not None and "NameError" in result.error.message


async def test_tool_calls_inside_exec_are_plain_calls(ex: Executor) -> None:
    result = await ex.run("exec(\"r = grep('TODO')\\nprint(r.match_count)\")")
    assert (result.error, result.output) == (None, "1\n"), result.render()
    assert [(c.name, c.concurrent) for c in result.tool_calls] == [("grep", False)]


async def test_no_output_tells_the_model_what_to_do(ex: Executor) -> None:
    result = await ex.run("x = 1")
    assert result.error is None and result.output == ""
    assert "final_answer" in result.render()


# --- mechanics (TEST-ONLY tools) --------------------------------------------------------------


async def test_gathered_calls_run_concurrently(mechanics: Executor) -> None:
    code = (
        "import asyncio\n"
        "rs = await asyncio.gather(*[slow_echo(t, 0.4) for t in ['a', 'b', 'c']])\n"
        "final_answer(''.join(r.text for r in rs))\n"
    )
    started = time.perf_counter()
    result = await mechanics.run(code)
    elapsed = time.perf_counter() - started
    assert result.final_answer == "abc", result.render()
    assert elapsed < 1.0  # three 0.4 s calls at once, not 1.2 s in a row
    assert all(c.concurrent for c in result.tool_calls) and len(result.tool_calls) == 3


async def test_plain_calls_are_sequential_and_awaited_calls_work(mechanics: Executor) -> None:
    code = "a = slow_echo('a', 0.2)\nb = await slow_echo('b', 0.2)\nprint(a.text + b.text)\n"
    started = time.perf_counter()
    result = await mechanics.run(code)
    assert result.output == "ab\n", result.render()
    assert time.perf_counter() - started >= 0.4
    assert [c.concurrent for c in result.tool_calls] == [False, True]


async def test_awaiting_a_plain_result_explains_how_to_await(mechanics: Executor) -> None:
    result = await mechanics.run("r = slow_echo('a')\nx = await r\n")
    assert result.error is not None and result.error.kind == "runtime"
    assert "can't be awaited" in result.error.message
    assert "Hint: a tool call returns its result directly" in result.render()


async def test_final_answer_cancels_calls_still_running(mechanics: Executor) -> None:
    code = (
        "import asyncio\n"
        "async def slow() -> None:\n"
        "    await slow_echo('late', 5.0)\n"
        "async def answer() -> None:\n"
        "    final_answer('early')\n"
        "await asyncio.gather(slow(), answer())\n"
    )
    started = time.perf_counter()
    result = await mechanics.run(code)
    assert result.final_answer == "early", result.render()
    assert result.error is None
    assert time.perf_counter() - started < 1.0
    assert result.tool_calls == ()  # the slow call never finished, so it has no record


async def test_a_tool_that_raises_is_a_runtime_error_the_snippet_can_catch(
    mechanics: Executor,
) -> None:
    code = "try:\n    broken('x')\nexcept RuntimeError as e:\n    print('caught:', e)\n"
    result = await mechanics.run(code)
    assert result.error is None, result.render()
    assert result.output == "caught: broken() failed: ValueError: boom x\n"
    (call,) = result.tool_calls
    assert call.result is None and call.result_json is None
    assert call.error == "broken() failed: ValueError: boom x"


async def test_nothing_a_snippet_does_makes_the_executor_raise(
    ex: Executor, unchecked: Executor, ctx: ToolContext
) -> None:
    """Deep nesting exhausts CPython's parser; ``str(10**5000)`` raises on the host; an answer
    can be huge; a type check can take very long. Each is a readable error, never a raise."""
    from punie.agent.parse import parse_reply

    for deep in ("x = " + "-" * 100_000 + "1", "x = " + "a." * 100_000 + "b"):
        nested = await ex.run(deep)  # MemoryError, then RecursionError in ast.parse
        assert nested.error is not None and nested.error.kind == "syntax", nested
        assert "nested too deeply" in nested.error.message
        fenced = parse_reply(f"```\n{deep}\n```")  # the same code in an untagged fence
        assert fenced is not None
    huge_int = await unchecked.run("final_answer(10**5000)")  # str() of it raises
    assert huge_int.final_answer is None and huge_int.error is not None
    assert "cannot turn its argument into text" in huge_int.render()
    long_answer = await ex.run('final_answer("x" * 50000)')
    assert long_answer.final_answer is None and "at most 20000" in long_answer.render()
    async with Executor(ctx, ExecutorLimits(check_time_s=0.001)) as impatient:
        slow = await impatient.run("x = [[[[1]]]]\nfinal_answer(str(len(x)))")
        assert slow.error is not None and "took longer than" in slow.error.message
    fine = await ex.run('final_answer("still works")')
    assert fine.final_answer == "still works"
    # The checker accepts what the runtime runs: any value answers as its text.
    counted = await ex.run("final_answer(len([1, 2]))")
    assert counted.error is None and counted.final_answer == "2", counted.render()
