"""Running a study: store its plan, run what the store does not have finished, store each result.

    >>> from actlab.studies import builtin_study, run_study
    >>> run = run_study(builtin_study("quick"), "actlab-runs/quick")   # doctest: +SKIP

When a study starts, its trials (each definition and validated config) are stored in the
folder's results store; the trials to run are read from there and handed to an Executor
(local worker processes unless one is given) as plain data. Each result is stored the
moment it arrives, so a study that is interrupted, even by SIGKILL, loses only the trials
that were running, and running it again runs only what is missing. Running the same spec
again reuses the stored plan as it is (a later actlab that would define the trials
differently does not orphan them).
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actlab.data import DatasetUnavailableError, load_dataset
from actlab.models.registry import build_model, check_model_input
from actlab.models.swapping import describe_model
from actlab.studies.errors import StudyStoreError
from actlab.studies.executor import Executor, TrialOutcome, TrialTask
from actlab.studies.executor_choice import build_executor
from actlab.studies.expansion import expand
from actlab.studies.progress import StudyProgress
from actlab.studies.spec import StudySpec
from actlab.studies.store import STORE_FILE, PlannedTrial, ResultsStore, StoredTrial
from actlab.studies.trial_records import is_diverged, nan_loss, split_result
from actlab.training.config import trial_name
from actlab.training.recipes import recipe_for

DEFAULT_RUNS_DIR = Path("actlab-runs")
#: The store's meta key for what the report shows of the models (describe_model).
MODELS_META = "models"
LOCK_FILE = ".lock"
TRIALS_DIR = "trials"


@dataclass(frozen=True)
class StudyRun:
    """What one run of a study did."""

    spec: StudySpec
    output_dir: Path
    total: int
    already_finished: int
    ran: int
    finished: int
    failed: int
    diverged: int
    wall_s: float
    nan_loss: int = 0

    @property
    def complete(self) -> bool:
        """Every trial of the study has a finished result."""
        return self.already_finished + self.finished == self.total

    def summary(self) -> str:
        """One line: what ran, what was reused, what failed."""
        text = (f"study {self.spec.name!r}: {self.total} trials, {self.already_finished} "
                f"already stored, {self.ran} run ({self.finished} finished")
        if self.diverged:
            text += f", {self.diverged} of them diverged"
        if self.nan_loss:
            text += (f", {self.nan_loss} with a NaN loss but finite weights (kept, not "
                     f"diverged)")
        text += f", {self.failed} failed) in {self.wall_s:.0f} s"
        return text


def default_output_dir(spec: StudySpec) -> Path:
    """Where a study writes when no folder is given: ./actlab-runs/<study name>."""
    return DEFAULT_RUNS_DIR / spec.name


@contextmanager
def study_lock(output_dir: Path) -> Iterator[None]:
    """Hold the study folder so that a second process cannot run the same study in it."""
    output_dir.mkdir(parents=True, exist_ok=True)
    handle = open(output_dir / LOCK_FILE, "a+")  # noqa: SIM115 (held for the whole block)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StudyStoreError(f"another actlab process is running a study in {output_dir}; "
                                  f"wait for it or choose another output folder") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()  # closing releases the lock (the kernel does it too on SIGKILL)


def claim_store(store: ResultsStore, spec: StudySpec) -> None:
    """Refuse a store that holds another study."""
    holder = store.get_meta("study")
    if holder is not None and holder != spec.name:
        raise StudyStoreError(f"{store.path} holds study {holder!r}, not {spec.name!r}; "
                              f"choose another output folder")


def spec_json(spec: StudySpec) -> str:
    """The spec as the store keeps it (canonical JSON of StudySpec.to_dict()).

    Where its trials run is left out: the same study on another executor is the same study
    (its stored plan stays as it is).
    """
    data = spec.to_dict()
    data.pop("executor", None)
    return json.dumps(data, sort_keys=True)


def plan_study(store: ResultsStore, spec: StudySpec,
               check: Callable[[list[PlannedTrial]], None] | None = None
               ) -> list[StoredTrial]:
    """Store the study's plan (unless the store holds this very spec's) and return it.

    The same spec again keeps its stored plan untouched; a changed spec (more seeds,
    other activations) is expanded, and trials with the same definition keep their
    results. `check` sees the trials still to run before anything is written (so a study
    that cannot start leaves its folder as it was).
    """
    claim_store(store, spec)
    stored = spec_json(spec)
    if store.get_meta("spec") == stored and store.has_plan():
        trials = store.planned_trials()
        if check is not None:
            check([t.planned() for t in trials if t.status != "finished"])
        return trials
    planned = [trial.planned() for trial in expand(spec)]
    if check is not None:
        statuses = store.statuses()
        check([t for t in planned if statuses.get(t.trial_id) != "finished"])
    store.plan_trials(planned, meta={"study": spec.name, "spec": stored,
                                     "spec_source": spec.source})
    return store.planned_trials()


def check_study_inputs(spec: StudySpec, trials: Sequence[PlannedTrial]) -> list[dict[str, Any]]:
    """Load the dataset and build each distinct model once, so a bad study fails here, once.

    A missing dataset (CIFAR-10 where it cannot be downloaded) raises
    DatasetUnavailableError; a model that cannot take the data raises ModelInputError.
    Returns what the report shows of each activation's model (parameters, activation
    sites, functional activation calls), for its first grid condition.
    """
    loaded = {}
    seen = set()
    models: dict[str, dict[str, Any]] = {}
    for trial in trials:
        config = trial.config
        options = config.get("dataset_options", {})
        data_key = (config.get("data_seed"), json.dumps(options, sort_keys=True))
        if data_key not in loaded:
            try:
                loaded[data_key] = load_dataset(config["dataset"], data_dir=spec.data_dir,
                                                seed=config.get("data_seed"),
                                                download=spec.download, **options)
            except DatasetUnavailableError as err:
                raise DatasetUnavailableError(f"study {spec.name!r} cannot run: dataset "
                                              f"{config['dataset']!r} is unavailable: {err}"
                                              ) from None
        dataset = loaded[data_key]
        params = config.get("activation_params", {})
        model_options = config.get("model_options", {})
        build_key = (config["activation"], json.dumps(params, sort_keys=True),
                     json.dumps(model_options, sort_keys=True), data_key)
        if build_key in seen:
            continue
        seen.add(build_key)
        inputs = recipe_for(config["model"]).inputs
        shape = inputs.output_shape(tuple(dataset.input_shape))
        check_model_input(config["model"], shape, dataset.num_classes, dataset.name)
        model = build_model(config["model"], config["activation"], input_shape=shape,
                            num_classes=dataset.num_classes, activation_params=params,
                            input_dtype=dataset.train_x.dtype, **model_options)
        if trial.activation not in models:
            example = inputs.for_evaluation(dataset.train_x[:2])
            models[trial.activation] = {"activation": trial.activation,
                                        "condition": trial.condition_label,
                                        **describe_model(model, [example])}
    return list(models.values())


def trial_output_dir(output_dir: Path, trial: StoredTrial) -> Path:
    """Where a trial writes its TensorBoard logs."""
    config = trial.config
    name = trial_name(config["dataset"], config["model"], config["activation"], config["seed"])
    return output_dir / TRIALS_DIR / f"{name}-{trial.trial_id[:8]}"


def run_study(spec: StudySpec, output_dir: str | os.PathLike[str] | None = None, *,
              executor: Executor | None = None, workers: int | None = None,
              progress: bool | None = None, retry_failed: bool = True,
              check_inputs: bool = True) -> StudyRun:
    """Run every trial of `spec` that `output_dir`'s store does not have finished.

    `executor` defaults to the spec's (local worker processes unless it names Ray), with
    `workers` trials at a time (default: one per core);
    `retry_failed=False` leaves failed trials as they are; `progress` shows the live
    display (default: when stderr is a terminal).
    """
    started = time.perf_counter()
    output_dir = Path(output_dir) if output_dir is not None else default_output_dir(spec)
    with study_lock(output_dir), ResultsStore(output_dir / STORE_FILE) as store:
        described: list[dict[str, Any]] = []

        def check(unfinished: list[PlannedTrial]) -> None:
            if unfinished and check_inputs:
                described.extend(check_study_inputs(spec, unfinished))

        trials = plan_study(store, spec, check)
        done = {t.trial_id for t in trials if t.status == "finished"
                or (not retry_failed and t.status == "failed")}
        todo = [t for t in trials if t.trial_id not in done]
        if described:
            models = {m["activation"]: m for m in json.loads(
                store.get_meta(MODELS_META) or "[]")}
            models.update((m["activation"], m) for m in described)
            store.set_meta(MODELS_META, json.dumps(
                [models[label] for label in spec.labels if label in models]))
        counts = {"finished": 0, "failed": 0, "diverged": 0, "nan_loss": 0}
        if todo:
            own = executor is None
            executor = executor or build_executor(spec.executor, workers)
            with StudyProgress(spec.name, len(trials), already_done=len(done),
                               enabled=progress) as display:
                _run_trials(spec, output_dir, store, todo, executor, display, counts)
            if own:
                executor.shutdown()
    return StudyRun(spec, output_dir, len(trials), len(done), len(todo), counts["finished"],
                    counts["failed"], counts["diverged"], time.perf_counter() - started,
                    counts["nan_loss"])


def _run_trials(spec: StudySpec, output_dir: Path, store: ResultsStore,
                todo: list[StoredTrial],
                executor: Executor, display: StudyProgress, counts: dict[str, int]) -> None:
    pending = deque(todo)
    in_flight = 0

    def launch() -> None:
        nonlocal in_flight
        while pending and in_flight < executor.capacity:
            trial = pending.popleft()
            store.mark_running(trial.trial_id)
            logs = trial.config.get("probes", {}).get("tensorboard", False)
            executor.submit(TrialTask(
                trial.trial_id, trial.config,
                str(trial_output_dir(output_dir, trial)) if logs else None,
                spec.data_dir, spec.download))
            in_flight += 1
            display.started()

    try:
        launch()
        for outcome in executor.completed():
            in_flight -= 1
            diverged, flagged = _store_outcome(store, outcome, spec.metric)
            counts["failed" if outcome.status == "failed" else "finished"] += 1
            counts["diverged"] += int(diverged)
            counts["nan_loss"] += int(flagged and not diverged)
            display.finished(failed=outcome.status == "failed", diverged=diverged)
            launch()
    except BaseException:
        # Interrupted: stop the workers now; their trials stay `running` and run next time.
        executor.shutdown(cancel=True)
        raise


def _store_outcome(store: ResultsStore, outcome: TrialOutcome, metric: str
                   ) -> tuple[bool, bool]:
    """Write one outcome to the store; whether the trial diverged (non-finite weights or
    study metric) and whether it had a NaN loss with finite weights."""
    if outcome.status == "finished" and outcome.result is not None:
        diverged = is_diverged(outcome.result, metric)
        flag = nan_loss(outcome.result)
        summary, points = split_result(outcome.result)
        store.record_finished(outcome.trial_id, summary, diverged=diverged, metrics=points,
                              duration_s=outcome.duration_s, worker=outcome.worker,
                              nan_loss=flag)
        return diverged, bool(flag)
    store.record_failed(outcome.trial_id, outcome.error or "the trial failed without a message",
                        duration_s=outcome.duration_s, worker=outcome.worker)
    return False, False
