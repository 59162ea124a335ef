"""Choosing where a study's trials run: `executor` in a spec, --executor/--address, no Ray."""

from __future__ import annotations

import builtins
import json
import socket
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from actlab.cli import main
from actlab.studies import LocalProcessExecutor, StudySpecError, study_spec_from_toml
from actlab.studies.errors import ExecutorUnavailableError
from actlab.studies.executor_choice import ExecutorChoice, build_executor
from actlab.studies.ray_executor import RayExecutor, check_reachable
from actlab.studies.runner import plan_study, spec_json
from actlab.studies.spec import study_spec_from_dict
from actlab.studies.store import ResultsStore

SPEC = """
name = "where"
seeds = 1
activations = ["relu"]
dataset = "toy"
model = "shallow"
{executor}
[training]
epochs = 1
"""


def spec_with(executor: str):
    return study_spec_from_toml(SPEC.format(executor=executor))


def test_a_spec_runs_locally_unless_it_says_ray():
    assert spec_with("").executor == ExecutorChoice("local")
    assert "executor" not in spec_with("").to_dict()  # older stores' specs stay as they were
    assert spec_with('executor = "ray"').executor == ExecutorChoice("ray")
    table = spec_with('[executor]\nname = "ray"\naddress = "ray://head:10001"\nworkers = 4\n'
                      'cpus_per_trial = 2\ngpus_per_trial = 0.5\nmax_retries = 1\n'
                      'data = "workers"\nruntime_env = { working_dir = "." }\n')
    assert table.executor == ExecutorChoice(
        "ray", workers=4, address="ray://head:10001", cpus_per_trial=2, gpus_per_trial=0.5,
        max_retries=1, data="workers", runtime_env={"working_dir": "."})


def test_the_executor_is_kept_by_overrides_but_not_by_the_stored_plan(tmp_path: Path):
    spec = spec_with('[executor]\nname = "ray"\naddress = "auto"\nmax_retries = 0\n')
    assert study_spec_from_dict(spec.to_dict()).executor == spec.executor
    assert spec.with_overrides(seeds=[3], epochs=2).executor == spec.executor
    # The same study on another executor is the same study: its stored plan stays.
    local = spec_with("")
    assert spec_json(spec) == spec_json(local)
    with ResultsStore(tmp_path / "results.sqlite") as store:
        planned = plan_study(store, local)
        assert plan_study(store, spec) == planned
        assert "executor" not in json.loads(store.get_meta("spec"))


@pytest.mark.parametrize(("executor", "message"), [
    ('executor = "dask"', "key 'executor': must be one of local, ray, got 'dask'"),
    ("executor = 3", "key 'executor': must be a name (local or ray) or a table, got 3"),
    ('[executor]\nname = "local"\naddress = "auto"',
     "key 'executor.address': is not a setting of the local executor"),
    ('[executor]\nname = "ray"\nadress = "auto"',
     "key 'executor.adress': is not a setting of the ray executor"),
    ('[executor]\nname = "ray"\naddress = "my cluster"', "key 'executor.address': must be"),
    ('[executor]\nname = "ray"\ncpus_per_trial = 0', "key 'executor.cpus_per_trial'"),
    ('[executor]\nname = "ray"\ngpus_per_trial = "one"', "key 'executor.gpus_per_trial'"),
    ('[executor]\nname = "ray"\nmax_retries = -1', "key 'executor.max_retries'"),
    ('[executor]\nname = "ray"\nworkers = 0', "key 'executor.workers'"),
    ('[executor]\nname = "ray"\ndata = "nfs"', "key 'executor.data': must be one of auto, "
                                               "ship, workers"),
    ('[executor]\nname = "ray"\nruntime_env = "conda"', "key 'executor.runtime_env'"),
])
def test_bad_executor_settings_name_their_key(executor: str, message: str):
    with pytest.raises(StudySpecError, match=message.replace("(", r"\(").replace(")", r"\)")):
        spec_with(executor)


def test_command_line_choices_override_the_spec():
    local = ExecutorChoice()
    assert local.with_overrides(name="ray") == ExecutorChoice("ray")
    # An address alone means Ray.
    assert local.with_overrides(address="10.0.0.1:6379") == ExecutorChoice(
        "ray", address="10.0.0.1:6379")
    ray_spec = ExecutorChoice("ray", address="auto", max_retries=1)
    assert ray_spec.with_overrides(address="ray://h:1") == ExecutorChoice(
        "ray", address="ray://h:1", max_retries=1)
    assert ray_spec.with_overrides(name="local") == ExecutorChoice("local")
    with pytest.raises(StudySpecError, match="needs --executor ray"):
        local.with_overrides(name="local", address="auto")
    with pytest.raises(StudySpecError, match="is not a Ray address"):
        local.with_overrides(address="http://x")


def test_the_choice_builds_its_executor():
    assert isinstance(build_executor(ExecutorChoice(), workers=2), LocalProcessExecutor)
    assert build_executor(ExecutorChoice(workers=3)).workers == 3
    ray = build_executor(ExecutorChoice("ray", address="auto", workers=5, cpus_per_trial=2),
                         workers=None)
    assert isinstance(ray, RayExecutor)
    assert (ray.address, ray.max_trials, ray.cpus_per_trial) == ("auto", 5, 2)
    assert build_executor(ExecutorChoice("ray", workers=5), workers=2).max_trials == 2


def test_without_ray_the_ray_executor_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch):
    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "ray", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_ray)
    with pytest.raises(ExecutorUnavailableError, match=r"pip install 'actlab\[ray\]'"):
        RayExecutor().capacity  # noqa: B018 (connecting is what is tested)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_address_where_nothing_answers_fails_at_once(monkeypatch: pytest.MonkeyPatch):
    port = closed_port()
    started = time.monotonic()
    for address in (f"127.0.0.1:{port}", f"ray://127.0.0.1:{port}"):
        with pytest.raises(ExecutorUnavailableError,
                           match=f"cannot connect to the Ray cluster at {address}: nothing "
                                 f"answers at 127.0.0.1:{port}"):
            check_reachable(address)
    monkeypatch.setenv("RAY_ADDRESS", f"127.0.0.1:{port}")
    with pytest.raises(ExecutorUnavailableError, match="nothing answers"):
        check_reachable("auto")
    monkeypatch.delenv("RAY_ADDRESS")
    check_reachable("auto")  # Ray looks for a local cluster itself
    assert time.monotonic() - started < 10  # refused connections, no retries


@pytest.mark.parametrize(("arguments", "message"), [
    (["--executor", "local", "--address", "auto"], "needs --executor ray"),
    (["--address", "not an address"], "is not a Ray address"),
    (["--executor", "spark"], "Invalid value for '--executor'"),
])
def test_bad_executor_options_are_one_line(arguments, message, tmp_path: Path):
    result = CliRunner().invoke(main, ["compare", "--seeds", "1", "--epochs", "1",
                                       "-o", str(tmp_path / "s"), *arguments])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_compare_with_an_unreachable_cluster_is_one_line(tmp_path: Path):
    pytest.importorskip("ray")  # without Ray, the line says to install it
    result = CliRunner().invoke(main, ["compare", "--activations", "relu", "--seeds", "1",
                                       "--epochs", "1", "--address",
                                       f"127.0.0.1:{closed_port()}", "-o", str(tmp_path / "s")])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot connect to the Ray cluster")
