"""Executors run trials and hand back their outcomes as they complete.

`Executor` is the interface the study runner uses: `submit` a trial, iterate over
`completed()` to get outcomes in completion order, `shutdown`. Two executors implement it:

- `LocalProcessExecutor`: a pool of worker processes (spawn context: torch and fork do not
  mix), each with `threads` torch threads so that workers × threads ≈ cores;
- `SerialExecutor`: runs trials one after another in this process (tests, debugging).

The contract, for one more executor (a distributed engine slots in as a subclass):

- the runner owns the results store: it reads each trial from there, marks it running,
  submits a `TrialTask` (plain data: the trial's id, its validated config as stored,
  where its logs go, where the data is) and stores each `TrialOutcome` it gets back;
  an executor never touches the store;
- the runner submits at most `capacity` trials at a time and submits more while
  iterating `completed()`;
- a worker runs `trial_function(task)` (default `run_trial_task`, which trusts the
  config: it was validated when the study started) through `execute`, so a trial that
  raises becomes a `failed` outcome with its error message; it never stops the study;
- a worker that dies makes its trials `failed` outcomes (the study goes on);
- `shutdown(cancel=True)` stops running trials (an interrupted study), which stay
  `running` in the store and run again next time.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import socket
import time
import traceback
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from actlab.catalog.registry import user_specs
from actlab.errors import ParameterError
from actlab.studies.worker_lifetime import bind_to_parent


@dataclass(frozen=True)
class TrialTask:
    """What a worker needs to run one trial, as plain data (picklable, JSON-able).

    `config` is the trial's validated TrialConfig as the results store holds it (the
    worker trusts it and does not validate it again); `output_dir` is where its
    TensorBoard logs go (None: none are written); `data_dir` and `download` say where
    dataset files are and whether missing ones may be fetched.
    """

    trial_id: str
    config: Mapping[str, Any]
    output_dir: str | None = None
    data_dir: str | None = None
    download: bool = True


@dataclass(frozen=True)
class TrialOutcome:
    """How a trial ended: `finished` with its result, or `failed` with its error."""

    trial_id: str
    status: str
    result: Mapping[str, Any] | None = None
    error: str | None = None
    duration_s: float = 0.0
    worker: str = field(default_factory=lambda: _worker_name())


TrialFunction = Callable[[TrialTask], Mapping[str, Any]]


def run_trial_task(task: TrialTask) -> Mapping[str, Any]:
    """Train one trial with actlab.training and return its result as plain data.

    The trial's log folder starts empty (a killed earlier attempt may have left logs);
    the dataset is loaded once per worker process and reused by its later trials.
    """
    from actlab.training import TrialConfig, run_trial

    config = TrialConfig.from_validated(dict(task.config))
    if task.output_dir is not None:
        shutil.rmtree(task.output_dir, ignore_errors=True)
    result = run_trial(config, output_dir=task.output_dir, progress=False,
                       dataset=trial_dataset(task), write_records=False)
    return result.to_dict()


_DATASETS: dict[str, Any] = {}


def dataset_key(task: TrialTask) -> str:
    """What identifies a trial's dataset: trials with the same key train on the same data."""
    config = task.config
    return json.dumps([config.get("dataset"), config.get("data_seed"),
                       config.get("dataset_options", {}), task.data_dir],
                      sort_keys=True, default=str)


def trial_dataset(task: TrialTask) -> Any:
    """The trial's dataset, loaded once per process (one dataset kept: studies use one)."""
    from actlab.data import load_dataset
    from actlab.training import TrialConfig

    key = dataset_key(task)
    if key not in _DATASETS:
        config = TrialConfig.from_validated(dict(task.config))
        keep_dataset(task, load_dataset(config.dataset, data_dir=task.data_dir,
                                        seed=config.data_seed, download=task.download,
                                        **config.dataset_options))
    return _DATASETS[key]


def keep_dataset(task: TrialTask, dataset: Any) -> None:
    """Make `dataset` what trial_dataset gives this task (a dataset shipped to a worker)."""
    _DATASETS.clear()
    _DATASETS[dataset_key(task)] = dataset


def execute(trial_function: TrialFunction, task: TrialTask) -> TrialOutcome:
    """Run one task; an exception becomes a failed outcome (first line: type and message)."""
    start = time.perf_counter()
    try:
        result = trial_function(task)
    except Exception as err:  # a failing trial is a result of the study, not a crash of it
        message = f"{type(err).__name__}: {err}".splitlines()[0] if str(err) else \
            type(err).__name__
        return TrialOutcome(task.trial_id, "failed", error=message + "\n" +
                            traceback.format_exc(limit=-8),
                            duration_s=time.perf_counter() - start)
    return TrialOutcome(task.trial_id, "finished", result=dict(result),
                        duration_s=time.perf_counter() - start)


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Executor(ABC):
    """Runs submitted trials; `completed()` yields their outcomes in completion order."""

    @property
    @abstractmethod
    def capacity(self) -> int:
        """How many trials run at the same time."""

    @abstractmethod
    def submit(self, task: TrialTask) -> None:
        """Queue a trial to run."""

    @abstractmethod
    def completed(self) -> Iterator[TrialOutcome]:
        """Outcomes of submitted trials as they complete, until none is pending.

        Trials submitted while iterating are waited for too.
        """

    @abstractmethod
    def shutdown(self, *, cancel: bool = False) -> None:
        """Release the workers; `cancel` stops trials that are still running."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.shutdown(cancel=exc_type is not None)


class SerialExecutor(Executor):
    """Runs each trial in this process, one at a time, when its outcome is asked for."""

    def __init__(self, trial_function: TrialFunction = run_trial_task) -> None:
        self.trial_function = trial_function
        self._queue: deque[TrialTask] = deque()

    @property
    def capacity(self) -> int:
        return 1

    def submit(self, task: TrialTask) -> None:
        self._queue.append(task)

    def completed(self) -> Iterator[TrialOutcome]:
        while self._queue:
            yield execute(self.trial_function, self._queue.popleft())

    def shutdown(self, *, cancel: bool = False) -> None:
        self._queue.clear()


def available_cores() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _init_worker(threads: int, driver_pid: int, user_specs: tuple[Any, ...] = ()) -> None:
    # Die with the driver, even on SIGKILL: an orphan would write into the study folder.
    bind_to_parent(driver_pid)
    # Ctrl-C goes to the whole process group: only the parent decides what to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # `user_specs` (specs registered in the driver) arrived by value and registered
    # themselves here as they were unpickled: trials name them like built-in ones.
    del user_specs
    import torch

    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set (the first parallel op ran); harmless
        pass


class LocalProcessExecutor(Executor):
    """A pool of `workers` spawned processes on this machine (default: one per core)."""

    def __init__(self, workers: int | None = None, *, threads: int | None = None,
                 trial_function: TrialFunction = run_trial_task) -> None:
        cores = available_cores()
        workers = cores if workers is None else workers
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ParameterError(f"workers must be a whole number >= 1, got {workers!r}")
        self.workers = workers
        self.threads = threads if threads is not None else max(1, cores // workers)
        self.trial_function = trial_function
        self._pool: ProcessPoolExecutor | None = None
        self._pending: dict[Future, TrialTask] = {}

    @property
    def capacity(self) -> int:
        return self.workers

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(self.threads, os.getpid(), tuple(user_specs())))
        return self._pool

    def submit(self, task: TrialTask) -> None:
        future = self._ensure_pool().submit(execute, self.trial_function, task)
        self._pending[future] = task

    def completed(self) -> Iterator[TrialOutcome]:
        while self._pending:
            done, _ = wait(list(self._pending), return_when=FIRST_COMPLETED)
            for future in done:
                task = self._pending.pop(future)
                try:
                    yield future.result()
                except BrokenProcessPool:
                    # A worker died (killed, out of memory, crashed in native code): every
                    # trial still in the pool is lost with it; a fresh pool runs the rest.
                    self._pool = None
                    yield TrialOutcome(task.trial_id, "failed", error=(
                        "a worker process died while this trial was in the pool (killed, "
                        "out of memory or a native crash); run the study again to retry it"))

    def shutdown(self, *, cancel: bool = False) -> None:
        pool, self._pool = self._pool, None
        self._pending.clear()
        if pool is None:
            return
        if cancel:
            # The pool's own processes only (a private attribute, stable since Python 3.2:
            # the public API cannot stop a running task).
            workers = list(getattr(pool, "_processes", {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for process in workers:
                process.terminate()
            # A worker inside native code that holds SIGTERM off (a library's own handler,
            # a long C call) is killed after 5 s: the pool's manager thread joins every
            # worker at exit, and one left alive would hang the interrupted driver.
            deadline = time.monotonic() + 5
            for process in workers:
                process.join(timeout=max(0.0, deadline - time.monotonic()))
            for process in workers:
                if process.is_alive():
                    process.kill()
                    process.join(timeout=5)
        else:
            pool.shutdown(wait=True)
