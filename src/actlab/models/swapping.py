"""Finding the activations of any PyTorch model and swapping them for actlab's.

    >>> import actlab, torch
    >>> model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(inplace=True),
    ...                             torch.nn.Linear(8, 2))
    >>> [site.name for site in actlab.activation_sites(model)]
    ['1']
    >>> report = actlab.swap_activations(model, "gelu")
    >>> report.replaced[0].new
    "GELU(flavor='torch', approximate='none')"

Activations are modules of torch.nn, transformers, timm or actlab (see
`activation_modules`); a module registered under several names (one in-place ReLU that
a block calls twice, torchvision's pattern, or one module shared by two blocks) is one
site, replaced by one new module everywhere it was, so the sharing stays. Activations
called as functions inside `forward` (`F.relu(x)`) cannot be swapped: the report lists
them, with where they are called (see `functional_calls`).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from actlab.errors import ActlabError, ParameterError
from actlab.layers import get
from actlab.models.activation_modules import ActivationKind, activation_kind
from actlab.models.activation_sites import ActivationFactory, ActivationLike
from actlab.models.functional_calls import FunctionalCall, FunctionalScan, find_functional_calls


@dataclass(frozen=True)
class ModelSite:
    """One activation module of a model: every name it has, the module and its kind."""

    names: tuple[str, ...]
    module: nn.Module
    kind: ActivationKind

    @property
    def name(self) -> str:
        """Its (first) qualified name, as `model.get_submodule` takes it."""
        return self.names[0]

    @property
    def type(self) -> str:
        return self.kind.type

    @property
    def params(self) -> dict[str, Any]:
        return self.kind.params

    def __str__(self) -> str:
        also = f" (also {', '.join(self.names[1:])})" if len(self.names) > 1 else ""
        return f"{self.name}{also}: {self.kind.describe()}"


def activation_sites(model: nn.Module) -> list[ModelSite]:
    """Every activation module of `model`, in registration order, each shared one once."""
    if not isinstance(model, nn.Module):
        raise ParameterError(f"activation_sites takes a torch.nn.Module, got "
                             f"{type(model).__name__}")
    found: dict[int, tuple[list[str], nn.Module, ActivationKind]] = {}
    for name, module in model.named_modules(remove_duplicate=False):
        if id(module) in found:
            found[id(module)][0].append(name)
            continue
        kind = activation_kind(module)
        if kind is not None:
            found[id(module)] = ([name], module, kind)
    return [ModelSite(tuple(names), module, kind) for names, module, kind in found.values()]


@dataclass(frozen=True)
class Replacement:
    """One site that was swapped: its names, what it was and what it is now."""

    names: tuple[str, ...]
    old: str
    new: str
    inplace_dropped: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"names": list(self.names), "old": self.old, "new": self.new,
                "inplace_dropped": self.inplace_dropped}


@dataclass(frozen=True)
class KeptSite:
    """A site left as it was, and why."""

    names: tuple[str, ...]
    type: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"names": list(self.names), "type": self.type, "reason": self.reason}


@dataclass
class SwapReport:
    """What swap_activations replaced, what it left, and the functional calls it found."""

    replaced: list[Replacement] = field(default_factory=list)
    kept: list[KeptSite] = field(default_factory=list)
    functional: FunctionalScan = field(default_factory=FunctionalScan)

    def __len__(self) -> int:
        return len(self.replaced)

    @property
    def functional_calls(self) -> list[FunctionalCall]:
        return list(self.functional.calls)

    def to_dict(self) -> dict[str, Any]:
        return {"replaced": [r.to_dict() for r in self.replaced],
                "kept": [k.to_dict() for k in self.kept],
                "functional": self.functional.to_dict()}

    def __str__(self) -> str:
        lines = [f"replaced {len(self.replaced)} activation site"
                 f"{'' if len(self.replaced) == 1 else 's'}"]
        for r in self.replaced:
            note = " (in place dropped: the new activation has no in-place form)" \
                if r.inplace_dropped else ""
            lines.append(f"  {', '.join(r.names)}: {r.old} -> {r.new}{note}")
        if self.kept:
            lines.append(f"kept {len(self.kept)}:")
            lines += [f"  {', '.join(k.names)}: {k.type} ({k.reason})" for k in self.kept]
        lines.append(self.functional.summary())
        lines += [f"  {call}" for call in self.functional.calls]
        return "\n".join(lines)


Where = str | Callable[[ModelSite], bool] | None
ModuleMaker = Callable[[], nn.Module]


def _selector(where: Where) -> Callable[[ModelSite], bool]:
    if where is None:
        return lambda site: site.kind.elementwise
    if isinstance(where, str):
        if not where.strip():
            raise ParameterError("where must be a name pattern such as '*.act' or 'GELU*', "
                                 "got an empty string")

        def matches(site: ModelSite) -> bool:
            short = site.type.rpartition(".")[2].rpartition(":")[2]
            return any(fnmatch.fnmatchcase(text, where)
                       for text in (*site.names, site.type, short))
        return matches
    if callable(where):
        return where
    raise ParameterError(f"where must be a name pattern or a function of a site, got "
                         f"{type(where).__name__}")


def _maker(to: ActivationLike | ModuleMaker, params: dict[str, Any] | None
           ) -> Callable[[bool], tuple[nn.Module, bool]]:
    """make(inplace) -> (a fresh module for one site, whether in-place had to be dropped)."""
    from actlab.catalog.registry import Resolved
    from actlab.catalog.spec import ActivationSpec

    if isinstance(to, str | ActivationSpec | Resolved | nn.Module | ActivationFactory):
        factory = to if isinstance(to, ActivationFactory) else ActivationFactory(to, params)

        def make(inplace: bool) -> tuple[nn.Module, bool]:
            if inplace and factory.resolved is not None:
                try:
                    return get(factory.resolved, inplace=True, **factory.params), False
                except ActlabError:  # no in-place form (its backward needs the input)
                    pass
            module = factory.make()
            return module, inplace and not getattr(module, "inplace", False)
        return make
    if callable(to):
        if params:
            raise ParameterError("swap_activations: params bind a catalog activation's "
                                 "parameters; a callable takes none")

        def make_called(inplace: bool) -> tuple[nn.Module, bool]:
            module = to()
            if not isinstance(module, nn.Module):
                raise ParameterError(f"swap_activations: {_name_of(to)}() returned "
                                     f"{type(module).__name__}, not a torch.nn.Module")
            return module, inplace and not getattr(module, "inplace", False)
        return make_called
    raise ParameterError(f"swap_activations: `to` must be an activation name, formula, spec, "
                         f"module or a callable returning a module, got {type(to).__name__}")


def _name_of(value: Any) -> str:
    return getattr(value, "__qualname__", None) or type(value).__name__


def _placement(module: nn.Module, model: nn.Module) -> tuple[torch.device, torch.dtype] | None:
    for source in (module, model):
        for tensor in (*source.parameters(), *source.buffers()):
            if tensor.is_floating_point():
                return tensor.device, tensor.dtype
    return None


def swap_activations(model: nn.Module, to: ActivationLike | ModuleMaker, *,
                     where: Where = None, params: dict[str, Any] | None = None,
                     example_inputs: Sequence[Any] | None = None,
                     find_functional: bool = True) -> SwapReport:
    """Replace the activations of `model` in place with `to`; report what was done.

    `to` is a catalog name or formula (`"gelu"`, `"leaky_relu(0.2)"`,
    `"x*sigmoid(1.702*x)"`), a spec, a module (copied per site) or a callable that returns
    a fresh module; `params` bind the catalog activation's parameters. `where` picks the
    sites: a glob pattern matched against each site's names and type (`"*.act2"`,
    `"GELU*"`, `"torch.nn.ReLU"`) or a function of a ModelSite; by default every
    element-wise activation (softmax and GLU-like sites are kept unless `where` names
    them). A site that was in place stays in place where the new activation can be.
    Activations called as functions in `forward` are looked for (with torch.fx, or by
    running `model(*example_inputs)` once when they are given) and listed in the report
    (`find_functional=False` skips that search).
    """
    sites = activation_sites(model)
    chosen = _selector(where)
    make = _maker(to, params)
    report = SwapReport()
    root_names = {""}
    for site in sites:
        if not chosen(site):
            reason = ("acts on vectors (softmax, GLU); name it in `where` to swap it"
                      if where is None else "not selected by `where`")
            report.kept.append(KeptSite(site.names, site.type, reason))
            continue
        if root_names & set(site.names):
            report.kept.append(KeptSite(site.names, site.type,
                                        "it is the model itself; swap it by building another"))
            continue
        new, dropped = make(site.kind.inplace)
        placement = _placement(site.module, model)
        if placement is not None:
            new = new.to(device=placement[0])
            if any(p.is_floating_point() for p in new.parameters()):
                new = new.to(dtype=placement[1])
        new.train(site.module.training)
        for name in site.names:
            parent_name, _, attribute = name.rpartition(".")
            setattr(model.get_submodule(parent_name), attribute, new)
        report.replaced.append(Replacement(site.names, site.kind.describe(), repr(new),
                                           dropped))
    if find_functional:
        report.functional = find_functional_calls(model, example_inputs)
    return report


def describe_model(model: nn.Module, example_inputs: Sequence[Any] | None = None
                   ) -> dict[str, Any]:
    """What a study's report shows of a model, as plain data: its trainable parameter
    count, its activation sites (names and types) and the activations its forward calls
    as functions (searched with `example_inputs`)."""
    scan = find_functional_calls(model, example_inputs)
    return {"parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
            "sites": [{"names": list(site.names), "type": site.kind.describe()}
                      for site in activation_sites(model)],
            "functional": scan.to_dict(), "functional_summary": scan.summary()}
