"""TensorBoard event files read back with TensorBoard's own reader; the JSON-lines record."""

from __future__ import annotations

import pytest

from actlab.training import ProbeConfig, TrialConfig, TrialResult, read_metrics, run_trial

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


@pytest.fixture(scope="module")
def logged_trial(tmp_path_factory, digits):
    out = tmp_path_factory.mktemp("trial")
    config = TrialConfig(dataset="digits", model="mlp", activation="relu", steps=40,
                         batch_size=64, device="cpu",
                         probes=ProbeConfig(eval_every=20, gradient_every=10,
                                            activation_every=20, histogram_every=20,
                                            probe_samples=50))
    return out, run_trial(config, output_dir=out, dataset=digits, progress=False)


def test_tensorboard_scalars_and_histograms_read_back(logged_trial):
    out, result = logged_trial
    acc = event_accumulator.EventAccumulator(
        str(out / "tensorboard"), size_guidance={event_accumulator.SCALARS: 0,
                                                 event_accumulator.HISTOGRAMS: 0})
    acc.Reload()
    tags = acc.Tags()
    for tag in ("train/loss", "train/accuracy", "test/loss", "test/accuracy", "train/lr",
                "gradients/hidden.0.weight/norm", "activations/act1/dead_fraction",
                "train/batch_loss"):
        assert tag in tags["scalars"], tag
    test_accuracy = acc.Scalars("test/accuracy")
    assert [e.step for e in test_accuracy] == [r.step for r in result.history] == [20, 40]
    assert [e.value for e in test_accuracy] == pytest.approx(result.series("test_accuracy"))
    norms = acc.Scalars("gradients/output.weight/norm")
    ours = [r.norm for r in result.gradients if r.parameter == "output.weight"]
    assert [e.step for e in norms] == [10, 20, 30, 40]
    assert [e.value for e in norms] == pytest.approx(ours, rel=1e-6)
    for tag in ("activations/act1", "gradients/hidden.0.weight", "weights/output.weight"):
        assert tag in tags["histograms"], tag
    histogram = acc.Histograms("activations/act1")[0]
    ours_hist = next(h for h in result.histograms if h.tag == "activations/act1")
    assert histogram.step == ours_hist.step == 0
    assert histogram.histogram_value.num == sum(ours_hist.counts)
    assert list(histogram.histogram_value.bucket) == ours_hist.counts


def test_metrics_file_has_every_record(logged_trial):
    out, result = logged_trial
    records = read_metrics(out / "metrics.jsonl")
    kinds = [r["type"] for r in records]
    assert kinds[0] == "config" and kinds[-1] == "result"
    assert [r["loss"] for r in records if r["type"] == "step_loss"] == result.step_losses
    evals = [r for r in records if r["type"] == "eval"]
    assert [e["test_accuracy"] for e in evals] == result.series("test_accuracy")
    assert sum(k == "gradient" for k in kinds) == len(result.gradients)
    assert sum(k == "activation" for k in kinds) == len(result.activations)
    assert {r["when"] for r in records if r["type"] == "predictions"} == {"before", "after"}


def test_result_file_round_trips(logged_trial):
    out, result = logged_trial
    assert TrialResult.load(out / "result.json") == result
