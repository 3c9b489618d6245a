"""Runs model-written Python in a pydantic-monty sandbox, with the catalogue's tools as host
functions bound to one :class:`~punie.tools._context.ToolContext`.

How a snippet runs:

1. On the host: CPython parses it (syntax errors with their line), imports are checked against
   :data:`~punie.agent.executor.limits.ALLOWED_IMPORTS`, and the calls to answer with futures
   are found (:mod:`punie.agent.executor.static`).
2. It is type-checked against :func:`~punie.agent.executor.stubs.type_check_stubs` in a warm
   checking session (:mod:`punie.agent.executor.checker`); errors come back, nothing runs.
3. It runs in a fresh sandbox session, driven snapshot by snapshot (``feed_start``/``resume``):
   a tool call suspends the sandbox, the host awaits the tool and resumes it with the result
   (wrapped so the snippet can read its fields), or with a future for awaited calls, which run
   concurrently. ``final_answer`` ends the run at once. Every other host call the sandbox
   makes (files, environment, imports of modules it lacks) is refused.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from contextlib import AsyncExitStack
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio
from anyio.abc import TaskGroup
from pydantic_monty import (
    AsyncFunctionSnapshot,
    AsyncFutureSnapshot,
    AsyncMonty,
    AsyncMontySession,
    AsyncNameLookupSnapshot,
    AsyncSnapshot,
    ExternalResult,
    ExternalSettledResult,
    MontyComplete,
    MontyError,
    ResourceLimits,
)

from punie.agent.executor.checker import TypeChecker
from punie.agent.executor.convert import bind_arguments, to_sandbox
from punie.agent.executor.errors import classify
from punie.agent.executor.limits import ALLOWED_IMPORTS, ExecutorLimits
from punie.agent.executor.result import (
    ExecutionError,
    ExecutionResult,
    ToolCallRecord,
)
from punie.agent.executor.state import RunState
from punie.agent.executor.static import Span, analyse
from punie.agent.executor.stubs import FINAL_ANSWER, type_check_stubs
from punie.tools import result_to_json

if TYPE_CHECKING:
    from punie.tools import ToolContext
    from punie.tools.catalogue import ToolSpec

__all__ = ["Executor"]

_Suspended = AsyncFunctionSnapshot | AsyncNameLookupSnapshot | AsyncFutureSnapshot
_MAX_SUSPENSIONS = 10_000  # tool calls, result-method calls, name lookups: a backstop only


def _host_only(name: str) -> Any:
    def unreachable(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"{name}() must be answered by the executor")

    unreachable.__name__ = name
    return unreachable


class Executor:
    """Runs snippets against the tools; use as ``async with Executor(ctx) as ex``.

    ``specs`` defaults to the whole catalogue. ``type_check=False`` skips step 2 (the stubs are
    still what :func:`~punie.agent.executor.stubs.stubs_text` shows the model).
    """

    def __init__(
        self,
        ctx: ToolContext,
        limits: ExecutorLimits | None = None,
        *,
        specs: Sequence[ToolSpec] | None = None,
        type_check: bool = True,
        allowed_imports: frozenset[str] = ALLOWED_IMPORTS,
    ) -> None:
        if specs is None:
            from punie.tools.catalogue import tool_specs

            specs = tool_specs()
        self.ctx = ctx
        self.limits = limits or ExecutorLimits()
        self._specs = {spec.name: spec for spec in specs}
        if FINAL_ANSWER in self._specs:
            raise ValueError(f"a tool may not be called {FINAL_ANSWER!r}")
        self._stubs = type_check_stubs(list(specs))
        self._type_check = type_check
        self._allowed_imports = allowed_imports
        self._lookup = {name: _host_only(name) for name in [*self._specs, FINAL_ANSWER]}
        self._stack: AsyncExitStack | None = None
        self._pool: AsyncMonty | None = None
        self._checker: TypeChecker | None = None

    @property
    def tool_names(self) -> tuple[str, ...]:
        return tuple(self._specs)

    async def __aenter__(self) -> Executor:
        stack = AsyncExitStack()
        try:
            pool = AsyncMonty(
                min_processes=2,
                max_processes=max(2, os.cpu_count() or 2),
                request_timeout=self.limits.compute_time_s + 30.0,
            )
            self._pool = await stack.enter_async_context(pool)
            if self._type_check:
                checker = TypeChecker(self._pool, self._stubs)
                stack.push_async_callback(checker.aclose)
                await checker.check("pass")  # warm: the first check pays the checker's start
                self._checker = checker
        except BaseException:
            with anyio.CancelScope(shield=True):
                await stack.aclose()
            self._pool = self._checker = None
            raise
        self._stack = stack
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        stack, self._stack, self._pool, self._checker = self._stack, None, None, None
        if stack is not None:
            with anyio.CancelScope(shield=True):
                await stack.aclose()

    async def check(self, code: str) -> ExecutionError | None:
        """Steps 1 and 2 only: the error that would stop ``code`` before it runs, or ``None``."""
        report = analyse(code, self._allowed_imports)
        if report.error is None and self._checker is not None:
            return await self._bounded_check(code)
        return report.error

    async def run(self, code: str) -> ExecutionResult:
        """Check and run ``code``; never raises for anything the snippet does."""
        if self._pool is None:
            raise RuntimeError("Executor is not started: use `async with Executor(ctx) as ex`")
        started = time.perf_counter()
        report = analyse(code, self._allowed_imports)
        error = report.error
        if error is None and self._checker is not None:
            error = await self._bounded_check(code)
        run = RunState(self.limits)
        if error is not None:
            run.fail(error)
        else:
            await self._execute(self._pool, code, report.async_sites, run)
        return run.result(code, time.perf_counter() - started)

    async def _bounded_check(self, code: str) -> ExecutionError | None:
        """The type check, within ``limits.check_time_s`` (a huge nested literal kept it busy
        for 70 s): past it the program is refused with a readable error."""
        assert self._checker is not None
        with anyio.move_on_after(self.limits.check_time_s) as scope:
            return await self._checker.check(code)
        if scope.cancelled_caught:
            await self._checker.aclose()  # its session is mid-check: the next one reopens
        message = (
            f"TypeCheckError: checking the program took longer than "
            f"{self.limits.check_time_s:g}s; it was not run (write it shorter)"
        )
        return ExecutionError("type_check", message, detail=message)

    def _resource_limits(self) -> ResourceLimits:
        return {
            "max_feed_duration_secs": self.limits.compute_time_s,
            "max_memory": self.limits.max_memory_bytes,
            "max_recursion_depth": self.limits.max_recursion_depth,
            "max_suspensions": _MAX_SUSPENSIONS,
        }

    async def _execute(
        self, pool: AsyncMonty, code: str, async_sites: frozenset[Span], run: RunState
    ) -> None:
        async with AsyncExitStack() as stack:
            checkout = pool.checkout(
                script_name="snippet.py",
                limits=self._resource_limits(),
                os_policy={"sleep": "zero"},
            )
            # Leaving the session must finish even when the run is cancelled (wall time).
            session = await checkout.__aenter__()
            stack.push_async_exit(_shielded_exit(checkout))
            with anyio.move_on_after(self.limits.wall_time_s) as scope:
                async with anyio.create_task_group() as tg:
                    await self._drive(session, code, async_sites, run, tg)
                    tg.cancel_scope.cancel()  # calls still in flight after final_answer
            if scope.cancelled_caught:
                run.limit("wall_time")

    async def _drive(
        self,
        session: AsyncMontySession,
        code: str,
        async_sites: frozenset[Span],
        run: RunState,
        tg: TaskGroup,
    ) -> None:
        try:
            snapshot: AsyncSnapshot | None = await session.feed_start(
                code, external_lookup=self._lookup, print_callback=run.on_print
            )
            while snapshot is not None and not isinstance(snapshot, MontyComplete):
                snapshot = await self._answer(snapshot, async_sites, run, tg)
        except MontyError as exc:
            run.fail(classify(exc, self.limits))

    async def _answer(
        self, snapshot: _Suspended, async_sites: frozenset[Span], run: RunState, tg: TaskGroup
    ) -> AsyncSnapshot | None:
        """Answer one suspension; ``None`` ends the run (final answer or a limit)."""
        if isinstance(snapshot, AsyncFunctionSnapshot):
            name = snapshot.function_name
            if snapshot.is_os_function:
                return await snapshot.resume({"exception": self._refusal(name, snapshot.args)})
            if snapshot.object_id is None and name == FINAL_ANSWER:
                return await self._final_answer(snapshot, run)
            if snapshot.object_id is None and name in self._specs:
                return await self._tool_call(snapshot, self._specs[name], async_sites, run, tg)
            return await snapshot.resume_auto()  # result methods; unknown names -> NameError
        if isinstance(snapshot, AsyncFutureSnapshot):
            pending = snapshot.pending_call_ids
            if not any(call_id in run.futures for call_id in pending):
                return await snapshot.resume_auto()
            while True:
                ready = {i: run.settled.pop(i) for i in pending if i in run.settled}
                if ready:
                    return await snapshot.resume(ready)
                run.changed = anyio.Event()
                await run.changed.wait()
        return await snapshot.resume_auto()  # name lookups: undefined names raise NameError

    def _refusal(self, name: str, args: tuple[Any, ...]) -> BaseException:
        if name == "import":
            module = str(args[0]) if args else "?"
            allowed = ", ".join(sorted(self._allowed_imports))
            return ModuleNotFoundError(
                f"No module named {module!r} in the sandbox (allowed imports: {allowed})"
            )
        return PermissionError(
            f"{name}: the sandbox has no file system, environment or clock access; "
            "use the tools (read_file, grep, ...) instead"
        )

    async def _final_answer(
        self, snapshot: AsyncFunctionSnapshot, run: RunState
    ) -> AsyncSnapshot | None:
        args, kwargs = snapshot.args, snapshot.kwargs
        if len(args) + len(kwargs) != 1 or (kwargs and "text" not in kwargs):
            error = TypeError(f"{FINAL_ANSWER}() takes exactly one argument: the answer text")
            return await snapshot.resume({"exception": error})
        text = args[0] if args else kwargs["text"]
        try:
            answer = text if isinstance(text, str) else str(text)
        except (ValueError, RecursionError, MemoryError) as exc:  # str(10**5000)
            error = ValueError(f"{FINAL_ANSWER}() cannot turn its argument into text: {exc}")
            return await snapshot.resume({"exception": error})
        if len(answer) > self.limits.max_answer_chars:
            error = ValueError(
                f"{FINAL_ANSWER}() got {len(answer)} characters; an answer is at most "
                f"{self.limits.max_answer_chars}: give the value asked for, not everything"
            )
            return await snapshot.resume({"exception": error})
        if run.error is None:
            run.final_answer = answer
        return None

    async def _tool_call(
        self,
        snapshot: AsyncFunctionSnapshot,
        spec: ToolSpec,
        async_sites: frozenset[Span],
        run: RunState,
        tg: TaskGroup,
    ) -> AsyncSnapshot | None:
        if run.call_count >= self.limits.max_tool_calls:
            run.limit("tool_calls")
            return None
        try:
            arguments = bind_arguments(spec, snapshot.args, snapshot.kwargs)
        except TypeError as exc:
            return await snapshot.resume({"exception": exc})
        index = run.call_count
        run.call_count += 1
        position = snapshot.position
        in_snippet = position.filename.startswith("<python-input")  # not eval()/exec() text
        if in_snippet and (position.start, position.end) in async_sites:
            call_id = snapshot.call_id
            run.futures.add(call_id)

            async def settle() -> None:
                run.settle(call_id, await self._invoke(spec, arguments, index, run, True))

            tg.start_soon(settle)
            return await snapshot.resume({"future": ...})
        answer: ExternalResult = await self._invoke(spec, arguments, index, run, False)
        return await snapshot.resume(answer)

    async def _invoke(
        self, spec: ToolSpec, arguments: dict[str, Any], index: int, run: RunState, concurrent: bool
    ) -> ExternalSettledResult:
        started = time.perf_counter()
        try:
            result = await spec.call(self.ctx, **arguments)
        except Exception as exc:  # a tool bug: the snippet sees it as a RuntimeError
            message = f"{spec.name}() failed: {type(exc).__name__}: {exc}"
            duration = time.perf_counter() - started
            run.records.append(
                ToolCallRecord(
                    index, spec.name, arguments, None, None, message, duration, concurrent
                )
            )
            return {"exception": RuntimeError(message)}
        duration = time.perf_counter() - started
        try:
            as_json: dict[str, Any] | None = result_to_json(result)
        except TypeError:
            as_json = None
        run.records.append(
            ToolCallRecord(index, spec.name, arguments, result, as_json, None, duration, concurrent)
        )
        return {"return_value": to_sandbox(result)}


def _shielded_exit(checkout: AsyncMontySession) -> Any:
    async def exit_session(
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        with anyio.CancelScope(shield=True):
            await checkout.__aexit__(exc_type, exc, tb)
        return False

    return exit_session
