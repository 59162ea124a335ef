"""Specs a user made pickle by value: a module built from one loads in a fresh process.

A built-in spec pickles as its name and a formula as its text; a spec registered with
actlab.register (functions and all) travels whole, so `torch.save` / `torch.load` in
another process and spawned study workers can use it. The fresh process here is a real
`python` subprocess that never registered anything.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

import actlab
from actlab import ActivationSpec, Param, Properties
from actlab.catalog.registry import is_builtin, registry, user_specs

LOAD_AND_APPLY = textwrap.dedent("""
    import sys, torch, actlab
    module = torch.load(sys.argv[1], weights_only=False)
    x = torch.load(sys.argv[2])
    torch.save(module(x), sys.argv[3])
    print(repr(module))
    print("registered" if sys.argv[4] in actlab.names() else "unregistered")
""")


def _bent(name: str) -> ActivationSpec:
    # Lambdas: nothing a fresh process could import by name.
    return ActivationSpec(
        name=name, family="user", summary="x + k|x|", latex=r"f(x) = x + k|x|",
        forward=lambda x, k: x + k * x.abs(),
        derivative=lambda x, k: 1 + k * torch.sign(x),
        params=(Param("k", 0.5, "weight of |x|"),),
        properties=Properties((-float("inf"), float("inf")), smoothness=0))


def _apply_in_fresh_process(module: torch.nn.Module, x: torch.Tensor, name: str,
                            tmp_path: Path) -> tuple[torch.Tensor, str]:
    torch.save(module, tmp_path / "module.pt")
    torch.save(x, tmp_path / "x.pt")
    done = subprocess.run([sys.executable, "-c", LOAD_AND_APPLY, str(tmp_path / "module.pt"),
                           str(tmp_path / "x.pt"), str(tmp_path / "y.pt"), name],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return torch.load(tmp_path / "y.pt"), done.stdout


@pytest.fixture
def registered_spec():
    spec = actlab.register(_bent("bent_by_value"))
    yield spec
    registry().unregister("bent_by_value")


def test_a_registered_spec_survives_torch_save_and_load_in_a_fresh_process(
        registered_spec, tmp_path: Path):
    module = actlab.get("bent_by_value", k=0.25)
    x = torch.linspace(-2, 2, 9)
    y, printed = _apply_in_fresh_process(module, x, "bent_by_value", tmp_path)
    torch.testing.assert_close(y, x + 0.25 * x.abs(), rtol=0, atol=0)  # same float ops
    assert "k=0.25" in printed and "registered" in printed.split()


def test_a_spec_that_was_never_registered_travels_too(tmp_path: Path):
    module = actlab.get(_bent("bent_unregistered"))
    x = torch.linspace(-2, 2, 9)
    y, printed = _apply_in_fresh_process(module, x, "bent_unregistered", tmp_path)
    torch.testing.assert_close(y, x + 0.5 * x.abs(), rtol=0, atol=0)
    assert printed.split()[-1] == "registered"  # its name is free in the fresh process


def test_a_formula_survives_torch_save_and_load_in_a_fresh_process(tmp_path: Path):
    module = actlab.get("x*sigmoid(b*x); b=1.5")
    x = torch.linspace(-3, 3, 13)
    y, _ = _apply_in_fresh_process(module, x, "-", tmp_path)
    torch.testing.assert_close(y, module(x), rtol=0, atol=0)


def test_built_in_specs_still_pickle_by_name(registered_spec):
    relu = actlab.spec("relu")
    assert is_builtin(relu) and not is_builtin(registered_spec)
    assert pickle.loads(pickle.dumps(relu)) is relu
    assert len(pickle.dumps(relu)) < 200  # a reference, not the functions
    assert registered_spec in user_specs() and relu not in user_specs()
    clone = pickle.loads(pickle.dumps(registered_spec))
    assert clone.name == "bent_by_value" and clone is not registered_spec
    x = torch.randn(7)
    torch.testing.assert_close(clone.forward(x, k=0.5), registered_spec.forward(x, k=0.5))
