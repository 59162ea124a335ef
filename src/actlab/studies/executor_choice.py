"""Where a study's trials run: the `executor` of a study spec, and the Executor it builds.

In a study spec (TOML)::

    executor = "ray"                 # or "local" (the default: worker processes here)

    [executor]                       # or a table, to say more
    name = "ray"
    address = "auto"                 # a running cluster ("auto", "HOST:PORT", "ray://HOST:PORT");
                                     # none: a local Ray instance sized to this machine
    workers = 8                      # trials at the same time (default: all that fit)
    cpus_per_trial = 1               # CPUs each trial asks for (its torch threads)
    gpus_per_trial = 1               # GPUs each trial on a CUDA device asks for
    max_retries = 3                  # runs again of a trial whose worker or node died
    data = "auto"                    # "ship": send the dataset through Ray's object store;
                                     # "workers": each worker loads its own copy;
                                     # "auto": ship datasets up to 1 GiB
    runtime_env = { working_dir = "." }   # passed to ray.init as it is

Reading a spec never needs Ray: only building a Ray executor imports it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, NoReturn

from actlab.studies.errors import StudySpecError
from actlab.studies.executor import Executor, LocalProcessExecutor

EXECUTORS = ("local", "ray")
DATA_ROUTES = ("auto", "ship", "workers")
_LOCAL_KEYS = ("name", "workers")
_RAY_KEYS = ("name", "address", "workers", "cpus_per_trial", "gpus_per_trial", "max_retries",
             "data", "runtime_env")
#: "auto", a GCS address HOST:PORT, or a Ray client address ray://HOST:PORT.
_ADDRESS = re.compile(r"auto|(ray://)?[A-Za-z0-9_.\-\[\]:]+:\d{1,5}")

Fail = Callable[[str, str], NoReturn]


@dataclass(frozen=True)
class ExecutorChoice:
    """Which executor runs a study's trials, and its settings (the Ray ones only for Ray)."""

    name: str = "local"
    workers: int | None = None
    address: str | None = None
    cpus_per_trial: float = 1
    gpus_per_trial: float = 1
    max_retries: int = 3
    data: str = "auto"
    runtime_env: Mapping[str, Any] = field(default_factory=dict)

    def to_data(self) -> str | dict[str, Any]:
        """The choice as a spec writes it: the bare name when nothing else is set."""
        default = ExecutorChoice(self.name)
        changed = {f.name: getattr(self, f.name) for f in fields(self)
                   if f.name != "name" and getattr(self, f.name) != getattr(default, f.name)}
        if not changed:
            return self.name
        if "runtime_env" in changed:
            changed["runtime_env"] = dict(self.runtime_env)
        return {"name": self.name, **changed}

    def with_overrides(self, *, name: str | None = None, address: str | None = None,
                       workers: int | None = None) -> ExecutorChoice:
        """The choice with the command line's --executor, --address and --workers applied.

        An address alone means Ray; an address with the local executor is refused.
        """
        chosen = name or ("ray" if address is not None else self.name)
        if chosen not in EXECUTORS:
            raise StudySpecError(f"unknown executor {chosen!r}; choose one of "
                                 f"{', '.join(EXECUTORS)}")
        if address is not None and chosen != "ray":
            raise StudySpecError(f"--address {address!r} is a Ray cluster's address; it "
                                 f"needs --executor ray")
        if address is not None and not _ADDRESS.fullmatch(address):
            raise StudySpecError(f"--address {address!r} is not a Ray address (auto, "
                                 f"HOST:PORT or ray://HOST:PORT)")
        choice = self if chosen == self.name else ExecutorChoice(chosen)
        if address is not None:
            choice = replace(choice, address=address)
        if workers is not None:
            choice = replace(choice, workers=workers)
        return choice


def read_executor_choice(value: Any, fail: Fail) -> ExecutorChoice:
    """Validate a spec's `executor` value (a name or a table); `fail(key, why)` reports."""
    if value is None:
        return ExecutorChoice()
    table = {"name": value} if isinstance(value, str) else value
    if not isinstance(table, Mapping):
        fail("executor", f"must be a name ({' or '.join(EXECUTORS)}) or a table, "
                         f"got {value!r}")
    name = table.get("name")
    if name not in EXECUTORS:
        fail("executor.name" if isinstance(value, Mapping) else "executor",
             f"must be one of {', '.join(EXECUTORS)}, got {name!r}")
    known = _RAY_KEYS if name == "ray" else _LOCAL_KEYS
    for key in table:
        if key not in known:
            fail(f"executor.{key}", f"is not a setting of the {name} executor (its settings "
                                    f"are {', '.join(k for k in known if k != 'name')})")
    choice = ExecutorChoice(name)
    if "workers" in table:
        workers = table["workers"]
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            fail("executor.workers", f"must be a whole number >= 1, got {workers!r}")
        choice = replace(choice, workers=workers)
    if name == "local":
        return choice
    settings: dict[str, Any] = {}
    if "address" in table:
        address = table["address"]
        if not isinstance(address, str) or not _ADDRESS.fullmatch(address):
            fail("executor.address", f"must be \"auto\", \"HOST:PORT\" or "
                                     f"\"ray://HOST:PORT\", got {address!r}")
        settings["address"] = address
    for key in ("cpus_per_trial", "gpus_per_trial"):
        if key in table:
            amount = table[key]
            if isinstance(amount, bool) or not isinstance(amount, int | float) or \
                    not 0 < amount <= 1024:
                fail(f"executor.{key}", f"must be a number > 0 (a fraction shares a device), "
                                        f"got {amount!r}")
            settings[key] = amount
    if "max_retries" in table:
        retries = table["max_retries"]
        if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 100:
            fail("executor.max_retries", f"must be a whole number from 0 to 100, got {retries!r}")
        settings["max_retries"] = retries
    if "data" in table:
        if table["data"] not in DATA_ROUTES:
            fail("executor.data", f"must be one of {', '.join(DATA_ROUTES)}, "
                                  f"got {table['data']!r}")
        settings["data"] = table["data"]
    if "runtime_env" in table:
        if not isinstance(table["runtime_env"], Mapping):
            fail("executor.runtime_env", f"must be a table (Ray's runtime_env), "
                                         f"got {table['runtime_env']!r}")
        settings["runtime_env"] = dict(table["runtime_env"])
    return replace(choice, **settings)


def build_executor(choice: ExecutorChoice, workers: int | None = None) -> Executor:
    """The Executor a choice describes; `workers` (the command line's) overrides its own."""
    workers = workers if workers is not None else choice.workers
    if choice.name == "ray":
        from actlab.studies.ray_executor import RayExecutor

        return RayExecutor(address=choice.address, max_trials=workers,
                           cpus_per_trial=choice.cpus_per_trial,
                           gpus_per_trial=choice.gpus_per_trial,
                           max_retries=choice.max_retries, data=choice.data,
                           runtime_env=choice.runtime_env)
    return LocalProcessExecutor(workers)
