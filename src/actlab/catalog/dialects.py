"""Dialects: frameworks whose activations are other frameworks' functions under their own names.

flax.linen and flax.nnx re-export jax.nn's activations; Hugging Face transformers'
`ACT2FN` and timm's activation factory map string keys onto PyTorch modules and
functions. Each is a table here, from spelling to catalog function (with the defaults
the spelling implies), and its flavor computes as the flavor it is built on (`numerics`:
JAX's for flax, PyTorch's for transformers and timm: formulas, kink conventions, float32
constants). A function whose framework computes in its own way there (flax's PReLU,
timm's hard_mish, transformers' xIELU) has that flavor written out in its spec instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from actlab.catalog.spec import ActivationSpec, Flavor
from actlab.errors import RegistrationError


@dataclass(frozen=True)
class Dialect:
    """One framework's names for catalog functions, computed as `numerics` computes them.

    `names` maps each spelling to (catalog name, the defaults the spelling implies)."""

    framework: str
    numerics: str
    names: Mapping[str, tuple[str, Mapping[str, Any]]] = field(default_factory=dict)
    note: str = ""


def _table(prefixes: Iterable[str], entries: Mapping[str, Any]) -> dict[str, tuple[str, dict]]:
    """{prefix + key: (catalog name, defaults)} for every prefix; an entry is a catalog
    name or a (catalog name, defaults) pair."""
    out = {}
    for key, entry in entries.items():
        name, defaults = (entry, {}) if isinstance(entry, str) else entry
        for prefix in prefixes:
            out[prefix + key] = (name, dict(defaults))
    return out


#: flax 0.12: flax.linen.activation and flax.nnx.nn.activations re-export these jax.nn
#: functions (logsumexp, normalize, one_hot and standardize are not activations).
FLAX = Dialect("flax", "jax", {
    **_table(("flax.linen.", "flax.nnx."), {
        "celu": "celu", "elu": "elu", "gelu": "gelu", "glu": "glu",
        "hard_sigmoid": "hard_sigmoid", "hard_silu": "hard_swish", "hard_swish": "hard_swish",
        "hard_tanh": "hardtanh", "leaky_relu": "leaky_relu", "log_sigmoid": "log_sigmoid",
        "log_softmax": "log_softmax", "relu": "relu", "relu6": "relu6", "selu": "selu",
        "sigmoid": "sigmoid", "silu": "silu", "soft_sign": "softsign", "softmax": "softmax",
        "softplus": "softplus", "swish": "silu", "tanh": "tanh",
    }),
    **_table(("flax.nnx.",), {"identity": "identity"}),
}, note="flax re-exports jax.nn: JAX's numbers")

#: transformers 5: every key of transformers.activations.ACT2FN (xielu is written out in
#: its spec: its parameters live in bfloat16).
TRANSFORMERS = Dialect("transformers", "torch", _table(("transformers:",), {
    "gelu": "gelu",
    "gelu_10": ("clipped_gelu", {"min_value": -10.0, "max_value": 10.0}),
    "gelu_fast": "gelu_fast",
    "gelu_new": ("gelu", {"approximate": "tanh"}),
    "gelu_python": "gelu",
    "gelu_pytorch_tanh": ("gelu", {"approximate": "tanh"}),
    "gelu_python_tanh": ("gelu", {"approximate": "tanh"}),
    "gelu_accurate": ("gelu", {"approximate": "tanh"}),
    "hardswish": "hard_swish",
    "laplace": ("laplace", {"mu": 0.707107, "sigma": 0.282095}),
    "leaky_relu": "leaky_relu",
    "linear": "identity",
    "mish": "mish",
    "quick_gelu": "quick_gelu",
    "relu": "relu",
    "relu2": "relu_squared",
    "relu6": "relu6",
    "sigmoid": "sigmoid",
    "silu": "silu",
    "sqrtsoftplus": ("sqrt_softplus", {"threshold": 20.0}),
    "swish": "silu",
    "tanh": "tanh",
    "prelu": "prelu",
}), note="ACT2FN's modules are PyTorch's: PyTorch's numbers")

#: timm 1.0: every name timm.layers.get_act_layer / get_act_fn knows (hard_mish is written
#: out in its spec: timm's own backward differs from PyTorch's convention at -2).
TIMM = Dialect("timm", "torch", _table(("timm:",), {
    "silu": "silu", "swish": "silu", "mish": "mish", "relu": "relu", "relu6": "relu6",
    "leaky_relu": "leaky_relu", "elu": "elu", "celu": "celu", "selu": "selu", "gelu": "gelu",
    "gelu_tanh": ("gelu", {"approximate": "tanh"}), "quick_gelu": "quick_gelu",
    "sigmoid": "sigmoid", "tanh": "tanh", "hard_sigmoid": "hard_sigmoid",
    "hardsigmoid": "hard_sigmoid", "hard_swish": "hard_swish", "hardswish": "hard_swish",
    "identity": "identity", "prelu": "prelu",
}), note="timm's layers are PyTorch's: PyTorch's numbers")

DIALECTS = (FLAX, TRANSFORMERS, TIMM)


def dialect_flavor(spec: ActivationSpec, dialect: Dialect,
                   names: Mapping[str, Mapping[str, Any]]) -> Flavor:
    """The flavor of `spec` in `dialect`: its spellings, with the defaults, parameter
    names and numerics of the flavor it is built on (the canonical ones where the spec has
    no such flavor)."""
    base = spec.flavors.get(dialect.numerics)
    if base is None:
        return Flavor(dialect.framework, {}, dict(names), note=dialect.note)
    return dataclasses.replace(base, framework=dialect.framework, names=dict(names),
                               float32={"": base.float32[""]} if "" in base.float32 else {},
                               note=dialect.note)


def with_dialects(specs: Iterable[ActivationSpec],
                  dialects: Iterable[Dialect] = DIALECTS) -> list[ActivationSpec]:
    """The specs, each with a flavor for every dialect that names it."""
    specs = list(specs)
    by_name = {s.name: i for i, s in enumerate(specs)}
    added: dict[str, dict[str, Flavor]] = {}
    for dialect in dialects:
        grouped: dict[str, dict[str, Mapping[str, Any]]] = {}
        for spelling, (name, defaults) in dialect.names.items():
            if name not in by_name:
                raise RegistrationError(f"{spelling}: the {dialect.framework} dialect names "
                                        f"{name!r}, which is not in the catalog")
            grouped.setdefault(name, {})[spelling] = defaults
        for name, names in grouped.items():
            spec = specs[by_name[name]]
            if dialect.framework in spec.flavors:
                raise RegistrationError(f"{name}: its {dialect.framework} flavor is written "
                                        f"out in its spec and listed in the dialect table")
            added.setdefault(name, {})[dialect.framework] = dialect_flavor(spec, dialect, names)
    return [dataclasses.replace(s, flavors={**s.flavors, **added[s.name]})
            if s.name in added else s for s in specs]
