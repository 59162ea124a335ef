"""Text a user can type into a name or a formula: every bad one is a clear ActlabError, fast.

Each group is one class of input that used to escape as a Python traceback (OverflowError,
AssertionError, TypeError, rich's MarkupError) or to run for minutes (SymPy's solve, exact
powers of powers); the identity and where(x == x, ...) used to be refused.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import actlab
from actlab.catalog.expression import MAX_LENGTH
from actlab.cli import main
from actlab.errors import ActlabError, ExpressionError, ParameterError

HUGE = "9" * 400  # no float holds it: float(int(HUGE)) raises OverflowError
F64 = torch.float64


@pytest.mark.parametrize("text", [
    f"x*{HUGE}", f"x + {HUGE}.0", "x*1e400", f"leaky_relu({HUGE})", f"leaky_relu(-{HUGE})",
    f"leaky_relu(negative_slope={HUGE})", f"leaky_relu:negative_slope={HUGE}",
    f"keras:leaky_relu:negative_slope=-{HUGE}.5", f"a*x; a={HUGE}", f"a*x; a=-{HUGE}",
    "elu(alpha=1e999)", f"softmax(dim={HUGE})", "celu(1e309)",
])
def test_numbers_too_large_for_a_float_are_refused(text):
    with pytest.raises(ActlabError, match="finite|too large|between"):
        actlab.resolve(text).bind()


@pytest.mark.parametrize("value", [math.inf, -math.inf, 1e999, 10**400])
def test_infinite_parameters_are_refused_everywhere(value):
    with pytest.raises(ParameterError, match="finite"):
        actlab.resolve("leaky_relu").bind({"negative_slope": value})
    with pytest.raises(ParameterError, match="finite"):
        actlab.get("elu", alpha=value)
    with pytest.raises(ExpressionError, match="finite"):
        actlab.expression("a*x", a=value)


@pytest.mark.parametrize("text", [
    "leaky_relu(1), (2)", "leaky_relu(1)(2)", "leaky_relu(1, negative_slope=2)",
    "leaky_relu(negative_slope=1, negative_slope=2)", "leaky_relu(*[1])",
    "leaky_relu(**{'negative_slope': 1})", "leaky_relu:**{'negative_slope': 1}",
    "leaky_relu:negative_slope=1), (2", "a*x; **{'a': 1}", "a*x; a=1), (b=2",
    "a*x; a=1, a=2", "a*x; 2", "a*x; a=__import__('os')", "leaky_relu(lambda: 1)",
])
def test_malformed_parameter_text_is_refused(text):
    with pytest.raises(ActlabError, match="parameter|cannot read|twice|positional|not valid"):
        actlab.resolve(text).bind()


@pytest.mark.parametrize("text", [
    "a*x; a=1" + ", b=1" * 20_000,             # 100,000 characters after ';'
    "leaky_relu(" + "1," * 50_000 + ")",        # inside name(...)
    "leaky_relu:negative_slope=" + "1" * 100_000,
    "x" + "+x" * 50_000,                         # the formula itself
    "(" * 100_000 + "x" + ")" * 100_000,
])
def test_long_text_is_refused_before_it_is_parsed(text):
    with pytest.raises(ActlabError, match="too long") as info:
        actlab.resolve(text)
    assert len(str(info.value)) < 200  # the text is not echoed back


def test_formula_length_is_checked_by_the_python_api_too():
    with pytest.raises(ExpressionError, match="too long"):
        actlab.expression("x" + "+x" * MAX_LENGTH)


def test_the_identity_formula_is_accepted():
    x = torch.linspace(-3, 3, 13, dtype=F64)
    for text in ("x", " x ", "where(x == x, x, 0)"):
        module = actlab.get(text)
        torch.testing.assert_close(module(x), x)
    spec = actlab.expression("x")
    torch.testing.assert_close(spec.derivative(x), torch.ones_like(x))
    assert spec.properties.monotonic and spec.properties.output_range == (-math.inf, math.inf)


# A hang guard, not a speed check: these used to run for minutes (a thread, not SIGALRM,
# which the formula time limit uses).
@pytest.mark.timeout(120, method="thread")
@pytest.mark.parametrize("formula, message", [
    ("((((9**64)**64)**64)**64)**64", "too large"),
    ("x*((((9**64)**-64)**64)**64)", "too small"),
    ("x + 2**64**64", "too large|exponents"),
    ("x*exp(exp(exp(exp(10))))", "too large"),
    ("x*sinh(10**5)", "too large"),
    ("x + log(-1)", "not a real number"),
    ("x + sqrt(-2)", "not a real number"),
])
def test_constants_are_bounded_by_a_float_before_sympy_computes_them(formula, message):
    with pytest.raises(ExpressionError, match=message):
        actlab.expression(formula)


@pytest.mark.timeout(120, method="thread")
def test_kinks_of_a_cubic_condition_are_found_numerically():
    # SymPy's solve took minutes on |x^3 - x| = 1; the kinks are the real roots of
    # x^3 - x - 1 and x^3 - x + 1 (numpy's companion-matrix roots as the reference).
    spec = actlab.expression("where(abs(x**3 - x) > 1, x, 0)")
    expected = sorted(r.real for c in (-1, 1) for r in np.roots([1, 0, -1, c])
                      if abs(r.imag) < 1e-12)
    kinks = [k for k in spec.kinks if abs(abs(k**3 - k) - 1) < 1e-9]
    assert len(kinks) == 2
    np.testing.assert_allclose(kinks, expected, rtol=1e-12)  # bisection to the last bits
    assert spec.properties.smoothness == -1


def test_linear_conditions_still_give_exact_kinks():
    assert actlab.expression("where(x > 0.3, x, 0)").kinks == (0.3,)
    assert actlab.expression("where(2*x < -1, 0, x)").kinks == (-0.5,)
    assert actlab.expression("abs(x - a)", a=2.0).kinks == (2.0,)


def test_rich_markup_in_user_text_is_printed_not_obeyed():
    runner = CliRunner()
    for text in ("x+1 # [/bold]", "x + 1 # [red]not red[/red] [link=file:///etc]"):
        result = runner.invoke(main, ["show", text])
        assert result.exit_code == 0, result.output
        assert "[/bold]" in result.output or "[red]" in result.output


@pytest.mark.parametrize("text", [
    f"x*{HUGE}", f"leaky_relu({HUGE})", f"leaky_relu:negative_slope={HUGE}",
    f"a*x; a={HUGE}", "leaky_relu(1), (2)", "a*x; **{'a':1}", "a*x; a=1" + ", b=1" * 20_000,
    "leaky_relu(1e999)", "x\n+\nbad name",
])
def test_cli_refuses_in_one_line(text):
    result = CliRunner().invoke(main, ["show", text])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output


@pytest.mark.timeout(120, method="thread")
def test_sympy_work_on_one_formula_has_a_time_limit(monkeypatch):
    import signal

    from actlab.catalog.time_budget import VARIABLE

    # The second derivative of erf nested 62 times takes SymPy many seconds.
    nested = "erf(" * 62 + "x" + ")" * 62
    monkeypatch.setenv(VARIABLE, "0.5")
    before = signal.getsignal(signal.SIGALRM)
    with pytest.raises(ExpressionError, match=r"takes longer than 0.5 s.*ACTLAB_FORMULA_SECONDS"):
        actlab.expression(nested)
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    actlab.expression("x*tanh(x) + 0.5")  # small formulas fit easily
    monkeypatch.setenv(VARIABLE, "never")
    with pytest.raises(ExpressionError, match="ACTLAB_FORMULA_SECONDS must be"):
        actlab.expression("x*tanh(x) + 0.25")
