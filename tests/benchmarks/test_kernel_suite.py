"""The benchmark runner: result structure, goal checks, allocator modes, CLI and errors.

Nothing here asserts a time: timings are only checked to exist and be positive.
"""

from __future__ import annotations

import importlib.util
import json
import statistics
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from actlab.errors import ActlabError
from kernel_suite import SuiteSettings, run_benchmarks, run_suite
from kernel_suite import goals as goal_checks
from kernel_suite.cli import bench_command
from kernel_suite.runner import allocator_env
from kernel_suite.saved_memory import saved_bytes
from kernel_suite.tables import markdown
from kernel_suite.timing import summarise
from machine import REUSED_ALLOCATOR_ENV

SMALL = 1 << 15
TINY = {"numel": SMALL, "repeats": 2, "warmup": 0}


def test_summary_quartiles_agree_with_numpy():
    seconds = [0.5, 0.1, 0.3, 0.2, 0.4, 0.9]
    t = summarise(seconds)
    q1, q3 = np.percentile(seconds, [25, 75])
    assert t.median == statistics.median(seconds)
    assert (t.q1, t.q3) == pytest.approx((q1, q3))
    assert t.noise == pytest.approx((q3 - q1) / statistics.median(seconds))


def test_saved_bytes_counts_what_pytorch_saves():
    x = torch.randn(1000, requires_grad=True)
    assert saved_bytes(torch.relu, x) == 4000  # relu keeps its output
    assert saved_bytes(lambda t: t * 2, x) == 0  # scaling by a constant keeps nothing
    assert saved_bytes(lambda t: t * t, x) == 4000  # the same input twice: counted once


@pytest.fixture(scope="module")
def suite_result():
    settings = SuiteSettings(**TINY, only=("relu", "mish", "softmax", "swiglu"))
    return run_suite(settings)


def test_suite_measures_every_implementation_in_both_passes(suite_result):
    by_label = {c["label"]: c for c in suite_result["cases"]}
    assert set(by_label) == {"relu", "mish", "softmax", "swiglu"}
    assert set(by_label["relu"]["implementations"]) == {"native", "reference", "analytic",
                                                         "fused", "memory", "auto"}
    assert "memory" not in by_label["mish"]["implementations"]  # no mask: nothing to trade
    assert set(by_label["swiglu"]["implementations"]) == {"reference", "analytic", "auto"}
    for case in suite_result["cases"]:
        assert not case["errors"]
        for impl, entry in case["implementations"].items():
            for pass_name in ("forward", "forward_backward"):
                t = entry[pass_name]
                assert t["median"] > 0 and t["runs"] == TINY["repeats"], (case["label"], impl)
                assert t["gbps"] > 0 and t["fraction_of_copy"] > 0
    assert by_label["relu"]["piecewise_linear"] and not by_label["mish"]["piecewise_linear"]
    # Speed by default (PyTorch's relu), the 1-byte mask when memory is preferred.
    assert by_label["relu"]["auto_choice"] == {"auto": "native", "memory": "fused(mask)"}
    relu = by_label["relu"]["implementations"]
    # auto is the native op in both passes: one timing, reported for both names
    assert relu["native"]["same_as"] == "auto"
    assert relu["native"]["forward"] == relu["auto"]["forward"]
    assert relu["memory"]["saved_bytes_per_element"] == 1
    assert relu["auto"]["saved_bytes_per_element"] == 4
    assert relu["native"]["saved_bytes_per_element"] == 4
    assert by_label["mish"]["implementations"]["reference"]["saved_bytes_per_element"] > 4


def test_markdown_names_the_machine_and_every_case(suite_result):
    results = {"machine": suite_result["machine"], "settings": suite_result["settings"],
               "command": "python benchmarks/run.py --quick",
               "modes": {"fresh": {"cases": suite_result["cases"],
                                   "goals": goal_checks.evaluate(suite_result["cases"], "cpu"),
                                   "load_average": [1.0, 1.0, 1.0]}}}
    text = markdown(results)
    assert suite_result["machine"]["cpu_model"] in text
    assert "python benchmarks/run.py --quick" in text
    for label in ("relu", "mish", "softmax", "swiglu"):
        assert f"| {label} |" in text


def _case(label, times, piecewise=False, saved=None, native_fraction=0.9):
    impls = {}
    for impl, (fwd, fb) in times.items():
        impls[impl] = {
            "forward": {"median": fwd, "noise": 0.02, "fraction_of_copy": native_fraction},
            "forward_backward": {"median": fb, "noise": 0.02,
                                 "fraction_of_copy": native_fraction},
            "saved_bytes_per_element": (saved or {}).get(impl, 4.0),
        }
    return {"label": label, "implementations": impls, "piecewise_linear": piecewise,
            "element_size": 4}


def test_goal_checks_on_constructed_results():
    cases = [
        _case("fast", {"native": (2.0, 4.0), "auto": (1.0, 2.0)}),
        _case("slow", {"native": (1.0, 1.0), "auto": (2.0, 1.01)}),
        _case("zoo", {"reference": (3.0, 9.0), "auto": (1.0, 3.0)}),
        _case("mask", {"native": (1.0, 1.0), "auto": (1.0, 1.0)}, piecewise=True,
              saved={"auto": 4.0}),
        _case("laggard", {"native": (1.0, 3.0), "fused": (0.9, 1.5), "auto": (1.0, 3.0)},
              native_fraction=0.1),
    ]
    result = goal_checks.evaluate(cases, "cpu")
    rows = {(r["case"], r["pass"]): r["status"] for r in result["rows"]["as_fast_as_native"]}
    assert rows[("fast", "forward")] == "met"
    assert rows[("slow", "forward")] == "missed"
    assert rows[("slow", "forward_backward")] == "within noise"  # 1.01 vs 1.00, 2 % noise
    zoo = {r["pass"]: r["status"] for r in result["rows"]["faster_than_reference"]}
    assert zoo == {"forward": "met", "forward_backward": "met"}
    memory = {(r["case"], r["impl"], r["limit"]): r["status"]
              for r in result["rows"]["saved_memory"]}
    assert memory[("mask", "auto", 1.0)] == "missed"  # piecewise linear: 1 byte at most
    assert memory[("mask", "auto", 4)] == "met"  # and one tensor at most for everything
    assert memory[("fast", "auto", 4)] == "met" and ("fast", "auto", 1.0) not in memory
    masked = _case("masked", {"native": (1.0, 1.0), "memory": (1.0, 1.2), "auto": (1.0, 1.0)},
                   piecewise=True, saved={"memory": 1.0, "auto": 4.0})
    rows = goal_checks.evaluate([masked], "cpu")["rows"]
    assert {(r["impl"], r["status"]) for r in rows["saved_memory"]} == {("auto", "met"),
                                                                         ("memory", "met")}
    # memory at 1/1.2 = 0.83 of native's speed: under the 0.9 goal.
    assert [r["status"] for r in rows["memory_speed"]] == ["missed"]
    (slow_native,) = result["rows"]["beats_slow_native"]
    assert slow_native["case"] == "laggard" and slow_native["best"] == "fused"
    assert slow_native["status"] == "met"  # 3.0 / 1.5 = 2×
    assert result["slow_natives"] == ["laggard"]
    gpu = goal_checks.evaluate(cases, "cuda")["rows"]["gpu_bandwidth"]
    assert {r["status"] for r in gpu if r["case"] == "laggard"} == {"missed"}


def test_reused_mode_sets_glibc_to_keep_freed_memory():
    env = allocator_env("reused")
    assert env["MALLOC_MMAP_MAX_"] == "0"
    assert "glibc.malloc.mmap_max=0" in env["GLIBC_TUNABLES"]
    assert not set(REUSED_ALLOCATOR_ENV) & set(allocator_env("fresh"))
    with pytest.raises(ActlabError, match="unknown allocator mode 'huge'"):
        allocator_env("huge")


def test_runner_measures_each_mode_in_fresh_processes(tmp_path, monkeypatch):
    from kernel_suite import runner

    monkeypatch.setattr(runner, "CASES_PER_PROCESS", 1)  # one interpreter per case
    settings = SuiteSettings(**TINY, only=("leaky_relu", "relu6"))
    lines: list[str] = []
    results = run_benchmarks(settings, output_dir=tmp_path, name="t", progress=lines.append)
    assert set(results["modes"]) == {"fresh", "reused"}
    assert "reused [2/2] relu6" in lines and "fresh [1/2] leaky_relu" in lines
    stored = json.loads((tmp_path / "t.json").read_text())
    assert [c["label"] for c in stored["modes"]["reused"]["cases"]] == ["leaky_relu", "relu6"]
    for mode in ("fresh", "reused"):  # each subprocess ran with its mode's environment
        assert stored["modes"][mode]["allocator_seen_by_subprocess"] == mode
    assert stored["machine"]["torch_version"]
    text = (tmp_path / "t.md").read_text()
    assert "## Allocator: fresh" in text and "## Allocator: reused" in text
    assert "MALLOC_MMAP_MAX_=0" in text


def _run_py(args: list[str]):
    return CliRunner().invoke(bench_command, args, prog_name="python benchmarks/run.py")


def test_run_py_writes_json_and_markdown(tmp_path):
    result = _run_py(["--quick", "--only", "relu", "--size", str(SMALL), "--repeats", "1",
                      "--allocator", "fresh", "--device", "cpu",
                      "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cpu-quick.json").is_file() and (tmp_path / "cpu-quick.md").is_file()
    assert "wrote" in result.output
    stored = json.loads((tmp_path / "cpu-quick.json").read_text())
    assert stored["command"].startswith("python benchmarks/run.py --quick --only relu")


@pytest.mark.parametrize(("args", "message"), [
    (["--only", "nosuch"], "unknown activation 'nosuch'"),
    (["--size", "10"], "--size must be at least 2048"),
    (["--repeats", "0"], "--repeats must be at least 1"),
    (["--device", "tpu"], "unknown device 'tpu'"),
])
def test_run_py_bad_input_raises_one_clear_error(args, message, tmp_path):
    result = _run_py(["--quick", "--output", str(tmp_path), *args])
    assert isinstance(result.exception, ActlabError)
    assert message in str(result.exception) and "\n" not in str(result.exception)


def test_run_py_refuses_a_gpu_that_is_not_there(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    result = _run_py(["--device", "cuda", "--output", str(tmp_path)])
    assert isinstance(result.exception, ActlabError)
    assert "no CUDA GPU" in str(result.exception)


def test_benchmarks_run_py_reports_errors_in_one_line(capsys):
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"
    spec = importlib.util.spec_from_file_location("benchmarks_run", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--only", "nosuch", "--quick"]) == 1
    assert "unknown activation 'nosuch'" in capsys.readouterr().err
