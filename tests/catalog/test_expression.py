"""Custom activations from a formula: exact, safe, and usable wherever a name is."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest
import torch
from click.testing import CliRunner

import actlab
from actlab.cli import main
from actlab.errors import ExpressionError

F64 = torch.float64


def test_quick_gelu_formula_matches_its_closed_form_and_derivatives():
    spec = actlab.expression("x*sigmoid(1.702*x)")
    x = torch.linspace(-6, 6, 241, dtype=F64)
    s = torch.sigmoid(1.702 * x)
    torch.testing.assert_close(spec.forward(x), x * s)
    first = s + 1.702 * x * s * (1 - s)
    torch.testing.assert_close(spec.derivative(x), first)
    h = 1e-5
    fd2 = (spec.derivative(x + h) - spec.derivative(x - h)) / (2 * h)
    torch.testing.assert_close(spec.second_derivative(x), fd2, rtol=1e-6, atol=1e-7)


def test_parameters_and_piecewise_formulas():
    spec = actlab.expression("where(x > 0, x, a*(exp(x) - 1))", a=1.5)
    x = torch.linspace(-4, 4, 81, dtype=F64)
    torch.testing.assert_close(spec.forward(x, a=1.5), torch.nn.functional.elu(x, 1.5))
    xg = x.clone().requires_grad_()
    torch.nn.functional.elu(xg, 1.5).sum().backward()
    keep = x != 0
    torch.testing.assert_close(spec.derivative(x, a=1.5)[keep], xg.grad[keep])
    assert spec.kinks == (0.0,)
    assert spec.properties.smoothness == 0
    assert spec.properties.output_range[0] == pytest.approx(-1.5, abs=1e-6)
    assert "cases" in spec.latex


def test_latex_comes_from_sympy():
    assert actlab.expression("x**2").latex == "f(x) = x^{2}"
    assert r"\tanh" in actlab.expression("x*tanh(softplus(x))").latex


def test_a_formula_is_usable_wherever_a_name_is():
    x = torch.linspace(-3, 3, 13, dtype=F64, requires_grad=True)
    module = actlab.get("x**2")
    y = module(x)
    torch.testing.assert_close(y, x.detach() ** 2)
    y.sum().backward()
    torch.testing.assert_close(x.grad, 2 * x.detach())
    torch.testing.assert_close(actlab.functional.call("x*tanh(x)", x.detach()),
                               x.detach() * torch.tanh(x.detach()))
    assert actlab.get("where(x > 0, x, a*x); a=0.2")(torch.tensor([-1.0])).item() == \
        pytest.approx(-0.2)


def test_formula_parameters_can_be_learned():
    module = actlab.get("x*sigmoid(b*x); b=1.0", trainable=True).double()
    x = torch.linspace(-2, 2, 9, dtype=F64)
    b = torch.tensor(1.0, dtype=F64, requires_grad=True)
    (g_ref,) = torch.autograd.grad((x * torch.sigmoid(b * x)).sum(), b)
    (g_ours,) = torch.autograd.grad(module(x).sum(), module.b)
    torch.testing.assert_close(g_ours.sum(), g_ref)


@pytest.mark.parametrize(("formula", "message"), [
    ('__import__("os").system("echo hacked")', "not allowed|unknown function"),
    ("x.__class__.__bases__", "attribute access"),
    ("(lambda: 1)()", "lambda|unknown function"),
    ("[x for x in ()]", "comprehension"),
    ("open('/etc/passwd')", "unknown function 'open'"),
    ("exec('1')", "unknown function 'exec'"),
    ("x +", "not valid"),
    ("", "non-empty"),
    ("y * x", "unknown name 'y'"),
    ("x > 0", "condition"),
    ("9**9**9**9", "exponents are limited"),
    ("log(x)", "not finite"),
    ("1/x", "not finite"),
    ("exp(x)" + "+x" * 300, "too long"),
    ("tanh(x, 2)", "takes 1 argument"),
    ("where(x, 1, 0)", "comparison"),
    ("'abc'", "not a number"),
])
def test_broken_or_unsafe_formulas_are_refused_clearly(formula, message):
    with pytest.raises(ExpressionError, match=message):
        actlab.expression(formula)


def test_a_formula_never_runs_code(tmp_path):
    marker = tmp_path / "ran"
    formula = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    with pytest.raises(ExpressionError):
        actlab.get(formula)
    assert not marker.exists()


def test_unused_or_bad_parameter_names():
    with pytest.raises(ExpressionError, match="does not use"):
        actlab.expression("x**2", a=1.0)
    with pytest.raises(ExpressionError, match="cannot be a parameter"):
        actlab.expression("x*exp", exp=1.0)
    with pytest.raises(ExpressionError, match="finite number"):
        actlab.expression("a*x", a=math.inf)


def test_cli_show_accepts_a_formula_and_reports_errors_in_one_line():
    runner = CliRunner()
    result = runner.invoke(main, ["show", "x*sigmoid(1.702*x)"])
    assert result.exit_code == 0
    assert r"\sigma" in result.output
    bad = runner.invoke(main, ["show", "x.__class__"])
    assert bad.exit_code == 1
    assert bad.output.count("\n") == 1 and bad.output.startswith("error:")


def test_cli_error_has_no_traceback_in_a_real_process():
    env = dict(os.environ, KERAS_BACKEND="torch")
    proc = subprocess.run([sys.executable, "-m", "actlab.cli", "show", "leaky_reluu"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: unknown activation 'leaky_reluu'; did you mean "
                                  "'leaky_relu'")
    assert proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr
