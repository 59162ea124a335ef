"""Finding activations called as functions inside `forward` (`F.relu(x)`, `x.sigmoid()`).

Such calls are not modules, so they cannot be swapped; a swap report lists them, with
the module whose `forward` makes the call and the file and line. Two ways to look, best
effort:

- with example inputs, one forward pass under a `TorchFunctionMode`, which sees every
  torch function the model calls, whatever its control flow;
- without, torch.fx's symbolic tracing (recognised activation modules are leaves); a
  model whose `forward` fx cannot trace (data-dependent control flow, as in most
  transformers models) is reported as not searched, with the reason.

Calls made inside activation modules (nn.ReLU's own `F.relu`) are not listed; calls
inside other library layers are (nn.MultiheadAttention's softmax, the ReLU that
nn.TransformerEncoderLayer calls as a function): those cannot be swapped either. fx keeps
torch.nn layers whole, so only a forward pass sees inside them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

from actlab.models.activation_modules import activation_kind

_FUNCTION_NAMES = ("relu", "relu_", "relu6", "elu", "elu_", "selu", "selu_", "celu",
                   "celu_", "leaky_relu", "leaky_relu_", "prelu", "rrelu", "rrelu_", "glu",
                   "gelu", "logsigmoid", "hardshrink", "tanhshrink", "softsign", "softplus",
                   "softmin", "softmax", "softshrink", "log_softmax", "tanh", "sigmoid",
                   "hardsigmoid", "silu", "mish", "hardswish", "hardtanh", "hardtanh_",
                   "threshold", "threshold_")
_TORCH_NAMES = ("relu", "relu_", "sigmoid", "sigmoid_", "tanh", "tanh_", "selu", "selu_",
                "celu", "celu_", "rrelu", "rrelu_", "prelu", "softmax", "log_softmax",
                "hardshrink", "threshold", "threshold_")
_METHOD_NAMES = ("relu", "relu_", "sigmoid", "sigmoid_", "tanh", "tanh_", "softmax",
                 "log_softmax", "hardshrink")


def _activation_functions() -> dict[Any, str]:
    """Each activation function object (and Tensor method) -> the name shown for it."""
    table: dict[Any, str] = {}
    for name in _FUNCTION_NAMES:
        if hasattr(F, name):
            table.setdefault(getattr(F, name), f"F.{name}")
    for name in _TORCH_NAMES:
        if hasattr(torch, name):
            table.setdefault(getattr(torch, name), f"torch.{name}")
    table.setdefault(torch.special.expit, "torch.special.expit")
    for name in _METHOD_NAMES:
        table.setdefault(getattr(torch.Tensor, name), f"Tensor.{name}")
    return table


_FUNCTIONS = _activation_functions()
_METHODS = {name: f"Tensor.{name}" for name in _METHOD_NAMES}


@dataclass(frozen=True)
class FunctionalCall:
    """An activation called as a function: which, in which module's forward, and where."""

    function: str
    module: str
    source: str

    def __str__(self) -> str:
        where = f"in {self.module or 'the model'}'s forward"
        return f"{self.function} {where}" + (f" ({self.source})" if self.source else "")

    def to_dict(self) -> dict[str, str]:
        return {"function": self.function, "module": self.module, "source": self.source}


@dataclass(frozen=True)
class FunctionalScan:
    """The functional activation calls found, and how the model was searched (or why not)."""

    calls: tuple[FunctionalCall, ...] = ()
    method: str = ""
    problem: str = ""

    @property
    def searched(self) -> bool:
        return bool(self.method)

    def summary(self) -> str:
        if not self.searched and not self.problem:
            return "functional activation calls: not searched"
        if not self.searched:
            return f"functional activation calls: not searched ({self.problem})"
        count = len(self.calls)
        return (f"functional activation calls (not swappable, found by {self.method}): "
                f"{count if count else 'none'}")

    def to_dict(self) -> dict[str, Any]:
        return {"calls": [c.to_dict() for c in self.calls], "method": self.method,
                "problem": self.problem}


def find_functional_calls(model: nn.Module,
                          example_inputs: Sequence[Any] | None = None) -> FunctionalScan:
    """The activations `model.forward` calls as functions (best effort, never raises)."""
    if example_inputs is not None:
        return _run_under_function_mode(model, tuple(example_inputs))
    return _trace_with_fx(model)


class _LeafTracer(torch.fx.Tracer):
    """torch.fx's tracer that keeps activation modules whole, whatever library they are from."""

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        return activation_kind(m) is not None or super().is_leaf_module(
            m, module_qualified_name)


def _trace_with_fx(model: nn.Module) -> FunctionalScan:
    tracer = _LeafTracer()
    try:
        graph = tracer.trace(model)
    except Exception as err:  # fx raises many kinds on untraceable code; all mean "cannot"
        reason = f"{type(err).__name__}: {err}".splitlines()[0][:160]
        return FunctionalScan(problem=f"torch.fx cannot trace this model ({reason}); give "
                                      f"example inputs to search a real forward pass")
    modules = dict(model.named_modules())
    calls = []
    for node in graph.nodes:  # leaves (activation modules) are call_module nodes: not here
        if node.op == "call_function" and node.target in _FUNCTIONS:
            name = _FUNCTIONS[node.target]
        elif node.op == "call_method" and node.target in _METHODS:
            name = _METHODS[node.target]
        else:
            continue
        stack = node.meta.get("nn_module_stack") or {}
        owner = next(reversed(stack.values()))[0] if stack else ""
        calls.append(FunctionalCall(name, owner, _user_source(model, owner, modules)))
    return FunctionalScan(tuple(calls), "torch.fx symbolic tracing")


def _user_source(model: nn.Module, owner: str, modules: dict[str, nn.Module]) -> str:
    """Where the owning module's forward is defined (fx keeps no call lines)."""
    forward = type(modules.get(owner, model)).forward
    code = getattr(forward, "__code__", None)
    if code is None:
        return ""
    return f"{_short_path(code.co_filename)}, {type(modules.get(owner, model)).__name__}.forward"


def _short_path(filename: str) -> str:
    try:
        relative = os.path.relpath(filename)
    except ValueError:  # another drive (Windows)
        return filename
    return filename if relative.startswith("..") else relative


_SKIPPED_FILES = (os.path.dirname(torch.__file__), os.path.dirname(os.path.dirname(__file__)))


class _CallSpy(TorchFunctionMode):
    """Records activation functions called while no activation module is running."""

    def __init__(self, stack: list[tuple[str, nn.Module]]) -> None:
        super().__init__()
        self.stack = stack
        self.calls: dict[tuple[str, str, str], FunctionalCall] = {}

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = _FUNCTIONS.get(func)
        if name is not None and not any(activation_kind(m) is not None
                                        for _, m in self.stack):
            owner = self.stack[-1][0] if self.stack else ""
            source = _caller_line()
            self.calls.setdefault((name, owner, source), FunctionalCall(name, owner, source))
        return func(*args, **(kwargs or {}))


def _caller_line() -> str:
    """`file:line in function` of the first frame outside torch and actlab."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_SKIPPED_FILES) and "<frozen" not in filename:
            return f"{_short_path(filename)}:{frame.f_lineno} in {frame.f_code.co_name}"
        frame = frame.f_back
    return ""


def _run_under_function_mode(model: nn.Module, inputs: tuple[Any, ...]) -> FunctionalScan:
    stack: list[tuple[str, nn.Module]] = []
    handles = []
    for name, module in model.named_modules():
        def enter(module_, args, name=name):
            stack.append((name, module_))

        def leave(module_, args, output):
            if stack:
                stack.pop()
        handles.append(module.register_forward_pre_hook(enter))
        handles.append(module.register_forward_hook(leave))
    spy = _CallSpy(stack)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), spy:
            model(*inputs)
    except Exception as err:  # the scan is best effort: say why it could not run
        reason = f"{type(err).__name__}: {err}".splitlines()[0][:160]
        return FunctionalScan(problem=f"the example forward pass failed ({reason})")
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return FunctionalScan(tuple(spy.calls.values()),
                          "a forward pass of example inputs under a torch function mode")
