"""The processes that do the playground's work, away from the server's event loop.

Computations (curves, theory) run in a small pool of worker processes (Pebble's
ProcessPool): each has a time limit, after which its worker is killed and replaced, so
a formula that makes SymPy work for minutes costs its request a 422 and nothing more.
Each training job runs in a process of its own that streams JSON snapshots through a
pipe and is killed when its client leaves, stops it, or its time is up.

Workers start from a fork server that has already imported torch and actlab (a job
starts in milliseconds, not seconds), run at a lower priority than the server and use
one torch thread each, so that no amount of work keeps the server from answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
from collections.abc import AsyncIterator, Callable
from multiprocessing.connection import Connection
from typing import Any

import pebble

from actlab.errors import ActlabError
from actlab.playground.limits import Limits

#: Added to the server's niceness: computations a client waits for, then training.
COMPUTE_NICENESS = 5
TRAINING_NICENESS = 10
#: Modules the fork server imports once, so that every worker starts with them loaded.
PRELOAD = ("actlab.playground.function_data", "actlab.playground.theory_data",
           "actlab.playground.training_session")


class Overloaded(ActlabError):
    """Too many computations or training jobs at once (HTTP 429)."""


class ComputationTimeout(ActlabError):
    """A computation ran past its time limit and its worker was stopped (HTTP 422)."""


class ComputationFailed(ActlabError):
    """A computation failed in a way that is not the request's fault (HTTP 500)."""


class UnprocessableRequest(ActlabError):
    """Valid on its face, but the numbers it leads to cannot be computed (HTTP 422)."""


def worker_context() -> multiprocessing.context.BaseContext:
    """A fork-server context that preloads the playground's computing modules (spawn
    where there is no fork server, as on Windows)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(PRELOAD))
    return context


def _lower_priority(niceness: int) -> None:
    import torch

    with contextlib.suppress(OSError):
        os.nice(niceness)
    torch.set_num_threads(1)


def _call(function: Callable[..., Any], args: tuple) -> tuple[str, Any]:
    """Run in a worker: ("ok", result), or ("error" | "unprocessable", message)."""
    try:
        return "ok", function(*args)
    except ActlabError as err:
        return "error", str(err)
    except (ArithmeticError, RecursionError, MemoryError) as err:
        return "unprocessable", f"cannot compute this: {type(err).__name__}: {err}"


class ComputePool:
    """A bounded pool of worker processes with a time limit per computation."""

    def __init__(self, limits: Limits, context: multiprocessing.context.BaseContext) -> None:
        self.limits = limits
        self.pending = 0
        self._pool = pebble.ProcessPool(max_workers=limits.compute_workers,
                                        initializer=_lower_priority,
                                        initargs=(COMPUTE_NICENESS,), context=context)

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """function(*args) in a worker; ActlabError subclasses for every way it can fail."""
        if self.pending >= self.limits.max_pending_computations:
            raise Overloaded(f"{self.pending} computations are queued or running; try again "
                             f"in a moment")
        self.pending += 1
        try:
            future = self._pool.schedule(_call, args=(function, args),
                                         timeout=self.limits.compute_timeout)
            status, value = await asyncio.wrap_future(future)
        except TimeoutError:
            raise ComputationTimeout(f"this took longer than {self.limits.compute_timeout:g} s, "
                                     f"so it was stopped") from None
        except pebble.ProcessExpired as err:
            raise UnprocessableRequest(f"the worker computing this stopped ({err}); it may "
                                       f"have run out of memory") from None
        finally:
            self.pending -= 1
        if status == "error":
            raise ActlabError(value)
        if status == "unprocessable":
            raise UnprocessableRequest(value)
        return value

    def close(self) -> None:
        self._pool.stop()
        self._pool.join(timeout=10)


def run_training_job(config: Any, grid_size: int, connection: Connection) -> None:
    """In a job process: train and send ("setup" | "snapshot" | "done" | "error", json)."""
    from actlab.playground.training_session import TrainingRun, snapshot_json

    _lower_priority(TRAINING_NICENESS)
    try:
        try:
            run = TrainingRun(config, grid_size)
            connection.send(("setup", snapshot_json(run.setup())))
            for snapshot in run.snapshots():
                connection.send(("snapshot", snapshot_json(snapshot)))
        except ActlabError as err:
            connection.send(("error", snapshot_json({"type": "error", "message": str(err)})))
            return
        except (ArithmeticError, RecursionError, MemoryError, RuntimeError) as err:
            message = f"training failed: {type(err).__name__}: {err}"
            connection.send(("error", snapshot_json({"type": "error", "message": message})))
            return
        connection.send(("done", snapshot_json({"type": "done"})))
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server stopped listening: nobody wants the rest
    finally:
        connection.close()


def _receive(connection: Connection) -> tuple[str, str] | None:
    try:
        return connection.recv()
    except (EOFError, OSError):
        return None


class TrainingJobs:
    """Starts training jobs in their own processes, at most `max_training_jobs` at once."""

    def __init__(self, limits: Limits, context: multiprocessing.context.BaseContext) -> None:
        self.limits = limits
        self.context = context
        self.running = 0

    def reserve(self) -> None:
        """Take a job slot, or raise Overloaded."""
        if self.running >= self.limits.max_training_jobs:
            raise Overloaded(f"{self.running} training jobs are running, the most this server "
                             f"runs at once; try again when one has finished")
        self.running += 1

    def release(self) -> None:
        self.running -= 1

    async def stream(self, config: Any) -> AsyncIterator[tuple[str, str]]:
        """Run a job (in a reserved slot) and yield its messages until it ends."""
        receiver, sender = self.context.Pipe(duplex=False)
        process = self.context.Process(target=run_training_job,
                                       args=(config, self.limits.boundary_grid, sender),
                                       daemon=True)
        # Starting may wait for the fork server (seconds, the first time): not on the loop.
        # Shielded, so that a client leaving meanwhile cannot leave a job without its stop.
        starting = asyncio.ensure_future(asyncio.to_thread(process.start))
        try:
            await asyncio.shield(starting)
            sender.close()
            while True:
                # A thread waits on the pipe; killing the process ends its wait (EOF).
                message = await asyncio.to_thread(_receive, receiver)
                if message is None:
                    return
                yield message
                if message[0] in ("done", "error"):
                    return
        finally:
            with contextlib.suppress(Exception):
                await starting
            await asyncio.to_thread(_stop, process)
            sender.close()
            receiver.close()


def _stop(process: multiprocessing.process.BaseProcess) -> None:
    if process.pid is None:
        return  # never started
    if process.is_alive():
        process.terminate()
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
    process.join(timeout=5)
