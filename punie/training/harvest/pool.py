"""Where harvest workers run: local processes, or Ray actors on a cluster.

Both give the driver the same handle: ``open``, ``run`` and ``stop`` on one
:class:`~punie.training.harvest.worker.RepoWorker`. A worker that dies (killed, out of memory,
its node lost) raises :class:`WorkerLost`; an error inside the harvest raises
:class:`WorkerFailed` with the worker's own message. Ray is imported only by :class:`RayPool`.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import multiprocessing.connection
from collections.abc import Sequence
from typing import Any, Protocol

import anyio
import anyio.to_thread

from punie.errors import PunieError
from punie.training.harvest.config import HarvestConfig
from punie.training.harvest.worker import Plan, Record, RepoWorker

__all__ = ["ProcessPool", "RayPool", "WorkerFailed", "WorkerHandle", "WorkerLost", "WorkerPool"]


class WorkerLost(PunieError):
    """The worker process or actor is gone; what it was doing must be done again."""


class WorkerFailed(PunieError):
    """The harvest inside the worker raised (the message is the worker's)."""


class WorkerHandle(Protocol):
    async def open(self, spec: str, config: HarvestConfig) -> Plan: ...
    async def run(self, uids: Sequence[str]) -> list[Record]: ...
    async def stop(self) -> None: ...


class WorkerPool(Protocol):
    name: str

    async def start(self) -> WorkerHandle: ...
    def close(self) -> None: ...


# --- local processes ------------------------------------------------------------------------


def _serve(conn: multiprocessing.connection.Connection) -> None:
    """A worker process: answer ``(method, args)`` messages until told to stop."""
    worker = RepoWorker()
    try:
        while True:
            try:
                method, args = conn.recv()
            except EOFError:
                return
            if method == "stop":
                return
            try:
                result = getattr(worker, method)(*args)
            except Exception as exc:
                conn.send(("error", f"{type(exc).__name__}: {exc}"))
            else:
                conn.send(("ok", result))
    finally:
        worker.shutdown()


class _ProcessHandle:
    def __init__(self, process: Any, conn: multiprocessing.connection.Connection) -> None:
        self._process = process
        self._conn = conn

    def _call(self, method: str, args: tuple[Any, ...]) -> Any:
        try:
            self._conn.send((method, args))
            status, value = self._conn.recv()
        except (EOFError, OSError) as exc:
            code = self._process.exitcode
            raise WorkerLost(f"worker process {self._process.pid} is gone (exit {code})") from exc
        if status == "error":
            raise WorkerFailed(str(value))
        return value

    async def open(self, spec: str, config: HarvestConfig) -> Plan:
        return await anyio.to_thread.run_sync(self._call, "open", (spec, config))

    async def run(self, uids: Sequence[str]) -> list[Record]:
        return await anyio.to_thread.run_sync(self._call, "run", (tuple(uids),))

    async def stop(self) -> None:
        def stop() -> None:
            with contextlib.suppress(OSError):
                self._conn.send(("stop", ()))
            self._process.join(60)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(10)
            self._conn.close()

        await anyio.to_thread.run_sync(stop)


class ProcessPool:
    """Each worker is a fresh ``spawn``ed process on this machine."""

    name = "processes"

    def __init__(self) -> None:
        self._context = multiprocessing.get_context("spawn")

    async def start(self) -> WorkerHandle:
        parent, child = self._context.Pipe()
        process: Any = self._context.Process(target=_serve, args=(child,), daemon=True)
        await anyio.to_thread.run_sync(process.start)
        child.close()  # the parent keeps one end: the child's death reads as EOF
        return _ProcessHandle(process, parent)

    def close(self) -> None:
        pass


# --- Ray ------------------------------------------------------------------------------------


class _RayHandle:
    def __init__(self, ray: Any, actor: Any) -> None:
        self._ray = ray
        self._actor = actor

    async def _get(self, ref: Any) -> Any:
        exceptions: Any = importlib.import_module("ray.exceptions")
        try:
            return await anyio.to_thread.run_sync(self._ray.get, ref)
        except exceptions.RayActorError as exc:
            raise WorkerLost(f"Ray actor lost: {type(exc).__name__}") from exc
        except exceptions.RayTaskError as exc:
            cause: Any = getattr(exc, "cause", None) or exc
            raise WorkerFailed(f"{type(cause).__name__}: {cause}") from exc

    async def open(self, spec: str, config: HarvestConfig) -> Plan:
        return await self._get(self._actor.open.remote(spec, config))

    async def run(self, uids: Sequence[str]) -> list[Record]:
        return await self._get(self._actor.run.remote(tuple(uids)))

    async def stop(self) -> None:
        with contextlib.suppress(WorkerLost, WorkerFailed):
            await self._get(self._actor.shutdown.remote())
        self._ray.kill(self._actor)


class RayPool:
    """Each worker is a Ray actor (one CPU) of the cluster at ``address`` (``None``: start a
    local one, or join the one this process already has)."""

    name = "ray"

    def __init__(self, address: str | None = None) -> None:
        try:
            self._ray: Any = importlib.import_module("ray")
        except ImportError as exc:  # pragma: no cover - ray is a dependency
            raise PunieError("--ray needs the 'ray' package") from exc
        self._owned = False
        if not self._ray.is_initialized():
            self._ray.init(address=address, include_dashboard=False, log_to_driver=False)
            self._owned = True
        self._actor_class: Any = self._ray.remote(num_cpus=1, max_restarts=0)(RepoWorker)

    def cpus(self) -> int:
        """The cluster's CPUs: one actor each."""
        resources: Any = self._ray.cluster_resources()
        return max(int(resources.get("CPU", 1)), 1)

    async def start(self) -> WorkerHandle:
        actor = await anyio.to_thread.run_sync(self._actor_class.remote)
        return _RayHandle(self._ray, actor)

    def close(self) -> None:
        if self._owned:
            self._ray.shutdown()
