"""`actlab theory` and `actlab propagate` through click's CliRunner, error paths included."""

from __future__ import annotations

import json
import math

import pytest
import torch
from click.testing import CliRunner

from actlab.cli import main


@pytest.fixture
def runner():
    return CliRunner()


def test_theory_text(runner):
    result = runner.invoke(main, ["theory", "tanh", "--sigma-w2", "1.5", "--sigma-b2", "0.05"])
    assert result.exit_code == 0, result.output
    lines = {line.split("  ")[0]: line for line in result.output.splitlines()}
    assert "1.76095 at σ_b² = 0.05" in lines["critical σ_w²"]
    assert lines["phase"].split()[1] == "ordered"  # σ_w² = 1.5 < 1.76 at σ_b² = 0.05
    assert "PyTorch's 5/3" in result.output and "1.66667" in result.output


def test_theory_json(runner):
    result = runner.invoke(main, ["theory", "relu", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    # Default point: the recommended init, He (σ_w² = 2), at the ReLU critical line.
    assert data["sigma_w2"] == pytest.approx(2.0)
    mf = data["mean_field"]
    assert mf["chi_1"] == pytest.approx(1.0, rel=1e-12)
    assert mf["critical_sigma_w2"] == pytest.approx(2.0, rel=1e-9)
    assert mf["phase"] == "critical"
    init = data["initialisation"]
    assert init["init"] == "he_normal"
    assert init["variance_preserving_gain"] == pytest.approx(torch.nn.init.calculate_gain("relu"))
    assert data["self_normalisation"]["self_normalising"] is False


def test_theory_selu_is_self_normalising(runner):
    data = json.loads(runner.invoke(main, ["theory", "selu", "--json"]).output)
    assert data["self_normalisation"]["self_normalising"] is True
    assert data["self_normalisation"]["spectral_radius"] == pytest.approx(0.782648, abs=1e-6)
    assert data["initialisation"]["init"] == "lecun_normal"


def test_theory_phase_diagram_file(runner, tmp_path):
    path = tmp_path / "tanh.png"
    result = runner.invoke(main, ["theory", "tanh", "--phase-diagram", str(path)])
    assert result.exit_code == 0, result.output
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "written to" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["theory", "tanhh"], "unknown activation 'tanhh'"),
    (["theory", "softmax"], "elementwise"),
    (["theory", "exp(x**2)"], "not finite"),
    (["theory", "tanh", "--sigma-w2", "-1"], "σ_w²"),
    (["theory", "tanh", "--phase-diagram", "out.txt"], "cannot tell the figure format"),
    (["propagate", "softmax", "--depth", "2", "--width", "8"], "elementwise"),
    (["propagate", "binary_step", "--init", "critical", "--depth", "2", "--width", "8"],
     "no order-to-chaos transition"),
    (["propagate", "exponential", "--sigma-w2", "5000", "--depth", "2", "--width", "8"],
     "diverges"),
    (["propagate", "tanh", "--alpha-dropout", "1.5", "--depth", "2", "--width", "8"],
     "alpha-dropout"),
])
def test_errors_are_one_line(runner, tmp_path, args, message):
    if args[0] == "propagate":
        args = [*args, "--output", str(tmp_path)]
    result = runner.invoke(main, args)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], lines


def test_propagate_usage_error(runner):
    result = runner.invoke(main, ["propagate", "tanh", "--init", "xavier_magic"])
    assert result.exit_code == 2
    assert "xavier_magic" in result.output


def test_propagate_writes_plot_data_and_summary(runner, tmp_path):
    result = runner.invoke(main, ["propagate", "selu", "relu", "--depth", "6", "--width", "300",
                                  "--pairs", "4", "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "propagation.png").read_bytes()[:4] == b"\x89PNG"
    data = json.loads((tmp_path / "propagation.json").read_text())
    rows = {r["activation"]: r for r in data["summary"]}
    assert rows["relu"]["forward"] == "vanishes"  # q⁶/q¹ = 1/32 < 1/10
    theory = data["layers"]["relu"]["theory"]["pre_second_moment"]
    # ReLU with lecun_normal: q^l = q¹ / 2^(l−1).
    assert theory == pytest.approx([2.0 ** -layer for layer in range(6)], rel=1e-12)
    assert "kept: the last layer's value is within a factor 10" in result.output
    assert "selu" in result.output and "relu" in result.output


def test_propagate_json(runner, tmp_path):
    result = runner.invoke(main, ["propagate", "sigmoid", "--depth", "8", "--width", "200",
                                  "--pairs", "4", "--output", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    row = json.loads(result.output)["summary"][0]
    assert row["backward"] == "vanishes" and row["inputs"] == "collapsed"
    assert math.isfinite(row["gradient_ratio"])
