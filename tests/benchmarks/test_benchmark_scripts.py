"""The per-call and training-loop benchmark scripts run end to end (tiny sizes), and
`actlab bench` prints committed results. Nothing here asserts a time."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import call_overhead
import training_loops
from actlab.cli import main


def test_call_overhead_times_every_variant_in_both_passes(tmp_path):
    assert call_overhead.main(["--sizes", "6", "10", "--only", "relu", "lisht", "--rounds",
                               "2", "--batch-ms", "0.2", "--output", str(tmp_path),
                               "--name", "t"]) == 0
    data = json.loads((tmp_path / "t.json").read_text())
    assert {(r["label"], r["numel"], r["pass"]) for r in data["results"]} == {
        (label, n, p) for label in ("relu", "lisht") for n in (64, 1024)
        for p in ("forward", "forward_backward")}
    for r in data["results"]:
        expected = {"native", "module", "functional"} | (
            {"memory"} if r["label"] == "relu" else set())
        assert set(r["variants"]) == expected and "errors" not in r
        assert all(v["median_s"] > 0 for v in r["variants"].values())
    text = (tmp_path / "t.md").read_text()
    assert data["machine"]["cpu_model"] in text
    assert "| relu |" in text and "| lisht* |" in text  # * : the composite is the baseline


def test_call_overhead_memory_variant_trains_from_a_mask():
    (case,) = [c for c in call_overhead.OVERHEAD if c.label == "relu6"]
    variants = call_overhead.variants(case)
    assert variants["module"].implementation.label == "native"
    assert variants["memory"].implementation.label == "fused(mask)"


def test_training_loops_time_each_variant(tmp_path):
    assert training_loops.main(["--only", "mlp", "--activations", "relu", "--variants",
                                "torch", "actlab", "memory", "--steps", "1",
                                "--rounds", "1", "--warmup", "0", "--output", str(tmp_path),
                                "--name", "t"]) == 0
    data = json.loads((tmp_path / "t.json").read_text())
    (result,) = data["results"]
    assert set(result["variants"]) == {"torch", "actlab", "memory"}
    assert result["variants"]["memory"]["implementation"] == "fused(mask)"
    assert result["variants"]["actlab"]["implementation"] == "native"
    assert "| mlp | relu |" in (tmp_path / "t.md").read_text()


def _bench(*args: str):
    return CliRunner().invoke(main, ["bench", *args])


def test_actlab_bench_prints_the_committed_per_call_results():
    result = _bench()
    assert result.exit_code == 0, result.output
    assert result.output.startswith("# Per-call cost of actlab activations")
    assert "Machine:" in result.output and "| relu |" in result.output


def test_actlab_bench_lists_and_prints_any_result(tmp_path):
    (tmp_path / "alpha.md").write_text("# alpha\n")
    (tmp_path / "beta.md").write_text("# beta\n")
    listed = _bench("--list", "--results", str(tmp_path))
    assert listed.exit_code == 0 and listed.output.split() == ["alpha", "beta"]
    shown = _bench("beta", "--results", str(tmp_path))
    assert shown.exit_code == 0 and shown.output == "# beta\n"


@pytest.mark.parametrize(("args", "message"), [
    (["nosuch"], "unknown benchmark result 'nosuch'"),
    (["alpah"], "did you mean 'alpha'"),
    (["--results", "/nonexistent/folder"], "no benchmark results at /nonexistent/folder"),
])
def test_actlab_bench_bad_input_prints_one_line(args, message, tmp_path):
    (tmp_path / "alpha.md").write_text("# alpha\n")
    if "--results" not in args:
        args = [*args, "--results", str(tmp_path)]
    result = _bench(*args)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.output


def test_compare_puts_two_runs_side_by_side(tmp_path, capsys):
    import compare_call_overhead

    def run(native_s: float, module_s: float) -> dict:
        return {"results": [
            {"label": "relu", "numel": n, "pass": "forward",
             "variants": {"native": {"min_s": native_s, "median_s": 1.0},
                          "module": {"min_s": module_s, "median_s": 1.0}}}
            for n in (64, 1 << 16)]}

    (tmp_path / "b.json").write_text(json.dumps(run(2e-6, 12e-6)))
    (tmp_path / "a.json").write_text(json.dumps(run(2e-6, 2.5e-6)))
    assert compare_call_overhead.main([str(tmp_path / "b.json"), str(tmp_path / "a.json"),
                                       "--pass", "forward"]) == 0
    out = capsys.readouterr().out
    # +10 µs before, +0.5 µs after at 64 elements; native/module as a ratio at 2^16.
    assert "| relu | +10.0 µs → +0.5 µs | 0.17× → 0.80× |" in out
