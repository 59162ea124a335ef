"""The shipped examples (examples/), cut to a few steps: they load, run and report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from actlab.report.study_report import write_study_report
from actlab.studies import SerialExecutor, load_study_results, load_study_spec, run_study

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SRC = Path(__file__).resolve().parents[2] / "src"
QUIET_PROBES = {"gradient_every": 1, "activation_every": 1, "tensorboard": False}


def _run(spec, folder: Path):
    run = run_study(spec, folder, executor=SerialExecutor(), progress=False)
    assert run.complete, run.summary()
    report = write_study_report(folder)
    return load_study_results(folder), report.markdown.read_text()


def test_the_tiny_bert_example_swaps_its_gelus(tmp_path: Path):
    transformers = pytest.importorskip("transformers")
    spec = load_study_spec(EXAMPLES / "bert_gelu_swap" / "study.toml").with_overrides(
        activations=["gelu", "relu"], seeds=[0], steps=3,
        dataset_options={"train": 64, "test": 32})
    results, markdown = _run(spec, tmp_path)
    gelu, relu = results.models
    # transformers' two feed-forward GELUActivation modules became actlab's, the pooler's
    # tanh stayed: three sites, the last one torch's
    assert [s["type"].split("(")[0] for s in relu["sites"]] == [
        "actlab:relu", "actlab:relu", "torch.nn.Tanh"]
    config = transformers.BertConfig(vocab_size=12, hidden_size=32, num_hidden_layers=2,
                                     num_attention_heads=2, intermediate_size=64,
                                     max_position_embeddings=32, num_labels=2)
    expected = sum(p.numel() for p in
                   transformers.BertForSequenceClassification(config).parameters())
    assert gelu["parameters"] == relu["parameters"] == expected
    assert results.records[0].result["dataset"]["input_shape"] == [17]  # [CLS] + 16 tokens
    assert "## Model" in markdown and f"| relu | {expected:,} | 3 |" in markdown


def test_the_resnet_example_trains_on_fashion_mnist(tmp_path: Path, shared_data_dir: Path):
    transformers = pytest.importorskip("transformers")
    spec = load_study_spec(EXAMPLES / "resnet_fashion_mnist.toml").with_overrides(
        activations=["relu", "elu"], seeds=[0], steps=2,
        training={"train_samples": 128, "test_samples": 64})
    import dataclasses

    spec = dataclasses.replace(spec, data_dir=str(shared_data_dir),
                               probes={**spec.probes, **QUIET_PROBES})
    results, markdown = _run(spec, tmp_path)
    config = transformers.ResNetConfig(num_channels=1, num_labels=10, embedding_size=16,
                                       hidden_sizes=[16, 32], depths=[1, 1],
                                       layer_type="basic")
    model = transformers.ResNetForImageClassification(config)
    relus = sum(isinstance(m, torch.nn.ReLU) for m in model.modules())
    expected = sum(p.numel() for p in model.parameters())
    relu, elu = results.models
    assert relu["parameters"] == elu["parameters"] == expected
    assert len(elu["sites"]) == relus and all(s["type"].startswith("actlab:elu")
                                              for s in elu["sites"])
    for record in results.records:
        assert record.result["dataset"]["input_shape"] == [1, 28, 28]
        assert record.result["activations"]  # the probes saw the swapped sites
    assert "transformers:ResNetForImageClassification" in markdown


def test_the_own_model_example_runs_from_its_spec(tmp_path: Path):
    spec = load_study_spec(EXAMPLES / "my_study.toml").with_overrides(
        activations=["relu", "tanh"], seeds=[0], epochs=1)
    assert spec.model == f"{EXAMPLES / 'mymodels.py'}:tiny_net"
    results, markdown = _run(spec, tmp_path)
    assert results.count("finished") == 2
    assert "| relu | 1,251 | 2 |" in markdown  # 2*32+32 + 32*32+32 + 32*3+3 parameters


def test_the_swap_report_script_prints_what_it_replaced():
    pytest.importorskip("transformers")
    env = {"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, str(EXAMPLES / "bert_gelu_swap" / "swap_report.py")],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert "replaced 2 activation sites" in done.stdout
    assert "bert.pooler.activation: torch.nn.Tanh (not selected by `where`)" in done.stdout
    assert "finite: True" in done.stdout
