"""Property tests: random formulas and random text give a spec or an ActlabError, quickly.

Hypothesis writes expression trees from the formula grammar (every allowed function,
operator and comparison, with numbers from tiny to beyond a float's range) and free text
from the characters a name or formula uses. Whatever it writes, actlab either builds a
spec that evaluates, or raises its own error; it never raises another exception and never
runs for long (the deadline is a hang guard: a spec takes well under a second to build).
Set ACTLAB_HYPOTHESIS_EXAMPLES for a longer search.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import actlab
from actlab.catalog.expression import FUNCTIONS
from actlab.errors import ActlabError

EXAMPLES = int(os.environ.get("ACTLAB_HYPOTHESIS_EXAMPLES", "150"))
PROPERTY_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=timedelta(seconds=30), database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

NUMBERS = st.one_of(
    st.integers(-10, 10).map(str),
    st.integers(1, 400).map(lambda digits: "9" * digits),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["1e308", "1e-308", "1e999", "0.5", "0", "64", "65", "pi", "e"]),
)
LEAVES = st.one_of(st.just("x"), st.just("x"), NUMBERS, st.just("a"))
UNARY = sorted(name for name, (arity, _) in FUNCTIONS.items() if arity == 1)
BINARY = ["+", "-", "*", "/", "**"]
COMPARE = [">", ">=", "<", "<=", "==", "!="]


def _formulas(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(lambda f, a: f"{f}({a})", st.sampled_from(UNARY), children),
        st.builds(lambda a, op, b: f"({a}){op}({b})", children, st.sampled_from(BINARY),
                  children),
        st.builds(lambda a: f"-({a})", children),
        st.builds(lambda f, a, b: f"{f}({a}, {b})",
                  st.sampled_from(["max", "min", "maximum", "minimum"]), children, children),
        st.builds(lambda a, lo, hi: f"clip({a}, {lo}, {hi})", children, children, children),
        st.builds(lambda a, op, b, t, f: f"where(({a}) {op} ({b}), {t}, {f})", children,
                  st.sampled_from(COMPARE), children, children, children),
    )


FORMULAS = st.recursive(LEAVES, _formulas, max_leaves=12)


def _check_spec(spec: actlab.ActivationSpec, params: dict[str, float]) -> None:
    x = torch.linspace(-5, 5, 11, dtype=torch.float64)
    for fn in (spec.forward, spec.derivative, spec.second_derivative):
        assert fn(x, **params).shape == x.shape


@PROPERTY_SETTINGS
@given(FORMULAS, st.floats(-10, 10))
def test_random_formulas_build_or_raise_actlab_errors(formula, a):
    params = {"a": a} if re.search(r"\ba\b", formula) else {}
    try:
        spec = actlab.expression(formula, **params)
    except ActlabError:
        return
    _check_spec(spec, params)


TOKENS = list("xa01239e.+-*/^()[],;:=<> _'\"{}#\\\n") + [
    "relu", "leaky_relu", "keras", "torch", "exp", "where", "**", "1e999", "9" * 40,
    "negative_slope", "alpha", "softmax", "dim", "nn.", "F."]
TEXT = st.one_of(st.lists(st.sampled_from(TOKENS), max_size=24).map("".join),
                 st.text(max_size=40))


@PROPERTY_SETTINGS
@given(TEXT)
def test_random_text_resolves_or_raises_actlab_errors(text):
    try:
        resolved = actlab.resolve(text)
        resolved.bind(fill_examples=True)
    except ActlabError:
        return
