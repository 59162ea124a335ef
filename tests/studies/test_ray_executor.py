"""The Ray executor on real Ray: a local instance, and a `ray start --head` cluster.

One cluster serves every test of the module (Ray takes seconds to start); the trials are
tiny. Skipped where Ray is not installed (`pip install actlab[ray]`; scripts/test.sh does).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from actlab.studies import (  # noqa: E402 (after the skip)
    ResultsStore,
    TrialTask,
    expand,
    load_study_spec,
    run_study,
    study_spec_from_toml,
)
from actlab.studies.executor import available_cores, keep_dataset  # noqa: E402
from actlab.studies.ray_executor import RayExecutor  # noqa: E402
from support.killed_studies import kill_once_finished  # noqa: E402
from support.ray_cluster import SRC_DIR, TESTS_DIR, RayHead  # noqa: E402
from support.ray_trials import (  # noqa: E402
    artifact_trial,
    dataset_fingerprint_trial,
    hanging_trial,
    marked_dataset,
    threads_trial,
)
from support.study_trials import dying_trial, scripted_accuracy  # noqa: E402
from support.terminal import interruptible  # noqa: E402

pytestmark = [pytest.mark.ray, pytest.mark.timeout(600)]

#: Real trials, small: 2 activations x 1 seed, 40 steps, every probe and TensorBoard on.
REAL_SPEC = """
name = "ray-equal"
activations = ["relu", "tanh"]
seeds = 1
[dataset]
name = "mnist1d"
[model]
name = "mlp"
depth = 2
width = 32
[training]
optimizer = "adam"
lr = 1e-3
batch_size = 128
steps = 40
device = "cpu"
[probes]
eval_every = 20
eval_samples = 500
gradient_every = 10
activation_every = 20
histogram_every = 20
probe_samples = 128
prediction_samples = 4
tensorboard = true
"""

#: What differs between two runs of the same trial: its times and where it wrote.
VARYING_RESULT_KEYS = {"wall_time_s", "timings", "output_dir"}

USER_CODE_SPEC = """
name = "user-code"
activations = ["relu", "tanh"]
seeds = 1
model = "code/usernet.py:net"
dataset = "code/usernet.py:blobs"
[training]
epochs = 1
batch_size = 32
device = "cpu"
[probes]
tensorboard = false
"""


def write_user_code(folder: Path, marker: str) -> Path:
    """A user's model and dataset factories in a file that imports its neighbour."""
    folder.mkdir(parents=True)
    (folder / "helpers.py").write_text(f"HIDDEN = 8  # {marker}\n")
    (folder / "usernet.py").write_text(f'''"""The user's own code ({marker})."""
import torch
from torch import nn
from torch.utils.data import TensorDataset

from helpers import HIDDEN


def net(act_layer, num_classes=3, input_shape=(2,)):
    return nn.Sequential(nn.Flatten(), nn.Linear(input_shape[0], HIDDEN), act_layer(),
                         nn.Linear(HIDDEN, num_classes))


def blobs(n=120, seed=0):
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 3, (n,), generator=generator)
    points = torch.randn(n, 2, generator=generator) + labels[:, None].float()
    return TensorDataset(points[:96], labels[:96]), TensorDataset(points[96:], labels[96:])
''')
    return folder


SCRIPTED_SPEC = """
name = "scripted"
seeds = {seeds}
activations = {activations}
dataset = "toy"
model = "shallow"
[training]
epochs = 1
"""


@pytest.fixture(scope="module", autouse=True)
def kernel_preference():
    """A kernel preference set in the driver's environment (the Ray executor passes it on)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ACTLAB_KERNELS", "speed")
        yield


@pytest.fixture(scope="module")
def head():
    """A `ray start --head` cluster of 2 CPUs for the module; stopped at the end."""
    cluster = RayHead(cpus=2)
    try:
        cluster.wait_ready()
        yield cluster
    finally:
        cluster.stop()


def task(activation: str, seed: int = 0, **config) -> TrialTask:
    return TrialTask(f"{activation}-{seed}", {"activation": activation, "seed": seed, **config})


def run_all(executor, tasks: list[TrialTask]) -> dict:
    """Submit at most `capacity` at a time, as the runner does; outcomes by trial id."""
    pending, outcomes, in_flight = list(tasks), {}, 0
    while pending and in_flight < executor.capacity:
        executor.submit(pending.pop(0))
        in_flight += 1
    for outcome in executor.completed():
        outcomes[outcome.trial_id] = outcome
        if pending:
            executor.submit(pending.pop(0))
    return outcomes


def stored(folder: Path) -> dict:
    with ResultsStore(folder / "results.sqlite") as store:
        assert store.integrity_problems() == []
        return {t.trial_id: (t, store.metric_points(t.trial_id)) for t in store.trials()}


# -- a local Ray instance, through the command line ------------------------------------------


def test_compare_on_a_local_ray_instance_stores_what_local_processes_store(tmp_path: Path):
    from click.testing import CliRunner
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from actlab.cli import main

    spec_file = tmp_path / "study.toml"
    spec_file.write_text(REAL_SPEC)
    on_ray, local = tmp_path / "ray", tmp_path / "local"
    runner = CliRunner()
    result = runner.invoke(main, ["compare", "--spec", str(spec_file), "--executor", "ray",
                                  "-o", str(on_ray), "--quiet"])
    assert result.exit_code == 0, result.output
    assert not ray.is_initialized()  # the instance it started is stopped again
    # One thread per trial on both sides (the Ray default: 1 CPU per trial).
    result = runner.invoke(main, ["compare", "--spec", str(spec_file), "--workers",
                                  str(available_cores()), "-o", str(local), "--quiet",
                                  "--no-report"])
    assert result.exit_code == 0, result.output

    ray_trials, local_trials = stored(on_ray), stored(local)
    assert set(ray_trials) == set(local_trials) and len(ray_trials) == 2
    for trial_id, (trial, points) in ray_trials.items():
        local_trial, local_points = local_trials[trial_id]
        assert trial.status == local_trial.status == "finished"
        # Same machine, one thread each, the same kernels and dataset: the same arithmetic,
        # so every stored number is identical, not merely close.
        assert points == local_points and len(points) > 50
        summary, local_summary = (
            {k: v for k, v in t.result.items() if k not in VARYING_RESULT_KEYS}
            for t in (trial, local_trial))
        assert summary == local_summary and summary["final"]["test_accuracy"] is not None
        folder = Path(trial.result["output_dir"])
        assert folder.parent == on_ray / "trials"
        local_folder = Path(local_trial.result["output_dir"])
        files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
        local_files = sorted(str(p.relative_to(local_folder)) for p in local_folder.rglob("*")
                             if p.is_file())
        assert files and [f.split(".out.tfevents")[0] for f in files] == \
            [f.split(".out.tfevents")[0] for f in local_files]
        # TensorBoard reads the events that came home, with the same scalars as locally.
        events = EventAccumulator(str(folder / "tensorboard")).Reload()
        local_events = EventAccumulator(str(local_folder / "tensorboard")).Reload()
        tags = events.Tags()["scalars"]
        assert tags and tags == local_events.Tags()["scalars"]
        for tag in tags:
            assert [(e.step, e.value) for e in events.Scalars(tag)] == \
                [(e.step, e.value) for e in local_events.Scalars(tag)]
    assert "relu" in (on_ray / "report.html").read_text()  # the report read what came home


# -- a `ray start --head` cluster ------------------------------------------------------------


@pytest.fixture(scope="class")
def joined(head: RayHead):
    """This process connected to the cluster for a whole class of tests (one Ray job)."""
    ray.init(address=head.address, logging_level="ERROR", log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


@pytest.mark.usefixtures("joined")
class TestExecutorOnACluster:
    """The executor in a process already connected to the cluster (it keeps the connection):
    one Ray job for the class, so its worker processes serve every test."""

    def test_trials_run_as_ray_tasks_with_the_cpus_they_ask_for(self, head: RayHead):
        tasks = [task("relu", s) for s in range(3)] + [task("tanh", 9)]
        with RayExecutor(head.address, trial_function=threads_trial) as executor:
            assert executor.capacity == 2  # 2 CPUs, 1 per trial
            outcomes = run_all(executor, tasks)
        assert set(outcomes) == {t.trial_id for t in tasks}
        failed = outcomes["tanh-9"]
        assert failed.status == "failed" and failed.result is None
        assert failed.error.splitlines()[0] == "RuntimeError: scripted failure of tanh seed 9"
        for seed in range(3):
            outcome = outcomes[f"relu-{seed}"]
            assert outcome.status == "finished"
            assert outcome.result["final"]["test_accuracy"] == scripted_accuracy("relu", seed)
            assert outcome.result["torch_threads"] == 1
            assert outcome.result["kernels_env"] == "speed"  # the driver's choice reached it
            assert outcome.result["pid"] != os.getpid()
            assert outcome.worker.endswith(f":{outcome.result['pid']}")

        with RayExecutor(head.address, cpus_per_trial=2,
                         trial_function=threads_trial) as executor:
            assert executor.capacity == 1
            outcomes = run_all(executor, [task("relu", 0)])
        assert outcomes["relu-0"].result["torch_threads"] == 2

    def test_a_trial_folder_comes_home_and_names_the_study_folder(self, head: RayHead,
                                                                   tmp_path: Path):
        home = tmp_path / "study" / "trials" / "one"
        home.mkdir(parents=True)
        (home / "stale.txt").write_text("from an earlier, killed attempt")
        with RayExecutor(head.address, trial_function=artifact_trial) as executor:
            executor.submit(TrialTask("one", {"activation": "relu", "seed": 3}, str(home)))
            [outcome] = list(executor.completed())
        assert outcome.status == "finished", outcome.error
        assert outcome.result["output_dir"] == str(home)
        assert sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_file()) == [
            "metrics.jsonl", "result.json", "tensorboard/events.out.tfevents.test"]
        assert (home / "tensorboard" / "events.out.tfevents.test").read_bytes() == \
            bytes(range(256)) * 4
        assert json.loads((home / "result.json").read_text()) == {"output_dir": str(home),
                                                                  "seed": 3}
        assert json.loads((home / "metrics.jsonl").read_text())["output_dir"] == str(home)

    def test_datasets_reach_workers_through_the_object_store_or_their_own_loaders(
            self, head: RayHead, monkeypatch: pytest.MonkeyPatch):
        from actlab.data import load_dataset
        from actlab.studies import ray_executor

        real = load_dataset("toy", seed=5)
        outcomes = {}
        for route, data_seed in (("ship", 5), ("workers", 6), ("auto", 7), ("auto-large", 8)):
            one = task("relu", 0, dataset="toy", data_seed=data_seed, steps=1)
            # This process's copy of the dataset is not the one a loader makes: a worker that
            # trains on it got it from here.
            keep_dataset(one, marked_dataset(float(data_seed)))
            if route == "auto-large":
                monkeypatch.setattr(ray_executor, "SHIP_LIMIT_BYTES", 100)
            with RayExecutor(head.address, data=route.removesuffix("-large"),
                             trial_function=dataset_fingerprint_trial) as executor:
                executor.submit(one)
                [outcomes[route]] = list(executor.completed())
        for route, data_seed in (("ship", 5), ("auto", 7)):
            assert outcomes[route].result["dataset_name"] == "marked"
            assert outcomes[route].result["train_x_sum"] == 60 * data_seed  # 6 x 10 inputs
        for route, data_seed in (("workers", 6), ("auto-large", 8)):
            assert outcomes[route].result["dataset_name"] == real.name
            mine = load_dataset("toy", seed=data_seed)
            assert outcomes[route].result["train_x_sum"] == \
                float(mine.train_x.double().sum())

    def test_the_users_code_goes_with_the_tasks(self, head: RayHead, tmp_path: Path):
        """A study of the user's own model and data files, whose folder is gone by the time
        the workers build the model: they use the copies that came with the tasks."""
        import threading

        from support.ray_trials import gated_trial

        code = write_user_code(tmp_path / "code", marker=tmp_path.name)
        spec_file = tmp_path / "study.toml"
        spec_file.write_text(USER_CODE_SPEC)
        spec = load_study_spec(spec_file)
        gate = tmp_path / "gate"
        gate.mkdir()

        def take_the_code_away() -> None:
            deadline = time.monotonic() + 300
            while len(list(gate.glob("*.waiting"))) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            code.rename(tmp_path / "elsewhere")
            (gate / "go").touch()

        remover = threading.Thread(target=take_the_code_away)
        remover.start()
        with RayExecutor(head.address, trial_function=gated_trial,
                         runtime_env={"env_vars": {"ACTLAB_TEST_GATE_DIR": str(gate)}}
                         ) as executor:
            run = run_study(spec, tmp_path / "study", executor=executor, progress=False)
        remover.join()
        assert not code.exists()
        assert run.complete and run.finished == 2, stored(tmp_path / "study")
        for trial, points in stored(tmp_path / "study").values():
            assert trial.config["model"] == str(code / "usernet.py") + ":net"
            assert trial.result["final"]["test_accuracy"] is not None and points

    def test_cuda_trials_on_a_cluster_without_gpus_fail_with_the_reason(self, head: RayHead):
        from actlab.errors import ParameterError

        with RayExecutor(head.address, trial_function=threads_trial) as executor:
            executor.submit(task("relu", 0, device="cuda"))
            executor.submit(task("relu", 1, device="auto"))  # no GPU here: the CPU
            outcomes = {o.trial_id: o for o in executor.completed()}
            with pytest.raises(ParameterError, match="say device = \"cuda\""):
                executor.submit(task("relu", 2, device="cuda:1"))
        assert outcomes["relu-0"].status == "failed"
        assert outcomes["relu-0"].error == (
            "the trial runs on cuda but no node of the Ray cluster has 1 GPU(s); add a GPU "
            "node or set device = \"cpu\"")
        assert outcomes["relu-1"].status == "finished"

    def test_a_worker_killed_mid_trial_is_retried(self, head: RayHead, tmp_path: Path):
        one = task("relu", 0, pid_dir=str(tmp_path))
        with RayExecutor(head.address, max_retries=2,
                         trial_function=hanging_trial) as executor:
            executor.submit(one)
            deadline = time.monotonic() + 120
            while not list(tmp_path.glob("*.pid")):
                assert time.monotonic() < deadline, "the trial never started"
                time.sleep(0.1)
            [first] = tmp_path.glob("*.pid")
            first_pid = int(first.read_text())
            os.kill(first_pid, signal.SIGKILL)  # as the OOM killer, mid-trial
            [outcome] = list(executor.completed())
        assert outcome.status == "finished", outcome.error
        assert outcome.result["attempt_pids"][0] == first_pid
        assert outcome.result["attempt_pids"][-1] != first_pid

    def test_a_trial_whose_worker_keeps_dying_fails_with_the_reason(self, head: RayHead):
        with RayExecutor(head.address, max_retries=1,
                         trial_function=dying_trial) as executor:
            outcomes = run_all(executor, [task("die"), task("relu")])
        assert outcomes["relu-0"].status == "finished"
        failed = outcomes["die-0"]
        assert failed.status == "failed"
        assert failed.error.startswith("the trial's Ray task was lost 2 time(s) (its worker "
                                       "or node died, or ran out of memory)")


def test_compare_on_a_cluster_through_ray_client(head: RayHead, tmp_path: Path):
    from click.testing import CliRunner

    from actlab.cli import main

    spec_file = tmp_path / "study.toml"
    spec_file.write_text(REAL_SPEC.replace('["relu", "tanh"]', '["relu"]'))
    folder = tmp_path / "study"
    result = CliRunner().invoke(main, ["compare", "--spec", str(spec_file), "--address",
                                       head.client_address, "-o", str(folder), "--no-report",
                                       "--quiet"])
    assert result.exit_code == 0, result.output + head.client_server_logs()
    [(trial, points)] = stored(folder).values()
    assert trial.status == "finished" and points
    assert any((Path(trial.result["output_dir"]) / "tensorboard").iterdir())
    assert not ray.is_initialized()


DRIVER = """
import sys
sys.path[:0] = [{src!r}, {tests!r}]
from actlab.studies import run_study, study_spec_from_toml
from actlab.studies.ray_executor import RayExecutor
from support.{module} import {function}

spec = study_spec_from_toml({spec!r})
executor = RayExecutor({address!r}, trial_function={function},
                       runtime_env={{"env_vars": {env!r}}})
try:
    run_study(spec, {folder!r}, executor=executor, progress=False, check_inputs=False)
except KeyboardInterrupt:
    sys.exit(130)
"""


def start_driver(tmp_path: Path, spec_text: str, folder: Path, address: str, module: str,
                 function: str, worker_env: dict[str, str]) -> subprocess.Popen:
    """A study's driver in its own process (and session), running `function` on Ray."""
    script = tmp_path / "driver.py"
    script.write_text(DRIVER.format(src=str(SRC_DIR), tests=str(TESTS_DIR), spec=spec_text,
                                    folder=str(folder), address=address, module=module,
                                    function=function, env=worker_env))
    return subprocess.Popen(interruptible([sys.executable, str(script)]), start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_a_killed_driver_resumes_with_only_the_missing_trials(head: RayHead, tmp_path: Path):
    spec_text = SCRIPTED_SPEC.format(seeds=5, activations='["relu", "sigmoid", "gelu"]')
    folder = tmp_path / "study"
    driver = start_driver(tmp_path, spec_text, folder, head.address, "study_trials",
                          "scripted_trial", {"ACTLAB_TEST_TRIAL_SECONDS": "0.5"})
    store_path = folder / "results.sqlite"
    kill_once_finished(driver, store_path, 3, timeout_s=180)
    with ResultsStore(store_path) as store:
        before = {t.trial_id: t for t in store.trials()}
    finished = {i for i, t in before.items() if t.status == "finished"}
    assert 3 <= len(finished) < 15

    spec = study_spec_from_toml(spec_text)
    from support.study_trials import scripted_trial

    with RayExecutor(head.address, trial_function=scripted_trial) as executor:
        run = run_study(spec, folder, executor=executor, progress=False, check_inputs=False)
    assert run.already_finished == len(finished) and run.ran == 15 - len(finished)
    assert run.complete and run.failed == 0
    assert not ray.is_initialized()  # the executor's own connection is closed again
    after = stored(folder)
    assert {i for i in after} == {t.trial_id for t in expand(spec)}
    for trial_id in finished:  # what the killed driver stored is kept as it was
        assert after[trial_id][0].result == before[trial_id].result
        assert after[trial_id][0].attempts == 1


def test_ctrl_c_cancels_the_trials_in_flight(head: RayHead, tmp_path: Path):
    pid_dir = tmp_path / "pids"
    pid_dir.mkdir()
    spec_text = SCRIPTED_SPEC.format(seeds=3, activations='["relu"]')
    folder = tmp_path / "study"
    driver = start_driver(tmp_path, spec_text, folder, head.address, "ray_trials",
                          "hanging_trial", {"ACTLAB_TEST_PID_DIR": str(pid_dir),
                                            "ACTLAB_TEST_ALWAYS_HANG": "1"})
    deadline = time.monotonic() + 180
    try:
        while len(list(pid_dir.glob("*.pid"))) < 2:
            assert driver.poll() is None, driver.stdout.read().decode()
            assert time.monotonic() < deadline, "the trials never started"
            time.sleep(0.1)
        pids = [int(p.read_text()) for p in pid_dir.glob("*.pid")]
        os.kill(driver.pid, signal.SIGINT)
        assert driver.wait(timeout=60) == 130, driver.stdout.read().decode()
    finally:
        if driver.poll() is None:
            os.killpg(driver.pid, signal.SIGKILL)
            driver.wait()
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in pids):
        assert time.monotonic() < deadline, "a cancelled trial is still running"
        time.sleep(0.2)
    with ResultsStore(folder / "results.sqlite") as store:
        statuses = store.statuses()
    # The two in flight stay running (they run again next time); the third never started.
    assert sorted(statuses.values()) == ["planned", "running", "running"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed worker may linger as a zombie until its parent (the raylet) reaps it.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def test_run_study_uses_the_specs_ray_executor(head: RayHead, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch):
    from support.study_trials import scripted_trial

    spec = study_spec_from_toml(SCRIPTED_SPEC.format(seeds=2, activations='["relu"]') +
                                f'[executor]\nname = "ray"\naddress = "{head.address}"\n'
                                f"workers = 1\n")
    built = []
    original = RayExecutor.__init__

    def recording_init(self, *args, **kwargs):
        kwargs["trial_function"] = scripted_trial
        original(self, *args, **kwargs)
        built.append(self)

    monkeypatch.setattr(RayExecutor, "__init__", recording_init)
    run = run_study(spec, tmp_path / "study", progress=False, check_inputs=False)
    assert run.complete and run.finished == 2
    [executor] = built
    assert executor.address == head.address and executor.max_trials == 1
    assert not ray.is_initialized()


def test_a_ray_client_server_that_keeps_dying_is_tried_three_times(
        head: RayHead, monkeypatch: pytest.MonkeyPatch):
    from actlab.studies.errors import ExecutorUnavailableError

    attempts = []

    def failing_init(**options):
        attempts.append(options["address"])
        raise ConnectionAbortedError("Initialization failure from server:\nTraceback ...")

    monkeypatch.setattr(ray, "init", failing_init)
    with pytest.raises(ExecutorUnavailableError, match="Ray Client server failed to start 3 "
                                                       "times"):
        RayExecutor(head.client_address).capacity  # noqa: B018 (connecting is tested)
    assert attempts == [head.client_address] * 3


def test_a_registered_spec_trains_on_ray_workers(head: RayHead, tmp_path: Path):
    # Ray's workers are fresh processes of the cluster: the spec reaches them by value.
    import torch

    import actlab
    from actlab.catalog.registry import registry

    actlab.register(actlab.ActivationSpec(
        name="ray_bent", family="user", summary="x + k|x|", latex=r"f(x) = x + k|x|",
        forward=lambda x, k: x + k * x.abs(), derivative=lambda x, k: 1 + k * torch.sign(x),
        params=(actlab.Param("k", 0.3, "weight of |x|"),),
        properties=actlab.Properties((-float("inf"), float("inf")), smoothness=0)))
    try:
        spec = study_spec_from_toml(
            'name = "ray-user-spec"\ndataset = "toy"\nactivations = ["ray_bent"]\n'
            'seeds = 1\n[model]\nname = "mlp"\ndepth = 1\nwidth = 4\n[training]\n'
            'steps = 2\n[probes]\ntensorboard = false\n'
            f'[executor]\nname = "ray"\naddress = "{head.address}"\nworkers = 1\n')
        run = run_study(spec, tmp_path / "study", progress=False)
    finally:
        registry().unregister("ray_bent")
    trials = stored(tmp_path / "study")
    assert run.finished == 1 and run.failed == 0, [t.error for t, _ in trials.values()]
