"""Finding and swapping the activations of any PyTorch model.

References: a copy of the model built with PyTorch's own activation modules in place
(what a swap must compute), transformers' own activation classes (what the catalog
equivalents must compute), and the lines of this file (where functional calls are).
"""

from __future__ import annotations

import copy
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import actlab
from actlab.errors import ParameterError
from actlab.layers import Activation
from actlab.models.activation_modules import activation_kind

# float32 forward passes of a few layers computed by two implementations of the same
# formula (actlab's kernels, PyTorch's modules): a few ulps of 1.2e-7 per layer.
FLOAT32_TOLERANCE = 1e-5


class BasicBlock(nn.Module):
    """torchvision's pattern: one in-place ReLU module called twice in forward."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + x)


class TinyResNet(nn.Module):
    """Nested blocks in Sequentials, a stem activation shared with the head."""

    def __init__(self, activation: type[nn.Module] = nn.ReLU) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), activation(inplace=True))
        self.layer1 = nn.Sequential(BasicBlock(4), BasicBlock(4))
        self.head_act = self.stem[1]  # one module registered under two names
        self.fc = nn.Linear(4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layer1(self.stem(x))
        return self.fc(self.head_act(x.mean(dim=(2, 3))))


def _replace_relus_with(model: nn.Module, make) -> nn.Module:
    """The reference: the same weights with PyTorch's own module at each ReLU."""
    reference = copy.deepcopy(model)
    shared = {}
    for name, module in list(reference.named_modules(remove_duplicate=False)):
        if isinstance(module, nn.ReLU):
            parent, _, attribute = name.rpartition(".")
            new = shared.setdefault(id(module), make())
            setattr(reference.get_submodule(parent), attribute, new)
    return reference


def test_a_torchvision_style_model_is_swapped_everywhere_keeping_sharing_and_inplace():
    torch.manual_seed(0)
    model = TinyResNet()
    reference = _replace_relus_with(model, lambda: nn.ELU(inplace=True))
    sites = actlab.activation_sites(model)
    assert [s.names for s in sites] == [("stem.1", "head_act"), ("layer1.0.relu",),
                                        ("layer1.1.relu",)]
    assert all(s.type == "torch.nn.ReLU" and s.params == {"inplace": True} for s in sites)

    report = actlab.swap_activations(model, "elu")
    assert len(report) == 3 and not report.kept
    assert not any(isinstance(m, nn.ReLU) for m in model.modules())
    assert model.stem[1] is model.head_act and isinstance(model.head_act, Activation)
    assert all(m.inplace for m in model.modules() if isinstance(m, Activation))

    x = torch.randn(5, 1, 6, 6, requires_grad=True)
    x_ref = x.detach().clone().requires_grad_(True)
    out, expected = model(x), reference(x_ref)
    assert out.shape == (5, 3) and torch.isfinite(out).all()
    torch.testing.assert_close(out, expected, atol=FLOAT32_TOLERANCE, rtol=FLOAT32_TOLERANCE)
    out.sum().backward()
    expected.sum().backward()
    torch.testing.assert_close(x.grad, x_ref.grad, atol=FLOAT32_TOLERANCE,
                               rtol=FLOAT32_TOLERANCE)
    for (name, p), (_, p_ref) in zip(model.named_parameters(), reference.named_parameters(),
                                     strict=True):
        torch.testing.assert_close(p.grad, p_ref.grad, atol=FLOAT32_TOLERANCE,
                                   rtol=FLOAT32_TOLERANCE, msg=name)


def test_inplace_is_dropped_where_the_new_activation_has_no_inplace_form():
    model = TinyResNet()
    report = actlab.swap_activations(model, "gelu")
    assert all(r.inplace_dropped for r in report.replaced)
    assert "in place dropped" in str(report)
    assert not any(m.inplace for m in model.modules() if isinstance(m, Activation))
    assert torch.isfinite(model(torch.randn(2, 1, 5, 5))).all()


class CallsRelu(nn.Module):
    """A model that calls activations as functions (they cannot be swapped)."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.act = nn.Tanh()
        self.fc2 = nn.Linear(8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = F.relu(self.fc1(x))  # functional: reported, not swapped
        return self.fc2(self.act(hidden)).sigmoid()  # Tensor.sigmoid: reported too


def _line_of(text: str) -> int:
    lines, first = inspect.getsourcelines(CallsRelu.forward)
    return first + next(i for i, line in enumerate(lines) if text in line)


@pytest.mark.parametrize("example_inputs", [None, [torch.randn(3, 4)]],
                         ids=["torch.fx", "forward pass"])
def test_functional_calls_are_reported_with_their_location_not_swapped(example_inputs):
    model = CallsRelu()
    report = actlab.swap_activations(model, "elu", example_inputs=example_inputs)
    assert [r.names for r in report.replaced] == [("act",)]
    calls = report.functional_calls
    assert [c.function for c in calls] == ["F.relu", "Tensor.sigmoid"]
    assert all(c.module == "" for c in calls)  # the model's own forward
    if example_inputs is None:
        assert report.functional.method == "torch.fx symbolic tracing"
        assert all("test_swapping.py" in c.source and "CallsRelu.forward" in c.source
                   for c in calls)
    else:
        assert calls[0].source.endswith(f"test_swapping.py:{_line_of('F.relu')} in forward")
        assert calls[1].source.endswith(f"test_swapping.py:{_line_of('.sigmoid()')} in "
                                        f"forward")
    text = str(report)
    assert "F.relu in the model's forward" in text and "not swappable" in text


def test_a_model_fx_cannot_trace_is_reported_as_not_searched():
    class Branchy(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.act = nn.ReLU()

        def forward(self, x):
            return self.act(x) if x.sum() > 0 else F.gelu(x)  # data-dependent: fx fails

    report = actlab.swap_activations(Branchy(), "elu")
    assert not report.functional.searched and "torch.fx cannot trace" in str(report)
    found = actlab.swap_activations(Branchy(), "elu", example_inputs=[-torch.ones(2)])
    assert [c.function for c in found.functional_calls] == ["F.gelu"]


def _transformers():
    return pytest.importorskip("transformers", reason="the transformers extra is not installed")


def test_a_transformers_resnet_built_from_a_config_is_swapped():
    transformers = _transformers()
    torch.manual_seed(0)
    config = transformers.ResNetConfig(num_channels=1, embedding_size=8, hidden_sizes=[8, 16],
                                       depths=[1, 1], layer_type="basic", num_labels=4)
    model = transformers.ResNetForImageClassification(config).eval()
    x = torch.randn(2, 1, 28, 28)
    before = model(x).logits
    sites = actlab.activation_sites(model)
    assert sites and all(s.type == "torch.nn.ReLU" for s in sites)
    report = actlab.swap_activations(model, "leaky_relu(0.1)", example_inputs=[x])
    assert len(report) == len(sites) and not report.kept
    assert not any(isinstance(m, nn.ReLU) for m in model.modules())
    after = model(x).logits
    assert after.shape == before.shape and torch.isfinite(after).all()
    assert not torch.equal(after, before)


def test_a_bert_built_from_a_config_has_its_gelus_swapped_and_its_tanh_kept():
    transformers = _transformers()
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=40, hidden_size=16, num_hidden_layers=2,
                                     num_attention_heads=2, intermediate_size=32,
                                     max_position_embeddings=32, num_labels=3)
    model = transformers.BertForSequenceClassification(config).eval()
    tokens = torch.randint(0, 40, (2, 12))
    before = model(tokens).logits
    kinds = [s.type for s in actlab.activation_sites(model)]
    assert kinds == ["transformers.GELUActivation"] * 2 + ["torch.nn.Tanh"]
    report = actlab.swap_activations(model, "mish", where="GELU*", example_inputs=[tokens])
    assert [r.names[0].rsplit(".", 1)[-1] for r in report.replaced] == [
        "intermediate_act_fn"] * 2
    assert [k.type for k in report.kept] == ["torch.nn.Tanh"]
    assert not any(type(m).__name__ == "GELUActivation" for m in model.modules())
    assert isinstance(model.bert.pooler.activation, nn.Tanh)
    after = model(tokens).logits
    assert after.shape == before.shape and torch.isfinite(after).all()


def test_transformers_activations_are_recognised_with_their_catalog_equivalents():
    transformers = _transformers()
    table = transformers.activations.ACT2CLS
    x = torch.linspace(-8, 8, 2001, dtype=torch.float64)
    checked = set()
    for key, entry in table.items():
        cls, kwargs = entry if isinstance(entry, tuple) else (entry, {})
        if cls.__name__ == "XIELUActivation":
            continue  # learnable, and it prints installation advice when built
        module = cls(**kwargs).double()
        kind = activation_kind(module)
        assert kind is not None and kind.equivalent is not None, key
        # float64 on both sides; the catalog's transformers dialect computes as
        # transformers does, so only the order of operations may differ.
        torch.testing.assert_close(actlab.get(kind.equivalent).double()(x.clone()),
                                   module(x.clone()), atol=1e-12, rtol=1e-12, msg=key)
        checked.add(cls.__name__)
    assert len(checked) >= 18  # every class of the table but XIELU


TIMM_SCRIPT = """
import json, sys, types, importlib, importlib.util, torch
spec = importlib.util.find_spec("timm")
layers = spec.submodule_search_locations[0] + "/layers"
# timm/__init__.py imports torchvision, which cannot load here: stand-in packages let
# timm's own activation files load under their real module names.
for name, path in (("timm", spec.submodule_search_locations[0]), ("timm.layers", layers)):
    package = types.ModuleType(name)
    package.__path__ = [path]
    sys.modules[name] = package
activations = importlib.import_module("timm.layers.activations")
memory = importlib.import_module("timm.layers.activations_me")
import actlab
from actlab.models.activation_modules import activation_kind
x = torch.linspace(-6, 6, 1201, dtype=torch.float64)
out = {}
for module_ in (activations, memory):
    for name in dir(module_):
        cls = getattr(module_, name)
        if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)
                and cls.__module__ == module_.__name__):
            continue
        layer = cls().double()
        kind = activation_kind(layer)
        error = None
        if kind is not None and kind.equivalent is not None:
            error = float((actlab.get(kind.equivalent).double()(x.clone())
                           - layer(x.clone())).abs().max())
        out[f"{module_.__name__}.{name}"] = [None if kind is None else kind.type,
                                             None if kind is None else kind.equivalent, error]
model = torch.nn.Sequential(torch.nn.Linear(3, 3), activations.Swish(inplace=True),
                            torch.nn.Linear(3, 3), memory.HardMishMe())
report = actlab.swap_activations(model, "relu")
out["swapped"] = [len(report), bool(model[1].inplace)]
print(json.dumps(out))
"""


def test_timm_activation_files_are_recognised_and_their_equivalents_hold():
    import importlib.util

    if importlib.util.find_spec("timm") is None:
        pytest.skip("timm is not installed")
    env = {"PYTHONPATH": str(Path(actlab.__file__).parents[1]), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", TIMM_SCRIPT], capture_output=True,
                          text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found.pop("swapped") == [2, True]
    assert len(found) >= 16
    for name, (kind, equivalent, error) in found.items():
        assert kind == f"timm.{name.rsplit('.', 1)[1]}", name
        assert equivalent is not None, name
        # float64, the same formula written twice: rounding only
        assert error <= 1e-12, (name, equivalent, error)


@pytest.mark.parametrize("module", [
    nn.ReLU(), nn.LeakyReLU(0.3), nn.ELU(0.7), nn.CELU(1.3), nn.SELU(), nn.GELU("tanh"),
    nn.SiLU(), nn.Mish(), nn.Hardswish(), nn.Hardsigmoid(), nn.Hardtanh(-2.0, 3.0),
    nn.ReLU6(), nn.Sigmoid(), nn.Tanh(), nn.Softplus(2.0, 10.0), nn.Softsign(),
    nn.Softshrink(0.7), nn.Hardshrink(0.4), nn.Tanhshrink(), nn.LogSigmoid(),
    nn.Threshold(0.5, -1.0), nn.Softmax(dim=1), nn.LogSoftmax(dim=1)],
    ids=lambda m: type(m).__name__)
def test_torch_activations_are_described_by_an_equivalent_that_computes_the_same(module):
    kind = activation_kind(module)
    assert kind.library == "torch" and kind.type == f"torch.nn.{type(module).__name__}"
    x = torch.linspace(-6, 6, 121, dtype=torch.float64).reshape(11, 11)
    torch.testing.assert_close(actlab.get(kind.equivalent)(x.clone()), module(x.clone()),
                               atol=1e-12, rtol=1e-12)  # float64, the same formula
    assert kind.elementwise == (type(module).__name__ not in ("Softmax", "LogSoftmax"))


def _fake_timm_class(name: str, module: str = "timm.layers.activations") -> type:
    def __init__(self, inplace: bool = False) -> None:
        nn.Module.__init__(self)
        self.inplace = inplace

    return type(name, (nn.Module,), {"__module__": module, "__init__": __init__,
                                      "forward": lambda self, x: x * torch.sigmoid(x)})


def test_timm_activations_are_recognised_by_class_without_importing_timm():
    swish = _fake_timm_class("Swish")
    hard_mish = _fake_timm_class("HardMishMe", "timm.layers.activations_me")
    other = _fake_timm_class("Swish", "timm.layers.mlp")  # not an activations module
    model = nn.Sequential(nn.Linear(3, 3), swish(inplace=True), nn.Linear(3, 3), hard_mish(),
                          other())
    sites = actlab.activation_sites(model)
    assert [(s.name, s.type, s.kind.equivalent) for s in sites] == [
        ("1", "timm.Swish", "timm:swish"), ("3", "timm.HardMishMe", "timm:hard_mish")]
    assert sites[0].params == {"inplace": True}
    report = actlab.swap_activations(model, "relu")
    assert len(report) == 2 and model[1].inplace and not model[3].inplace
    assert "timm" not in sys.modules


def test_where_picks_sites_by_pattern_or_predicate_and_vectors_only_when_named():
    def build() -> nn.Sequential:
        return nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 4), nn.Tanh(),
                             nn.Linear(4, 4), nn.Softmax(dim=1))

    model = build()
    report = actlab.swap_activations(model, "elu")
    assert [r.names for r in report.replaced] == [("1",), ("3",)]
    assert [(k.names, k.type) for k in report.kept] == [(("5",), "torch.nn.Softmax")]
    model = build()
    assert [r.names for r in actlab.swap_activations(model, "elu", where="Tanh").replaced] == [
        ("3",)]
    assert isinstance(model[1], nn.ReLU)
    model = build()
    assert [r.names for r in actlab.swap_activations(model, "sparsemax", where="5").replaced
            ] == [("5",)]
    assert torch.allclose(model(torch.randn(3, 4)).sum(dim=1), torch.ones(3))  # a simplex
    model = build()
    chosen = actlab.swap_activations(model, nn.GELU, where=lambda s: s.name == "1")
    assert isinstance(model[1], nn.GELU) and len(chosen) == 1
    model = build()
    nothing = actlab.swap_activations(model, "elu", where="*.absent")
    assert len(nothing) == 0 and len(nothing.kept) == 3


def test_to_may_be_a_formula_a_module_or_a_callable():
    model = TinyResNet()
    actlab.swap_activations(model, "x*sigmoid(1.702*x)")
    assert all(isinstance(m, Activation) and m.spec.origin == "expression"
               for m in (model.stem[1], model.layer1[0].relu))
    model = TinyResNet()
    actlab.swap_activations(model, nn.Hardswish())
    assert model.stem[1] is not model.layer1[0].relu  # one copy per site
    model = TinyResNet()
    actlab.swap_activations(model, lambda: nn.LeakyReLU(0.2))
    assert isinstance(model.layer1[1].relu, nn.LeakyReLU)


def test_bad_targets_say_what_is_wrong():
    with pytest.raises(actlab.UnknownActivationError):
        actlab.swap_activations(TinyResNet(), "relu_that_does_not_exist")
    with pytest.raises(ParameterError, match="returned int, not a torch.nn.Module"):
        actlab.swap_activations(TinyResNet(), lambda: 3)
    with pytest.raises(ParameterError, match="`to` must be"):
        actlab.swap_activations(TinyResNet(), 3.5)
    with pytest.raises(ParameterError, match="takes a torch.nn.Module"):
        actlab.activation_sites("not a model")
    with pytest.raises(ParameterError, match="where must be"):
        actlab.swap_activations(TinyResNet(), "elu", where=3)


def test_learnable_replacements_follow_the_models_dtype():
    model = TinyResNet().double()
    actlab.swap_activations(model, "prelu")
    assert {p.dtype for p in model.parameters()} == {torch.float64}
    assert model(torch.randn(2, 1, 4, 4, dtype=torch.float64)).dtype == torch.float64


def test_the_report_is_plain_data():
    report = actlab.swap_activations(CallsRelu(), "elu")
    data = json.loads(json.dumps(report.to_dict()))
    assert data["replaced"][0]["names"] == ["act"]
    assert [c["function"] for c in data["functional"]["calls"]] == ["F.relu", "Tensor.sigmoid"]
