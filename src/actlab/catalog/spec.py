"""The data model of the catalog: one `ActivationSpec` per activation function."""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from actlab.catalog.call_text import finite_float, shown
from actlab.errors import ParameterError

Tensor = torch.Tensor


class _Required:
    """Marker for a parameter without a default (torch's `Threshold(threshold, value)`)."""

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()

INF = math.inf

#: The largest integer parameter (torch takes 64-bit integers).
MAX_INT = 2**63 - 1

#: Kinds of activation: applied per element; along one dimension (softmax); or a gated
#: split of one dimension into two halves (GLU).
KINDS = ("elementwise", "vector", "gated")

#: The frameworks whose numbers a flavor reproduces: PyTorch, Keras 3 (on its torch
#: backend), Keras 2 (tf_keras), JAX, TensorFlow's tf.nn, flax (which re-exports jax.nn),
#: Hugging Face transformers' ACT2FN and timm's activation factory.
FLAVORS = ("torch", "keras", "keras2", "jax", "tf", "flax", "transformers", "timm")

#: What a parameter does: enters the formula ("math"), shapes a learnable parameter
#: ("layout"), or picks among formulas ("variant").
ROLES = ("math", "layout")


@dataclass(frozen=True)
class Param:
    """One parameter of an activation: name, default, allowed values, learnability."""

    name: str
    default: Any = REQUIRED
    doc: str = ""
    kind: str = "float"  # float | int | bool | choice | optional_float | axes
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    nonzero: bool = False
    choices: tuple[Any, ...] = ()
    value_map: Mapping[Any, Any] = field(default_factory=dict)
    learnable: bool = False
    trainable: bool = False
    role: str = "math"
    example: Any = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def sample_value(self) -> Any:
        """A value to use where the parameter has no default (plots, gallery, tests)."""
        return self.example if self.required else self.default

    def describe_constraint(self) -> str:
        """The allowed values, as a short phrase."""
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "bool":
            return "a boolean"
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.low_open else '>='} {self.low:g}")
        if self.high is not None:
            parts.append(f"{'<' if self.high_open else '<='} {self.high:g}")
        if self.nonzero:
            parts.append("!= 0")
        kind = {"int": "an integer", "axes": "a tuple of axes"}.get(self.kind, "a real number")
        if self.kind == "optional_float":
            kind = "a real number or None"
        return kind + (" " + " and ".join(parts) if parts else "")

    def coerce(self, value: Any, owner: str) -> Any:
        """Validate `value` and convert it to this parameter's type."""
        where = f"{owner}: parameter {self.name!r}"
        if value is REQUIRED:
            raise ParameterError(f"{where} is required (e.g. {self.name}={self.example!r})")
        if isinstance(value, Tensor):
            if not self.learnable:
                if value.numel() != 1:
                    raise ParameterError(f"{where} must be a number, got a tensor of shape "
                                         f"{tuple(value.shape)}")
                value = value.item()
            else:
                return value
        if value in self.value_map if _hashable(value) else False:
            value = self.value_map[value]
        if self.kind == "choice":
            if value not in self.choices:
                raise ParameterError(f"{where} must be {self.describe_constraint()}, got {value!r}")
            return value
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ParameterError(f"{where} must be True or False, got {value!r}")
            return value
        if self.kind == "axes":
            if value is None:
                return None
            if isinstance(value, numbers.Integral):
                return (int(value),)
            try:
                axes = tuple(int(a) for a in value)
            except (TypeError, ValueError):
                raise ParameterError(
                    f"{where} must be {self.describe_constraint()}, got {value!r}") from None
            return axes
        if value is None:
            if self.kind == "optional_float" or self.default is None:
                return None
            raise ParameterError(f"{where} must be {self.describe_constraint()}, got None")
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ParameterError(f"{where} must be {self.describe_constraint()}, got {value!r}")
        # Numbers a float cannot hold (a 400-digit literal), and inf or nan, have no place
        # in a formula: every parameter is a finite real.
        number = finite_float(value, where)
        if self.kind == "int":
            if not isinstance(value, numbers.Integral):
                if not number.is_integer():
                    raise ParameterError(f"{where} must be an integer, got {value!r}")
            value = int(value if isinstance(value, numbers.Integral) else number)
            if not -MAX_INT <= value <= MAX_INT:
                raise ParameterError(f"{where} must be {self.describe_constraint()} between "
                                     f"-2**63 and 2**63, got {shown(value)}")
        else:
            value = number
        bad = (
            (self.low is not None and (value <= self.low if self.low_open else value < self.low))
            or (self.high is not None
                and (value >= self.high if self.high_open else value > self.high))
            or (self.nonzero and value == 0)
        )
        if bad:
            raise ParameterError(f"{where} must be {self.describe_constraint()}, got {value!r}")
        return value


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


@dataclass(frozen=True)
class Properties:
    """Mathematical properties at the canonical defaults, each checked numerically in tests.

    - `output_range` (low, high) is the closure of f(ℝ); `range_closed` says whether each
      finite end is attained by some finite x.
    - `monotonic`: f is non-decreasing on ℝ (None for vector and gated functions).
    - `smoothness`: the largest k with f in C^k (math.inf for C∞; -1 when f jumps).
      Points where smoothness drops are the spec's `kinks`.
    - `zero_centred`: for z ~ N(0, 1), |E f(z)| ≤ 0.1·sqrt(E f(z)²).
    - `saturation`: the sides where f'(x) → 0 as x → ∓∞: none, left, right or both.
    - `self_normalising`: N(0, 1) inputs through lecun-normal layers keep mean 0 and
      variance 1 as a stable fixed point (Klambauer et al. 2017).
    """

    output_range: tuple[float, float]
    range_closed: tuple[bool, bool] = (False, False)
    monotonic: bool | None = True
    smoothness: float = INF
    zero_centred: bool = False
    saturation: str = "none"
    self_normalising: bool = False

    @property
    def bounded_below(self) -> bool:
        return self.output_range[0] > -INF

    @property
    def bounded_above(self) -> bool:
        return self.output_range[1] < INF

    @property
    def saturating(self) -> bool:
        return self.saturation != "none"

    def range_text(self) -> str:
        lo, hi = self.output_range
        left = "[" if self.range_closed[0] and lo > -INF else "("
        right = "]" if self.range_closed[1] and hi < INF else ")"
        return f"{left}{_num(lo)}, {_num(hi)}{right}"

    def smoothness_text(self) -> str:
        if self.smoothness == INF:
            return "C∞"
        if self.smoothness < 0:
            return "discontinuous"
        return f"C{int(self.smoothness)}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "range": self.range_text(),
            "monotonic": self.monotonic,
            "smoothness": self.smoothness_text(),
            "bounded_below": self.bounded_below,
            "bounded_above": self.bounded_above,
            "zero_centred": self.zero_centred,
            "saturating": self.saturation,
            "self_normalising": self.self_normalising,
        }


def _num(v: float) -> str:
    if v == INF:
        return "∞"
    if v == -INF:
        return "-∞"
    return f"{v:g}"


#: Which parameters a framework rounds to float32: names, or a function of the bound
#: parameters that returns them (Keras 2's relu rounds α only on its leaky_relu path).
Float32Rule = Any


@dataclass(frozen=True)
class Flavor:
    """The defaults, spellings and numerics with which one framework defines an activation.

    `names` maps each spelling in that framework (``"keras.layers.LeakyReLU"``) to the
    defaults it adds on top of the flavor's own (Keras's layer and function differ).
    `renames` maps the framework's parameter names to the canonical ones (``alpha``).

    Where the framework's numbers differ from the canonical definition's, the flavor says
    how it computes: `forward`, `derivative` (kinks included: JAX's hard_tanh has
    f'(±1) = 1), `second_derivative` and `vjp` replace the spec's own; `native=False` says
    that PyTorch's native op does not give this framework's numbers (its backward rounds a
    constant to float32, say) even though the formulas are the canonical ones.
    `float32` lists the parameters the framework rounds to float32 before computing (Keras
    2's LeakyReLU keeps α as a float32 attribute even for float64 inputs), by spelling
    (``""`` for every spelling of the flavor); an entry may be a function of the bound
    parameters. `warning` is issued whenever the flavor is used (a framework bug that the
    flavor reproduces on purpose).
    """

    framework: str
    defaults: Mapping[str, Any] = field(default_factory=dict)
    names: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    renames: Mapping[str, str] = field(default_factory=dict)
    note: str = ""
    forward: Callable[..., Tensor] | None = None
    derivative: Callable[..., Tensor] | None = None
    second_derivative: Callable[..., Tensor] | None = None
    vjp: Callable[..., Tensor] | None = None
    native: bool | None = None
    float32: Mapping[str, Float32Rule] = field(default_factory=dict)
    warning: str = ""

    @property
    def changes_numerics(self) -> bool:
        """Whether this framework's numbers need formulas other than the canonical ones."""
        return (any(f is not None for f in (self.forward, self.derivative,
                                            self.second_derivative, self.vjp))
                or self.native is False)

    @property
    def keeps_native(self) -> bool:
        """Whether PyTorch's native op reproduces this framework (values and gradients)."""
        if self.native is not None:
            return self.native
        return not self.changes_numerics

    def float32_params(self, spelling: str | None, bound: Mapping[str, Any]) -> tuple[str, ...]:
        """The parameters this framework rounds to float32 for `spelling` and `bound`."""
        rule = self.float32.get(spelling or "", self.float32.get("", ()))
        if callable(rule):
            rule = rule(bound)
        return tuple(rule)


class Spelling(str):
    """A framework spelling with its own extra defaults and float32 rounding (for `flavor`)."""

    defaults: Mapping[str, Any]
    float32: Float32Rule

    def __new__(cls, name: str, defaults: Mapping[str, Any] | None = None, *,
                float32: Float32Rule = ()) -> Spelling:
        obj = super().__new__(cls, name)
        obj.defaults = dict(defaults or {})
        obj.float32 = float32
        return obj


def flavor(framework: str, defaults: Mapping[str, Any] | None = None, *names: Any,
           renames: Mapping[str, str] | None = None, note: str = "",
           float32: Float32Rule = (), **numerics: Any) -> Flavor:
    """Build a Flavor; each name is a spelling, a (spelling, extra defaults) pair or a
    `Spelling`. `float32` applies to every spelling without its own rule; `numerics` are
    the Flavor's forward, derivative, second_derivative, vjp, native and warning."""
    table: dict[str, Mapping[str, Any]] = {}
    rounding: dict[str, Float32Rule] = {}
    if float32:
        rounding[""] = float32
    for n in names:
        if isinstance(n, Spelling):
            table[str(n)] = dict(n.defaults)
            if n.float32:
                rounding[str(n)] = n.float32
        elif isinstance(n, tuple):
            table[n[0]] = dict(n[1])
        else:
            table[n] = {}
    return Flavor(framework, dict(defaults or {}), table, dict(renames or {}), note,
                  float32=rounding, **numerics)


def round_to_float32(value: float) -> float:
    """The float32 nearest to `value`, as a Python float (what a float32 attribute holds)."""
    return float(np.float32(value))


ElementFn = Callable[..., Tensor]


@dataclass(frozen=True, eq=False)
class ActivationSpec:
    """Everything actlab knows about one activation function.

    `forward` is the reference formula written with torch ops (numerically stable, any
    dtype). `derivative` and `second_derivative` are the analytic f' and f'' for
    elementwise functions; `vjp` gives the input gradient for vector and gated ones.
    `param_gradients` are the analytic partials df/dθ of learnable parameters.
    `native` calls PyTorch's own op; `native_when` says for which parameters it applies.
    `train_forward` replaces the forward in training mode (RReLU's random slopes).
    """

    name: str
    family: str
    summary: str
    latex: str
    forward: ElementFn
    properties: Properties
    params: tuple[Param, ...] = ()
    derivative: ElementFn | None = None
    second_derivative: ElementFn | None = None
    param_gradients: Mapping[str, ElementFn] = field(default_factory=dict)
    vjp: Callable[..., Tensor] | None = None
    native: Callable[..., Tensor] | None = None
    native_when: Callable[[Mapping[str, Any]], bool] | None = None
    native_inplace: bool = False
    train_forward: Callable[..., Tensor] | None = None
    kind: str = "elementwise"
    kinks: Callable[..., tuple[float, ...]] | tuple[float, ...] = ()
    references: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    flavors: Mapping[str, Flavor] = field(default_factory=dict)
    check: Callable[[Mapping[str, Any]], str | None] | None = None
    class_name: str = ""
    notes: str = ""
    origin: str = "catalog"
    source: str = ""

    # Specs are immutable values: copying returns the same object. A built-in spec pickles
    # as its name and a formula as its text (both rebuild exactly in any process); a spec a
    # user made pickles by value, functions included (cloudpickle), so that a module built
    # from it loads in a fresh process (spawned study workers, torch.save / torch.load).
    def __copy__(self) -> ActivationSpec:
        return self

    def __deepcopy__(self, memo: dict) -> ActivationSpec:
        return self

    def __reduce__(self):
        from actlab.catalog.registry import is_builtin, spec_by_reference, spec_from_value

        if self.origin == "expression" and self.source:
            return spec_by_reference, (self.name, self.origin, self.source)
        if is_builtin(self.canonical):  # a catalog spec, or its variant for one framework
            return spec_by_reference, (self.name, self.origin, self.source)
        import cloudpickle

        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return spec_from_value, (cloudpickle.dumps(fields),)

    # -- parameters -------------------------------------------------------------------
    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise ParameterError(f"{self.name}: unknown parameter {name!r}; "
                             f"known: {', '.join(p.name for p in self.params) or 'none'}")

    @property
    def math_params(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.role == "math")

    @property
    def learnable_params(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.learnable)

    def defaults(self, flavor: str | None = None) -> dict[str, Any]:
        """The parameter defaults of the canonical definition or of one flavor."""
        values = {p.name: p.default for p in self.params}
        if flavor is not None:
            values.update(self.flavor(flavor).defaults)
        return values

    def flavor(self, framework: str) -> Flavor:
        if framework not in self.flavors:
            from actlab.errors import UnknownActivationError

            raise UnknownActivationError(f"{framework}:{self.name}",
                                         [f"{f}:{self.name}" for f in self.flavors],
                                         what="flavor")
        return self.flavors[framework]

    def for_flavor(self, framework: str | None) -> ActivationSpec:
        """This activation as `framework` computes it: the spec itself, or (where the
        framework's numbers differ: kinks, rounding, a bug) a variant with the flavor's
        formulas, marked ``origin="flavor"``, ``source=framework``."""
        if self.origin == "flavor":
            return self if framework == self.source else self.canonical.for_flavor(framework)
        fl = self.flavors.get(framework) if framework else None
        if fl is None or not fl.changes_numerics:
            return self
        # Made once per spec and framework, and kept on the (immutable) spec.
        variants = self.__dict__.setdefault("_flavor_variants", {})
        variant = variants.get(framework)
        if variant is None:
            # A framework's own forward without its own derivative is differentiated by
            # autograd, as the framework differentiates it (the spec's would not match).
            inherit = fl.forward is None
            variant = dataclasses.replace(
                self,
                forward=fl.forward or self.forward,
                derivative=fl.derivative or (self.derivative if inherit else None),
                second_derivative=fl.second_derivative or (
                    self.second_derivative if inherit else None),
                vjp=fl.vjp or (self.vjp if inherit else None),
                native=self.native if fl.keeps_native else None,
                native_when=self.native_when if fl.keeps_native else None,
                native_inplace=self.native_inplace and fl.keeps_native,
                origin="flavor",
                source=framework,
            )
            object.__setattr__(variant, "_flavor_base", self)
            variants[framework] = variant
        return variant

    @property
    def canonical(self) -> ActivationSpec:
        """The catalog spec a flavor variant was made from (itself for any other spec)."""
        return self.__dict__.get("_flavor_base", self)

    def bind(self, values: Mapping[str, Any] | None = None, *, flavor: str | None = None,
             extra_defaults: Mapping[str, Any] | None = None, fill_examples: bool = False,
             spelling: str | None = None) -> dict[str, Any]:
        """Full, validated parameter values: defaults, then flavor, then `values`; the
        flavor's framework rounds some of them to float32 (for `spelling`)."""
        merged = self.defaults(flavor)
        merged.update(extra_defaults or {})
        renames = self.flavors[flavor].renames if flavor in self.flavors else {}
        for key, value in (values or {}).items():
            canonical = renames.get(key, key)
            if canonical not in merged:
                # Accept any flavor's spelling of a parameter name.
                for f in self.flavors.values():
                    if key in f.renames:
                        canonical = f.renames[key]
                        break
                else:
                    known = ", ".join(p.name for p in self.params) or "none"
                    raise ParameterError(f"{self.name}: unknown parameter {key!r} "
                                         f"(parameters: {known})")
            merged[canonical] = value
        bound = {}
        for p in self.params:
            value = merged[p.name]
            if value is REQUIRED and fill_examples:
                value = p.example
            bound[p.name] = p.coerce(value, self.name)
        if flavor in self.flavors:
            for name in self.flavors[flavor].float32_params(spelling, bound):
                if isinstance(bound[name], float):
                    bound[name] = round_to_float32(bound[name])
        if self.check is not None:
            problem = self.check(bound)
            if problem:
                raise ParameterError(f"{self.name}: {problem}")
        return bound

    def math_values(self, bound: Mapping[str, Any]) -> dict[str, Any]:
        """The subset of bound parameters that the formulas take."""
        return {p.name: bound[p.name] for p in self.math_params}

    # -- evaluation helpers (reference formulas, used by analysis, plots and tests) --------
    def kink_points(self, bound: Mapping[str, Any]) -> tuple[float, ...]:
        if callable(self.kinks):
            return tuple(self.kinks(**self.math_values(bound)))
        return tuple(self.kinks)

    def uses_native(self, bound: Mapping[str, Any]) -> bool:
        if self.native is None:
            return False
        if any(isinstance(bound[p.name], Tensor) and p.role == "math" and not p.learnable
               for p in self.params):
            return False
        return self.native_when is None or bool(self.native_when(bound))

    @property
    def elementwise(self) -> bool:
        return self.kind == "elementwise"

    @property
    def display_class(self) -> str:
        return self.class_name or "".join(part.capitalize() for part in self.name.split("_"))

    def framework_names(self, framework: str) -> tuple[str, ...]:
        f = self.flavors.get(framework)
        return tuple(f.names) if f else ()
