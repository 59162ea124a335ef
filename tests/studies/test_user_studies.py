"""Studies of the user's own model and data: CLI, TOML and Python, spawned workers, errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from torch import nn

from actlab.cli import main
from actlab.code_references import CodeReferenceError, reference_to
from actlab.report.study_report import write_study_report
from actlab.studies import (
    ResultsStore,
    SerialExecutor,
    load_study_results,
    load_study_spec,
    run_study,
    user_study,
)
from actlab.training import TrialConfig, run_trial
from support.killed_studies import kill_once_finished

USER_CODE = Path(__file__).parent / "user_code"
SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def in_user_code(monkeypatch) -> Path:
    """Run from the folder holding mymodels.py, as a user would."""
    monkeypatch.chdir(USER_CODE)
    return USER_CODE


COMMAND = ["compare", "--model", "mymodels.py:tiny_net", "--dataset", "mymodels.py:blobs",
           "-a", "relu,gelu,tanh", "--seeds", "2", "--epochs", "3", "-w", "2"]


def test_a_cli_study_of_a_user_file_runs_in_spawned_workers_and_resumes(tmp_path: Path):
    folder = tmp_path / "study"
    env = dict(os.environ, PYTHONPATH=str(SRC), MYMODELS_SLOW="1.5")
    first = subprocess.Popen([sys.executable, "-m", "actlab", *COMMAND, "-o", str(folder),
                              "--no-report"], cwd=USER_CODE, env=env,
                             start_new_session=True, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
    store = folder / "results.sqlite"
    kill_once_finished(first, store, 2, timeout_s=300)
    with ResultsStore(store) as results:
        before = {t.trial_id: t for t in results.trials()}
    finished = {i for i, t in before.items() if t.status == "finished"}
    assert 2 <= len(finished) < 6 and len(before) == 6  # the whole plan was stored first
    assert {t.config["model"] for t in before.values()} == {
        str(USER_CODE / "mymodels.py") + ":tiny_net"}

    again = subprocess.run([sys.executable, "-m", "actlab", *COMMAND, "-o", str(folder)],
                           cwd=USER_CODE, env=dict(env, MYMODELS_SLOW=""),
                           capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"6 trials, {len(finished)} already stored, {6 - len(finished)} run" in again.stdout
    with ResultsStore(store) as results:
        after = {t.trial_id: t for t in results.trials()}
    assert all(t.status == "finished" for t in after.values())
    for trial_id in finished:  # kept as they were
        assert after[trial_id].attempts == 1 and after[trial_id].result == before[trial_id].result
    report = (folder / "report.md").read_text()
    parameters = sum(p.numel() for p in nn.Sequential(
        nn.Linear(2, 16), nn.Linear(16, 16), nn.Linear(16, 3)).parameters())
    assert "## Model" in report and f"| relu | {parameters:,} | 2 |" in report
    assert "mymodels.py:tiny_net" in report and str(USER_CODE) not in report


def test_a_toml_spec_names_factories_relative_to_its_own_folder(tmp_path: Path, monkeypatch):
    spec_file = tmp_path / "study.toml"
    code = tmp_path / "code"
    code.mkdir()
    (code / "mymodels.py").write_text((USER_CODE / "mymodels.py").read_text())
    spec_file.write_text("""
name = "relative"
activations = ["relu", "elu"]
seeds = 1
[model]
name = "code/mymodels.py:relu_net"
hidden = 8
[dataset]
name = "code/mymodels.py:map_style_blobs"
n = 100
[training]
epochs = 2
loss = "code/mymodels.py:smooth_cross_entropy"
""")
    monkeypatch.chdir(Path(__file__).parent)  # elsewhere
    spec = load_study_spec(spec_file)
    assert spec.model == f"{code / 'mymodels.py'}:relu_net"
    run = run_study(spec, tmp_path / "out", executor=SerialExecutor(), progress=False)
    assert run.complete, run.summary()
    results = load_study_results(tmp_path / "out")
    record = results.records[0]
    assert record.result["settings"]["loss"].endswith("mymodels.py:smooth_cross_entropy")
    assert record.result["dataset"]["num_classes"] == 4  # PointsDataset.classes
    # relu_net's two shared in-place ReLUs, swapped: one site each, still in place
    (relu, elu) = results.models
    assert [s["names"] for s in relu["sites"]] == [["2.relu"], ["3.relu"]]
    assert all("inplace=True" in s["type"] for s in relu["sites"])


def test_python_studies_take_factories_and_the_datasets_themselves(tmp_path: Path,
                                                                   monkeypatch):
    monkeypatch.setenv("ACTLAB_CACHE_DIR", str(tmp_path / "cache"))
    sys.path.insert(0, str(USER_CODE))
    try:
        import mymodels
    finally:
        sys.path.remove(str(USER_CODE))
    assert reference_to(mymodels.tiny_net) == "mymodels:tiny_net"
    train, test = mymodels.blobs(120)
    spec = user_study(model=mymodels.tiny_net, dataset=(train, test), activations=["relu"],
                      seeds=[3], epochs=2, model_options={"hidden": 4})
    saved = Path(spec.dataset)
    assert saved.parent == tmp_path / "cache" / "datasets" and saved.suffix == ".pt"
    run = run_study(spec, tmp_path / "out", executor=SerialExecutor(), progress=False)
    assert run.complete
    (record,) = load_study_results(tmp_path / "out").records
    assert record.result["dataset"]["train"] == len(train)
    assert record.result["dataset"]["test"] == len(test)
    again = user_study(model=mymodels.tiny_net, dataset=mymodels.blobs(120),
                       activations=["relu"], seeds=[3], epochs=2)
    assert again.dataset == spec.dataset  # the same data: the same file, the same trials


def _notebook_function():
    return nn.Linear(2, 3)


def test_a_factory_workers_cannot_import_is_refused_with_what_to_do(monkeypatch):
    monkeypatch.setattr(_notebook_function, "__module__", "__main__")
    monkeypatch.delattr(sys.modules["__main__"], "__file__", raising=False)
    with pytest.raises(CodeReferenceError, match="defined in __main__ .* move it into a .py"):
        user_study(model=_notebook_function, dataset="mymodels.py:blobs")

    def local_factory(act_layer):
        return nn.Linear(2, 3)
    with pytest.raises(CodeReferenceError, match="inside a function"):
        reference_to(local_factory)


@pytest.mark.parametrize(("model", "dataset", "extra", "message"), [
    ("missing.py:tiny_net", "mymodels.py:blobs", [], "model 'missing.py:tiny_net': the file '"),
    ("mymodels.py:tiny_nett", "mymodels.py:blobs", [],
     "mymodels.py has no attribute 'tiny_nett'; did you mean 'tiny_net'?"),
    ("no_such_package.models:net", "mymodels.py:blobs", [],
     "cannot import 'no_such_package.models'"),
    ("mymodels.py:not_a_model", "mymodels.py:blobs", [],
     "model factory 'mymodels.py:not_a_model' returned int, not a torch.nn.Module"),
    ("mymodels.py:linear_only", "mymodels.py:blobs", [], "has no activation module to swap"),
    ("mymodels.py:tiny_net", "mymodels.py:images", [],
     "model 'mymodels.py:tiny_net' fails on inputs of shape 3x8x8 (float32)"),
    ("mymodels.py:tiny_net", "mymodels.py:not_a_pair", [],
     "returned int; it must return (train, test)"),
    ("mymodels.py:tiny_net", "mymodels.py:fractional_labels", [], "whole-number class indices"),
    ("mymodels.py:tiny_net", "mymodels.py:ragged", [], "every input must have one shape"),
    ("mymodels.py:tiny_net", "missing.py:blobs", [], "dataset 'missing.py:blobs': the file"),
    ("mymodels.py:tiny_net", "mymodels.py:blobs", ["--model-option", "depth=3"],
     "unknown key; known keys are hidden"),
    ("mymodels.py:tiny_net", "mymodels.py:blobs", ["--model-option", "oops"],
     "--model-option 'oops' must be KEY=VALUE"),
    ("mymodels.py:tiny_net", "mymodels.py:blobs", ["--dataset-option", "size=3"],
     "unknown key; known keys are"),
])
def test_bad_user_models_and_data_get_one_clear_line(in_user_code, tmp_path, model, dataset,
                                                     extra, message):
    command = ["compare", "--model", model, "--dataset", dataset, "-a", "relu", "--seeds",
               "1", "--epochs", "1", "-o", str(tmp_path / "out"), "--workers", "1", *extra]
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert message in lines[0]


def test_a_model_without_act_layer_has_its_own_activations_swapped(in_user_code):
    result = run_trial(TrialConfig(dataset="mymodels.py:blobs", model="mymodels.py:relu_net",
                                   activation="elu", epochs=1))
    swapped = [line for line in result.model_summary.splitlines() if "(relu)" in line]
    assert len(swapped) == 2 and all("ELU(" in line and "inplace=True" in line
                                     for line in swapped)


def test_a_report_of_a_study_without_model_records_uses_its_results(tmp_path, in_user_code):
    spec = user_study(model="mymodels.py:tiny_net", dataset="mymodels.py:blobs",
                      activations=["relu"], seeds=1, epochs=1)
    run_study(spec, tmp_path, executor=SerialExecutor(), progress=False, check_inputs=False)
    markdown = write_study_report(tmp_path).markdown.read_text()
    assert "| relu | 371 | 2 |" in markdown  # 2*16+16 + 16*16+16 + 16*3+3 parameters


def test_integer_inputs_stay_integers_for_an_embedding(in_user_code, tmp_path, monkeypatch):
    monkeypatch.setenv("ACTLAB_CACHE_DIR", str(tmp_path / "cache"))
    torch.manual_seed(0)
    tokens = torch.randint(0, 10, (60, 5))
    labels = (tokens[:, 0] > 4).long()
    spec = user_study(model="mymodels.py:bag_of_words", dataset=(
        (tokens[:40], labels[:40]), (tokens[40:], labels[40:])), activations=["relu"],
        seeds=1, epochs=1, name="tokens")
    run = run_study(spec, tmp_path / "out", executor=SerialExecutor(), progress=False)
    assert run.complete, run.summary()
    (record,) = load_study_results(tmp_path / "out").records
    assert record.result["dataset"]["input_shape"] == [5]


def test_a_study_that_cannot_start_leaves_its_folder_free(in_user_code, tmp_path):
    folder = tmp_path / "out"
    base = ["compare", "--dataset", "mymodels.py:blobs", "-a", "relu", "--seeds", "1",
            "--epochs", "1", "-o", str(folder), "-w", "1", "--no-report"]
    failed = CliRunner().invoke(main, [*base, "--model", "mymodels.py:not_a_model"])
    assert failed.exit_code == 1 and "returned int" in failed.output
    with ResultsStore(folder) as store:
        assert store.get_meta("study") is None and store.trials() == []
    fixed = CliRunner().invoke(main, [*base, "--model", "mymodels.py:tiny_net"])
    assert fixed.exit_code == 0, fixed.output


def test_a_report_needs_no_user_code_once_the_study_ran(tmp_path: Path):
    code = tmp_path / "code"
    code.mkdir()
    (code / "mine.py").write_text((USER_CODE / "mymodels.py").read_text())
    spec = user_study(model=f"{code / 'mine.py'}:tiny_net", dataset=f"{code / 'mine.py'}:blobs",
                      activations=["relu"], seeds=1, epochs=1)
    run_study(spec, tmp_path / "out", executor=SerialExecutor(), progress=False)
    (code / "mine.py").unlink()  # the factories are gone; the study folder is enough
    markdown = write_study_report(tmp_path / "out").markdown.read_text()
    assert "| model | mine.py:tiny_net |" in markdown and "| relu | 371 | 2 |" in markdown


def test_a_built_in_study_takes_another_model_and_dataset(in_user_code):
    from actlab.studies import builtin_study

    deep = builtin_study("seed002-deep")
    assert deep.model_options and "model.depth" in deep.grid  # the MLP's own options
    assert any(a.model for a in deep.activations)  # SELU's lecun_normal, ...
    spec = deep.with_overrides(model="mymodels.py:tiny_net", model_options={"hidden": 8},
                               dataset="mymodels.py:blobs", seeds=[0])
    assert spec.model == f"{USER_CODE / 'mymodels.py'}:tiny_net"
    assert spec.model_options == {"hidden": 8} and not any(a.model for a in spec.activations)
    assert spec.dataset_options == {} and spec.labels == deep.labels
    assert not any(key.startswith(("model.", "dataset.")) for key in spec.grid)
    assert "model mymodels.py:tiny_net" in spec.description.replace(str(USER_CODE) + "/", "")
