"""benchmarks/training_step.py runs end to end on tiny settings (structure only, no timings)."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="module")
def bench():
    import training_step  # benchmarks/ is on the path (conftest)

    return training_step


def test_batches_follow_actlab_order(bench):
    batches = bench.batch_indices(120, steps=5, seed=0, batch_size=50)
    assert [len(b) for b in batches] == [50, 50, 20, 50, 50]
    epoch = sorted(int(i) for b in batches[:3] for i in b)
    assert epoch == list(range(120))  # each epoch is a permutation of the examples


def test_tiny_run_reports_every_mode(bench, mnist, tmp_path):
    keras_available = bench.import_keras()[0] is not None
    lines: list[str] = []
    report = bench.measure(mnist, steps=5, rounds=1, warmup_steps=1, train_samples=500,
                           test_samples=500, device="cpu", log=lines.append)

    assert report["modes"] == ["plain", "actlab", "keras"]
    timed = ["plain", "actlab", "keras"] if keras_available else ["plain", "actlab"]
    for mode in timed:
        result = report["results"][mode]
        assert len(result["step_time_ms"]) == len(result["step_cpu_time_ms"]) == 1
        assert result["step_time_ms"][0] > 0 and result["step_cpu_time_ms"][0] > 0
        assert result["median_step_time_ms"] == result["step_time_ms"][0]
        assert result["fastest_step_time_ms"] == result["step_time_ms"][0]
    if not keras_available:
        assert "keras" in report["skipped"] and "skipped" in report["results"]["keras"]

    plain = report["results"]["plain"]["median_step_time_ms"]
    for mode in timed[1:]:
        ratio = report["throughput_ratio"][f"{mode}_vs_plain"]
        expected = plain / report["results"][mode]["median_step_time_ms"]
        assert ratio["median"] == pytest.approx(expected, rel=1e-3)
        assert ratio["fastest_round"] == pytest.approx(expected, rel=1e-3)
    goal = report["goal"]
    assert goal["median_ratio"] == report["throughput_ratio"]["actlab_vs_plain"]["median"]
    assert goal["met"] == (goal["median_ratio"] >= 0.95)
    assert report["results"]["actlab"]["last_run"]["gradient_records"] >= 0
    assert report["settings"]["steps"] == 5 and report["settings"]["train_samples"] == 500
    assert report["machine"]["load_average_at_start"] and report["machine"]["load_average_at_end"]
    assert any(line.startswith("round 1/1 actlab") for line in lines)

    json_path, md_path = bench.write_report(report, tmp_path / "training_step.json")
    assert json.loads(json_path.read_text())["benchmark"] == "training_step"
    text = md_path.read_text()
    assert "| plain |" in text and "| actlab |" in text and "goal" in text
