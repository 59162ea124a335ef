"""Trials as Ray tasks: a study on a local Ray instance or a Ray cluster, its results kept here.

    >>> from actlab.studies import builtin_study, run_study
    >>> from actlab.studies.ray_executor import RayExecutor
    >>> run_study(builtin_study("quick"), "runs/quick",
    ...           executor=RayExecutor(address="auto"))           # doctest: +SKIP

`RayExecutor` implements the Executor interface; the study runner stays the only writer of
the results store and records each trial as its task returns, as with local processes.

- Each trial is one Ray task asking for `cpus_per_trial` CPUs (its torch threads), and
  `gpus_per_trial` GPUs when it runs on CUDA (device "cuda", or "auto" on a cluster that has
  GPUs; Ray picks the GPU and shows the task only that one).
- Nothing assumes a shared filesystem: a task writes its trial's folder (TensorBoard events,
  and whatever else its trial function writes) in a scratch folder on its worker and
  returns it as a tar archive with its outcome; the driver unpacks it into the study folder,
  where JSON files that name the trial's folder name the study's, as a local run's do.
- Data: "ship" puts each dataset in Ray's object store once (loaded here, as the runner
  already does to check the study); "workers" lets each worker load its own copy (its
  ACTLAB_DATA_DIR, the study's data_dir if that folder exists there, or a download);
  "auto" ships datasets up to SHIP_LIMIT_BYTES.
- The user's own code and data files that a trial names by path (a model, dataset or loss
  factory `file.py:name` with the .py files and packages beside it, which it may import;
  a dataset saved as tensors) go to the workers through the object store, once per
  study; a worker reads its copy where the trial names the driver's path.
- A worker or node that dies: Ray runs the task again, up to `max_retries` times, then the
  trial is recorded as failed with the reason. Ctrl-C (or any error in the driver) cancels
  every outstanding task.
- Workers need actlab, torch and Ray installed (the same versions as the driver), or a
  `runtime_env` that provides them. The settings of this process that change how trials
  compute (FORWARDED_ENV: the kernel preference $ACTLAB_KERNELS) are passed to the workers,
  so that a study computes the same wherever it runs.

Ray is imported only when the executor first connects.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import os
import re
import shutil
import socket
import tarfile
import tempfile
import time
from collections import OrderedDict, deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from actlab.catalog.registry import user_specs
from actlab.errors import ParameterError
from actlab.kernels.choice import PREFERENCE_ENV_VAR
from actlab.locations import map_folder
from actlab.studies.errors import ExecutorUnavailableError
from actlab.studies.executor import (
    Executor,
    TrialFunction,
    TrialOutcome,
    TrialTask,
    available_cores,
    dataset_key,
    execute,
    keep_dataset,
    run_trial_task,
    trial_dataset,
)

#: Datasets up to this size go through the object store when `data` is "auto".
SHIP_LIMIT_BYTES = 1 << 30
#: Shipped datasets kept referenced at once (older ones are dropped when this is exceeded).
SHIPPED_BYTES_KEPT = 2 << 30
#: The user files shipped from one folder, at most (a factory's folder with more .py files
#: than this ships the factory's file alone).
SHIPPED_FOLDER_LIMIT_BYTES = 64 << 20
#: How often the cluster's resources are read again (nodes come and go).
RESOURCES_REFRESH_S = 5.0
#: Text files of a trial's folder that may name the folder itself.
_RELOCATED_SUFFIXES = (".json", ".jsonl")
_CUDA_INDEX = re.compile(r"cuda:(\d+)")
#: Settings of the driver's environment that change how a trial computes: workers get them.
FORWARDED_ENV = (PREFERENCE_ENV_VAR,)
#: Connections tried through Ray Client before giving up.
CLIENT_ATTEMPTS = 3
#: Ray's own setting: how many times a driver tries to reach the cluster's GCS (default 20).
GCS_WAIT_ENV = "RAY_gcs_server_port_wait_time_s"


class RayExecutor(Executor):
    """Runs each trial as a Ray task on a local Ray instance or on the cluster at `address`.

    `address` None starts a local instance sized to this machine (stopped on shutdown);
    "auto", "HOST:PORT" or "ray://HOST:PORT" connect to a running cluster. `max_trials`
    caps the trials in flight (default: as many as the cluster's CPUs hold).
    """

    def __init__(self, address: str | None = None, *, max_trials: int | None = None,
                 cpus_per_trial: float = 1, gpus_per_trial: float = 1, max_retries: int = 3,
                 data: str = "auto", runtime_env: Mapping[str, Any] | None = None,
                 trial_function: TrialFunction = run_trial_task) -> None:
        if max_trials is not None and (isinstance(max_trials, bool) or
                                       not isinstance(max_trials, int) or max_trials < 1):
            raise ParameterError(f"max_trials must be a whole number >= 1, got {max_trials!r}")
        for name, amount in (("cpus_per_trial", cpus_per_trial),
                             ("gpus_per_trial", gpus_per_trial)):
            if isinstance(amount, bool) or not isinstance(amount, int | float) or \
                    not 0 < amount < math.inf:
                raise ParameterError(f"{name} must be a number > 0, got {amount!r}")
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ParameterError(f"max_retries must be a whole number >= 0, got {max_retries!r}")
        if data not in ("auto", "ship", "workers"):
            raise ParameterError(f"data must be auto, ship or workers, got {data!r}")
        self.address = address
        self.max_trials = max_trials
        self.cpus_per_trial = cpus_per_trial
        self.gpus_per_trial = gpus_per_trial
        self.max_retries = max_retries
        self.data = data
        self.runtime_env = dict(runtime_env or {})
        self.trial_function = trial_function
        self._ray: Any = None
        self._remote: Any = None
        self._task_env: dict[str, Any] | None = None
        self._owns_connection = False
        self._pending: dict[Any, TrialTask] = {}
        self._ready: deque[TrialOutcome] = deque()
        self._shipped: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._shipped_files: dict[tuple[tuple[str, tuple[str, ...]], ...], Any] = {}
        self._gpu_trials = False
        self._slots = 1
        self._resources_read_at = -math.inf
        self._largest_node: dict[str, float] = {}

    # -- connection ------------------------------------------------------------------------

    def _connect(self) -> Any:
        if self._ray is not None:
            return self._ray
        try:
            import ray
        except ImportError:
            raise ExecutorUnavailableError(
                "the Ray executor needs Ray, which is not installed: "
                "pip install 'actlab[ray]'") from None
        env = self._worker_env()
        if ray.is_initialized():
            # The caller's own connection: leave it open; the environment goes with each task.
            self._task_env = env or None
        else:
            options: dict[str, Any] = {"runtime_env": env or None, "log_to_driver": False}
            if self.address is not None and self.address.startswith("ray://"):
                # Through Ray Client the environment goes with each task: Ray 2.60's client
                # server fails to start for a job-level runtime_env once a task has used it.
                options["runtime_env"] = None
                self._task_env = env or None
            if self.address is None:
                # "local": a new instance, never one that `ray start` left running here.
                options.update(address="local", num_cpus=available_cores(), include_dashboard=False,
                               logging_level=logging.ERROR)
            else:
                check_reachable(self.address)
                options.update(address=self.address, logging_level=logging.WARNING)
            for attempt in range(CLIENT_ATTEMPTS):
                try:
                    with _one_gcs_attempt():
                        ray.init(**options)
                    break
                except ConnectionAbortedError:
                    # Ray Client: the cluster's server for this connection died as it started
                    # (it happens now and then on a loaded head); a new connection gets a new
                    # one.
                    ray.shutdown()
                    if attempt + 1 == CLIENT_ATTEMPTS:
                        raise ExecutorUnavailableError(
                            f"cannot connect to the Ray cluster at {self.address}: its Ray "
                            f"Client server failed to start {CLIENT_ATTEMPTS} times (see "
                            f"ray_client_server*.err in the head's Ray logs)") from None
                except Exception as err:  # Ray raises ConnectionError, RuntimeError...
                    where = ("start a local Ray instance" if self.address is None else
                             f"connect to the Ray cluster at {self.address}")
                    raise ExecutorUnavailableError(f"cannot {where}: {_first_line(err)}"
                                                   ) from None
            self._owns_connection = True
        self._ray = ray
        self._remote = ray.remote(run_trial_on_worker)
        self._read_resources(force=True)
        if self._largest_node.get("CPU", 0) < self.cpus_per_trial:
            largest = self._largest_node.get("CPU", 0)
            self.shutdown()
            raise ExecutorUnavailableError(
                f"no node of the Ray cluster has {self.cpus_per_trial:g} CPUs for a trial "
                f"(the largest has {largest:g}); lower executor.cpus_per_trial")
        return ray

    def _worker_env(self) -> dict[str, Any]:
        """The runtime_env of the study's tasks: the user's, plus FORWARDED_ENV from here."""
        env = {key: value for key, value in self.runtime_env.items()}
        forwarded = {name: os.environ[name] for name in FORWARDED_ENV if os.environ.get(name)}
        if forwarded:
            env["env_vars"] = {**forwarded, **dict(env.get("env_vars") or {})}
        return env

    def _read_resources(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._resources_read_at < RESOURCES_REFRESH_S:
            return
        self._resources_read_at = now
        total = self._ray.cluster_resources()
        slots = int(total.get("CPU", 0) // self.cpus_per_trial)
        if self._gpu_trials:
            slots = min(slots, int(total.get("GPU", 0) // self.gpus_per_trial))
        self._slots = max(1, slots)
        largest: dict[str, float] = {}
        for node in self._ray.nodes():
            if node.get("Alive", node.get("alive", True)):
                for key in ("CPU", "GPU"):
                    largest[key] = max(largest.get(key, 0.0),
                                       float(node.get("Resources", {}).get(key, 0.0)))
        self._largest_node = largest

    # -- the Executor interface ------------------------------------------------------------

    @property
    def capacity(self) -> int:
        self._connect()
        self._read_resources()
        return self._slots if self.max_trials is None else min(self._slots, self.max_trials)

    def submit(self, task: TrialTask) -> None:
        ray = self._connect()
        gpus = self._gpus_for(task)
        if gpus and self._largest_node.get("GPU", 0) < gpus:
            self._ready.append(TrialOutcome(task.trial_id, "failed", error=(
                f"the trial runs on {task.config.get('device')} but no node of the Ray "
                f"cluster has {gpus:g} GPU(s); add a GPU node or set device = \"cpu\"")))
            return
        if gpus and not self._gpu_trials:
            self._gpu_trials = True
            self._read_resources(force=True)
        options: dict[str, Any] = {
            "num_cpus": self.cpus_per_trial, "num_gpus": gpus, "max_retries": self.max_retries,
            "retry_exceptions": False, "name": f"actlab-trial-{task.trial_id}"}
        if self._task_env:
            options["runtime_env"] = self._task_env
        threads = max(1, int(self.cpus_per_trial))
        ref = self._remote.options(**options).remote(self.trial_function, task, threads,
                                                     self._dataset_ref(ray, task),
                                                     self._files_ref(ray, task),
                                                     tuple(user_specs()))
        self._pending[ref] = task

    def completed(self) -> Iterator[TrialOutcome]:
        while self._ready or self._pending:
            while self._ready:
                yield self._ready.popleft()
            if not self._pending:
                continue
            # A timeout keeps the loop responsive to Ctrl-C between Ray calls.
            done, _ = self._ray.wait(list(self._pending), num_returns=1, timeout=1.0)
            for ref in done:
                task = self._pending.pop(ref)
                yield self._collect(ref, task)

    def shutdown(self, *, cancel: bool = False) -> None:
        ray, self._ray = self._ray, None
        pending, self._pending = list(self._pending), {}
        self._ready.clear()
        self._shipped.clear()
        self._shipped_files.clear()
        if ray is None:
            return
        if cancel:
            for ref in pending:
                try:
                    ray.cancel(ref, force=True)
                except Exception:  # noqa: BLE001 (already finished, or the cluster is gone)
                    pass
        if self._owns_connection:
            self._owns_connection = False
            ray.shutdown()

    # -- helpers ---------------------------------------------------------------------------

    def _gpus_for(self, task: TrialTask) -> float:
        """The GPUs a trial asks for: `gpus_per_trial` on CUDA, none on the CPU."""
        device = str(task.config.get("device", "auto"))
        if device == "auto":
            return self.gpus_per_trial if self._largest_node.get("GPU", 0) > 0 else 0
        if not device.startswith("cuda"):
            return 0
        index = _CUDA_INDEX.fullmatch(device)
        if index and int(index[1]) >= math.ceil(self.gpus_per_trial):
            raise ParameterError(
                f"device {device!r}: on Ray each trial sees only the GPU(s) Ray gives it; "
                f"say device = \"cuda\"")
        return self.gpus_per_trial

    def _dataset_ref(self, ray: Any, task: TrialTask) -> Any:
        """The trial's dataset in the object store, or None where workers load their own."""
        if self.data == "workers":
            return None
        key = dataset_key(task)
        if key in self._shipped:
            return self._shipped[key][0]
        try:
            dataset = trial_dataset(task)
        except Exception:
            if self.data == "ship":
                raise
            return None  # "auto": the workers may have what this machine lacks
        size = dataset_bytes(dataset)
        if self.data == "auto" and size > SHIP_LIMIT_BYTES:
            return None
        self._shipped[key] = (ray.put(dataset), size)
        while sum(size for _, size in self._shipped.values()) > SHIPPED_BYTES_KEPT and \
                len(self._shipped) > 1:
            # Tasks already submitted hold their own reference: dropping ours frees nothing
            # they need.
            self._shipped.popitem(last=False)
        return self._shipped[key][0]

    def _files_ref(self, ray: Any, task: TrialTask) -> Any:
        """The user files the trial names, in the object store (None when it names none)."""
        folders = user_files(task.config)
        if not folders:
            return None
        key = tuple((str(folder), tuple(str(f) for f in files))
                    for folder, files in sorted(folders.items()))
        if key not in self._shipped_files:
            self._shipped_files[key] = ray.put(
                {str(folder): pack_files(folder, files) for folder, files in folders.items()})
        return self._shipped_files[key]

    def _collect(self, ref: Any, task: TrialTask) -> TrialOutcome:
        """The outcome of a finished task, its trial's folder unpacked into the study's."""
        exceptions = self._ray.exceptions
        try:
            outcome, archive = self._ray.get(ref)
        except exceptions.TaskCancelledError:
            return TrialOutcome(task.trial_id, "failed", error="the trial's Ray task was "
                                                               "cancelled")
        except exceptions.RayTaskError as err:
            cause = err.cause if getattr(err, "cause", None) is not None else err
            hint = (" (is actlab, with the same version, installed on every Ray worker?)"
                    if isinstance(cause, ImportError | AttributeError) else "")
            return TrialOutcome(task.trial_id, "failed", error=(
                f"the trial's Ray task could not run it: {_first_line(cause)}{hint}\n{err}"))
        except exceptions.RayError as err:
            return TrialOutcome(task.trial_id, "failed", error=(
                f"the trial's Ray task was lost {self.max_retries + 1} time(s) (its worker or "
                f"node died, or ran out of memory): {_first_line(err)}\n{err}"))
        if archive is not None and task.output_dir is not None:
            unpack_trial_folder(archive, Path(task.output_dir))
        return outcome


def check_reachable(address: str) -> None:
    """Fail at once when nothing listens at a cluster's address (Ray itself retries for minutes).

    "auto" is checked when $RAY_ADDRESS names the cluster; otherwise Ray looks it up.
    """
    if address == "auto":
        address = os.environ.get("RAY_ADDRESS", "auto")
        if address in ("", "auto", "local"):
            return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    host = host.strip("[]")
    try:
        socket.create_connection((host, int(port)), timeout=10).close()
    except (OSError, ValueError) as err:
        why = getattr(err, "strerror", None) or str(err) or type(err).__name__
        raise ExecutorUnavailableError(f"cannot connect to the Ray cluster at {address}: "
                                       f"nothing answers at {host}:{port} ({why})") from None


@contextmanager
def _one_gcs_attempt() -> Iterator[None]:
    """Let ray.init try a cluster's address once (~40 s), not 20 times, unless told otherwise.

    Something that answers but is not Ray would otherwise hold the command for 13 minutes.
    """
    if GCS_WAIT_ENV in os.environ:
        yield
        return
    os.environ[GCS_WAIT_ENV] = "1"
    try:
        yield
    finally:
        os.environ.pop(GCS_WAIT_ENV, None)


def run_trial_on_worker(trial_function: TrialFunction, task: TrialTask, threads: int,
                        dataset: Any, files: Mapping[str, bytes] | None = None,
                        user_specs: tuple[Any, ...] = ()) -> tuple[TrialOutcome, bytes | None]:
    """Run one trial in a scratch folder; its outcome and the folder as a tar archive.

    `files` are the user's files the trial names ({driver's folder: tar archive}): they are
    unpacked here and read in place of the driver's paths. `user_specs`, the specs the
    driver registered, arrive by value and register themselves here as they are unpickled.
    The archive's JSON files name `task.output_dir` (the study's trial folder), not the
    scratch folder, and so does the result.
    """
    _use_threads(threads)
    for folder, archive in (files or {}).items():
        map_folder(folder, unpack_shipped_files(archive))
    with tempfile.TemporaryDirectory(prefix="actlab-trial-") as scratch:
        folder = os.path.join(scratch, "trial") if task.output_dir is not None else None
        data_dir = task.data_dir if task.data_dir and os.path.isdir(task.data_dir) else None
        local = replace(task, output_dir=folder, data_dir=data_dir)
        if dataset is not None:
            keep_dataset(local, dataset)
        outcome = execute(trial_function, local)
        if folder is None or task.output_dir is None:
            return outcome, None
        if outcome.result is not None and outcome.result.get("output_dir") == folder:
            outcome = replace(outcome, result={**outcome.result, "output_dir": task.output_dir})
        if not os.path.isdir(folder):
            return outcome, None
        relocate_text(Path(folder), folder, task.output_dir)
        return outcome, pack_trial_folder(Path(folder))


def user_files(config: Mapping[str, Any]) -> dict[Path, list[Path]]:
    """The user files a trial's config names by path, by folder (see the module docstring)."""
    from actlab.code_references import is_code_reference
    from actlab.data.user_datasets import is_tensors_file

    folders: dict[Path, set[Path]] = {}
    for value in config.values():
        if not isinstance(value, str):
            continue
        if is_tensors_file(value):
            path = Path(value)
            folders.setdefault(path.parent, set()).add(path)
        elif is_code_reference(value):
            where = value.rpartition(":")[0]
            if where.endswith(".py") or "/" in where or os.sep in where:
                path = Path(where)
                folders.setdefault(path.parent, set()).update(python_files_beside(path))
    return {folder: sorted(files) for folder, files in folders.items()}


def python_files_beside(path: Path) -> list[Path]:
    """A factory's file, the .py files beside it and the packages there (it may import
    them); the file alone when that is more than SHIPPED_FOLDER_LIMIT_BYTES."""
    folder = path.parent
    files = [p for p in folder.glob("*.py") if p.is_file()]
    for package in folder.iterdir() if folder.is_dir() else ():
        if (package / "__init__.py").is_file():
            files += [p for p in package.rglob("*.py") if p.is_file()]
    if path not in files:
        files.append(path)
    if sum(p.stat().st_size for p in files if p.exists()) > SHIPPED_FOLDER_LIMIT_BYTES:
        return [path]
    return files


def extract_archive(tar: tarfile.TarFile, destination: Path) -> None:
    """Extract an archive of plain files and folders into `destination`, refusing anything
    else (links, devices, absolute names, names that climb out with ``..``).

    Python's "data" extraction filter does that where it exists (3.11.4 and later); on an
    older 3.11, such as Debian 12's 3.11.2, the same checks are made here first.
    """
    if hasattr(tarfile, "data_filter"):
        tar.extractall(destination, filter="data")
        return
    members = tar.getmembers()
    for member in members:
        parts = Path(member.name).parts
        if member.name.startswith(("/", "\\")) or ".." in parts or not (
                member.isfile() or member.isdir()):
            raise tarfile.TarError(f"refusing to extract {member.name!r}: only plain files "
                                   "and folders inside the archive's folder are shipped")
        member.mode = 0o755 if member.isdir() else member.mode & 0o755
    tar.extractall(destination, members=members)


def pack_files(folder: Path, files: list[Path]) -> bytes:
    """Files of one folder as a gzip'd tar archive, named relative to the folder."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as archive:
        for path in files:
            archive.add(path, arcname=str(path.relative_to(folder)), recursive=False)
    return buffer.getvalue()


def unpack_shipped_files(archive: bytes) -> Path:
    """Unpack shipped user files once per content on this machine; the folder they are in."""
    digest = hashlib.sha256(archive).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / "actlab-shipped" / digest
    if not folder.is_dir():
        folder.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=f"{digest}-", dir=folder.parent))
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            extract_archive(tar, partial)
        try:
            partial.rename(folder)  # whole or not at all: another worker may race us
        except OSError:
            shutil.rmtree(partial, ignore_errors=True)
    return folder


def _use_threads(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # set already by an earlier trial in this worker process
        pass


def relocate_text(folder: Path, old: str, new: str) -> None:
    """Make the folder's JSON files name `new` wherever they name `old` (its scratch path)."""
    old_text, new_text = json.dumps(old)[1:-1], json.dumps(new)[1:-1]
    for path in folder.rglob("*"):
        if path.suffix in _RELOCATED_SUFFIXES and path.is_file():
            text = path.read_text(encoding="utf-8")
            if old_text in text:
                path.write_text(text.replace(old_text, new_text), encoding="utf-8")


def pack_trial_folder(folder: Path) -> bytes:
    """A trial's folder as a gzip'd tar archive (level 1: fast; JSON shrinks ~5x anyway)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as archive:
        for path in sorted(folder.rglob("*")):
            archive.add(path, arcname=str(path.relative_to(folder)), recursive=False)
    return buffer.getvalue()


def unpack_trial_folder(archive: bytes, folder: Path) -> None:
    """Replace `folder` with the archive's contents (a retried trial starts afresh)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        extract_archive(tar, folder)


def dataset_bytes(dataset: Any) -> int:
    """The bytes of a dataset's tensors."""
    total = 0
    for value in vars(dataset).values():
        if hasattr(value, "element_size") and hasattr(value, "nelement"):
            total += value.element_size() * value.nelement()
    return total


def _first_line(err: BaseException) -> str:
    """The error's type and its message's first line (with the next one when it ends in ':')."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    if not lines:
        return type(err).__name__
    text = lines[0] if not lines[0].endswith(":") or len(lines) < 2 else \
        f"{lines[0]} {lines[1]}"
    return f"{type(err).__name__}: {text[:400]}"
