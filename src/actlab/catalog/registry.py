"""The registry: every ActivationSpec by canonical name, and every spelling that leads to one.

A spelling resolves to a spec, a flavor and the defaults that spelling implies::

    "leaky_relu"                       -> leaky_relu, torch flavor (slope 0.01)
    "LeakyReLU", "torch.nn.LeakyReLU"  -> leaky_relu, torch flavor
    "keras:leaky_relu"                 -> leaky_relu, keras flavor (slope 0.2)
    "keras.layers.LeakyReLU"           -> leaky_relu, keras flavor, layer default (slope 0.3)
    "leaky_relu(0.5)", "leaky_relu:negative_slope=0.5"
                                       -> leaky_relu with negative_slope=0.5
    "x*sigmoid(1.702*x)"               -> a custom spec built from the formula
"""

from __future__ import annotations

import dataclasses
import re
import threading
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from actlab.catalog.call_text import MAX_TEXT, check_length, parse_arguments, shown
from actlab.catalog.spec import FLAVORS, ActivationSpec
from actlab.errors import (
    FrameworkBugWarning,
    ParameterError,
    RegistrationError,
    UnknownActivationError,
)


@dataclass(frozen=True)
class Resolved:
    """A spec together with the flavor and parameter values that a spelling chose."""

    spec: ActivationSpec
    flavor: str | None
    defaults: Mapping[str, Any] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    text: str = ""
    spelling: str | None = None  # the framework spelling chosen (its own defaults, rounding)

    def bind(self, overrides: Mapping[str, Any] | None = None, *,
             fill_examples: bool = False) -> dict[str, Any]:
        """Validated parameter values: spec defaults < flavor < spelling < overrides."""
        values = dict(self.params)
        values.update(overrides or {})
        return self.spec.bind(values, flavor=self.flavor, extra_defaults=self.defaults,
                              fill_examples=fill_examples, spelling=self.spelling)

    @property
    def label(self) -> str:
        """A short human label: name, flavor where not canonical, explicit parameters."""
        text = self.spec.name
        if self.flavor and self.flavor != default_flavor(self.spec):
            text = f"{self.flavor}:{text}"
        if self.params:
            text += "(" + ", ".join(f"{k}={_fmt(v)}" for k, v in self.params.items()) + ")"
        return text


def _fmt(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else repr(v)


def default_flavor(spec: ActivationSpec) -> str | None:
    """The flavor a bare canonical name means: PyTorch's where it has one."""
    return "torch" if "torch" in spec.flavors else None


@dataclass(frozen=True)
class _Entry:
    spec_name: str
    flavor: str | None
    defaults: Mapping[str, Any]
    spelling: str | None = None


def _short_forms(spelling: str) -> list[str]:
    """Common abbreviations of a framework spelling (`nn.X`, `F.x`, bare class names)."""
    out = []
    for prefix, short in (("torch.nn.functional.", "F."), ("torch.nn.", "nn.")):
        if spelling.startswith(prefix):
            rest = spelling[len(prefix):]
            out.append(short + rest)
            if short == "nn." and "." not in rest:
                out.append(rest)
    return out


_CALL = re.compile(r"^\s*(?P<head>[A-Za-z_][\w.]*(?::[A-Za-z_][\w.]*)?)\s*\((?P<args>.*)\)\s*$",
                   re.S)
_NAME = re.compile(r"^[A-Za-z_][\w.]*$")


class Registry:
    """Canonical names -> specs, and every spelling -> (spec, flavor, defaults)."""

    def __init__(self) -> None:
        self._specs: dict[str, ActivationSpec] = {}
        self._lookup: dict[str, _Entry] = {}
        self._folded: dict[str, _Entry] = {}
        self._lock = threading.RLock()
        #: Counts registrations and removals: a cached resolution is stale once it moved.
        self.version = 0

    # -- registration -------------------------------------------------------------------
    def register(self, spec: ActivationSpec, *, replace: bool = False) -> ActivationSpec:
        """Add a spec; its canonical name, aliases and flavor spellings become lookups."""
        if not isinstance(spec, ActivationSpec):
            raise RegistrationError(
                f"register() takes an ActivationSpec, got {type(spec).__name__}")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", spec.name):
            raise RegistrationError(f"canonical name must be snake_case, got {spec.name!r}")
        unknown = set(spec.flavors) - set(FLAVORS)
        if unknown:
            raise RegistrationError(f"{spec.name}: unknown flavors {sorted(unknown)}; "
                                    f"known: {', '.join(FLAVORS)}")
        for name, fl in spec.flavors.items():
            names = {p.name for p in spec.params}
            if fl.framework != name:
                raise RegistrationError(f"{spec.name}: flavor {name!r} is built for "
                                        f"{fl.framework!r}")
            bad = (set(fl.defaults) | {k for d in fl.names.values() for k in d}) - names
            bad |= set(fl.renames.values()) - names
            bad |= {k for rule in fl.float32.values() if not callable(rule) for k in rule} - names
            if bad:
                raise RegistrationError(f"{spec.name}: flavor {name} sets unknown parameters "
                                        f"{sorted(bad)}")
        with self._lock:
            if spec.name in self._specs and not replace:
                raise RegistrationError(f"an activation named {spec.name!r} is already registered")
            entries: dict[str, _Entry] = {spec.name: _Entry(spec.name, default_flavor(spec), {})}
            for alias in spec.aliases:
                entries[alias] = _Entry(spec.name, default_flavor(spec), {})
            for fname, fl in spec.flavors.items():
                for spelling, extra in fl.names.items():
                    entries[spelling] = _Entry(spec.name, fname, dict(extra), spelling)
                    for short in _short_forms(spelling):
                        entries.setdefault(short, _Entry(spec.name, fname, dict(extra),
                                                         spelling))
            for key in entries:
                owner = self._lookup.get(key)
                if owner is not None and owner.spec_name != spec.name:
                    raise RegistrationError(f"{spec.name}: the name {key!r} already belongs to "
                                            f"{owner.spec_name!r}")
                folded = self._folded.get(_fold(key))
                if (folded is not None and folded.spec_name != spec.name
                        and key not in self._lookup):
                    raise RegistrationError(f"{spec.name}: the name {key!r} is too close to one "
                                            f"of {folded.spec_name!r}")
            if replace and spec.name in self._specs:
                self._forget(spec.name)
            self._specs[spec.name] = spec
            for key, entry in entries.items():
                self._lookup[key] = entry
                self._folded.setdefault(_fold(key), entry)
            self.version += 1
        return spec

    def _forget(self, name: str) -> None:
        self._lookup = {k: e for k, e in self._lookup.items() if e.spec_name != name}
        self._folded = {k: e for k, e in self._folded.items() if e.spec_name != name}

    def unregister(self, name: str) -> None:
        with self._lock:
            if name not in self._specs:
                raise UnknownActivationError(name, self._specs)
            del self._specs[name]
            self._forget(name)
            self.version += 1

    # -- queries -------------------------------------------------------------------------
    def names(self, family: str | None = None, flavor: str | None = None) -> list[str]:
        return sorted(n for n, s in self._specs.items()
                      if (family is None or s.family == family)
                      and (flavor is None or flavor in s.flavors))

    def specs(self) -> list[ActivationSpec]:
        return [self._specs[n] for n in self.names()]

    def families(self) -> list[str]:
        return sorted({s.family for s in self._specs.values()})

    def spellings(self) -> list[str]:
        return sorted(self._lookup)

    def __contains__(self, name: str) -> bool:
        try:
            self._entry(name)
        except UnknownActivationError:
            return False
        return True

    def _entry(self, name: str) -> _Entry:
        entry = self._lookup.get(name) or self._folded.get(_fold(name))
        if entry is None:
            raise UnknownActivationError(name, list(self._specs) + list(self._lookup))
        return entry

    def spec(self, name: str) -> ActivationSpec:
        """The catalog spec that a name (or any spelling, or a formula) stands for; the
        Resolved of a framework spelling carries the variant that computes as the framework
        does (`Resolved.spec`)."""
        return self.resolve(name).spec.canonical

    # -- resolution ----------------------------------------------------------------------
    def resolve(self, text: str | ActivationSpec | Resolved) -> Resolved:
        """Turn a spelling, a flavored name, a call-like name or a formula into a Resolved."""
        if isinstance(text, Resolved):
            return text
        if isinstance(text, ActivationSpec):
            flavor = text.source if text.origin == "flavor" else default_flavor(text)
            return Resolved(text, flavor, {}, {}, text.name)
        if not isinstance(text, str) or not text.strip():
            raise UnknownActivationError(repr(text), self._specs)
        check_length(text, "an activation name", MAX_TEXT)
        original = text
        text = text.strip()
        if text == "x":  # the identity, as a formula (no catalog name is a bare variable)
            from actlab.catalog.expression import expression_from_text

            return Resolved(expression_from_text(text), None, {}, {}, original)
        call = _CALL.match(text)
        # "exp(x**2)" is a formula in x, not the activation "exp" called with parameters.
        if call and self._is_name(call["head"]) and not re.search(r"\bx\b", call["args"]):
            base = self._resolve_name(call["head"])
            params = _parse_call_args(base.spec, call["args"], original)
            return dataclasses.replace(base, params=params, text=original)
        parts = text.split(":")
        if all(_NAME.match(p.strip()) or "=" in p for p in parts):
            head = [p.strip() for p in parts if "=" not in p]
            assigns = [p for p in parts if "=" in p]
            if 1 <= len(head) <= 2 and (len(head) == 1 or head[0] in FLAVORS):
                base = self._resolve_name(":".join(head))
                params = {}
                for chunk in assigns:
                    params.update(_parse_assignments(chunk, original))
                return dataclasses.replace(base, params=params, text=original)
        if _looks_like_formula(text):
            from actlab.catalog.expression import expression_from_text

            return Resolved(expression_from_text(text), None, {}, {}, original)
        raise UnknownActivationError(text, list(self._specs) + list(self._lookup))

    def _is_name(self, head: str) -> bool:
        try:
            self._resolve_name(head)
        except UnknownActivationError:
            return False
        return True

    def _resolve_name(self, name: str) -> Resolved:
        entry = self._lookup.get(name) or self._folded.get(_fold(name))
        if entry is None and ":" in name:
            framework, rest = name.split(":", 1)
            base = self._resolve_name(rest)
            spec = base.spec.canonical
            if framework not in spec.flavors:
                raise UnknownActivationError(
                    name, [f"{f}:{spec.name}" for f in spec.flavors], what="flavor")
            fl = spec.flavors[framework]
            # "keras:LeakyReLU" means the Keras spelling whose last part is "LeakyReLU".
            last = _last_part(rest)
            for spelling, extra in fl.names.items():
                if _last_part(spelling) == last:
                    return self._flavored(spec, framework, dict(extra), name, spelling)
            return self._flavored(spec, framework, {}, name, None)
        entry = entry or self._entry(name)
        return self._flavored(self._specs[entry.spec_name], entry.flavor, dict(entry.defaults),
                              name, entry.spelling)

    @staticmethod
    def _flavored(spec: ActivationSpec, framework: str | None, defaults: dict[str, Any],
                  text: str, spelling: str | None) -> Resolved:
        """A Resolved computing as `framework` does (warning where that is a known bug)."""
        if framework is not None and spec.flavors[framework].warning:
            warnings.warn(f"{text}: {spec.flavors[framework].warning}", FrameworkBugWarning,
                          stacklevel=4)
        return Resolved(spec.for_flavor(framework), framework, defaults, {}, text, spelling)


def _last_part(spelling: str) -> str:
    return spelling.replace(":", ".").split(".")[-1]


def _fold(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def _looks_like_formula(text: str) -> bool:
    return bool(re.search(r"[+\-*/()<>=,^ ]", text)) or text == "x"


def _parse_call_args(spec: ActivationSpec, args: str, source: str) -> dict[str, Any]:
    if not args.strip():
        return {}
    call = parse_arguments(args, source)
    positional = [p.name for p in spec.params if p.role == "math"]
    if len(call.positional) > len(positional):
        raise ParameterError(f"{spec.name} takes at most {len(positional)} positional "
                             f"parameters ({', '.join(positional) or 'none'}) in {shown(source)}")
    values = dict(zip(positional, call.positional))
    for name, value in call.keywords.items():
        if name in values:
            raise ParameterError(f"{shown(source)} gives the parameter {name!r} twice")
        values[name] = value
    return values


def _parse_assignments(chunk: str, source: str) -> dict[str, Any]:
    call = parse_arguments(chunk, source, hint="write name=value")
    if call.positional:
        raise ParameterError(
            f"cannot read the parameters in {shown(source)}; write name=value")
    return call.keywords


_registry: Registry | None = None
_registry_lock = threading.Lock()
_builtin: dict[str, ActivationSpec] = {}


def registry() -> Registry:
    """The process-wide registry, filled with the built-in catalog on first use."""
    global _registry
    if _registry is None:
        with _registry_lock:
            if _registry is None:
                from actlab.catalog.dialects import with_dialects
                from actlab.catalog.families import all_specs

                reg = Registry()
                for spec in with_dialects(all_specs()):
                    reg.register(spec)
                    _builtin[spec.name] = spec
                _registry = reg
    return _registry


def is_builtin(spec: ActivationSpec) -> bool:
    """Whether `spec` is one of actlab's own catalog specs (not one a user made)."""
    registry()
    return _builtin.get(spec.name) is spec


def user_specs() -> list[ActivationSpec]:
    """The specs registered in this process beyond the built-in catalog."""
    return [s for s in registry().specs() if not is_builtin(s)]


def spec_from_value(payload: bytes) -> ActivationSpec:
    """A user's spec from its pickled fields; registered here when its name is free.

    Registering makes the name usable in the process that unpickles it (a study worker
    resolves trials by name); a name already taken keeps its own spec.
    """
    import pickle

    spec = ActivationSpec(**pickle.loads(payload))  # written by ActivationSpec.__reduce__
    reg = registry()
    if spec.name not in reg._specs:
        try:
            reg.register(spec)
        except RegistrationError:
            pass  # an alias of it belongs to another spec here: usable, not by name
    return spec


def spec_by_reference(name: str, origin: str = "catalog", source: str = "") -> ActivationSpec:
    """The spec a pickled reference points to (a registered name, or a formula)."""
    if origin == "expression" and source:
        from actlab.catalog.expression import expression_from_text

        return expression_from_text(source)
    spec = registry().resolve(name).spec.canonical
    return spec.for_flavor(source) if origin == "flavor" else spec


def register(spec: ActivationSpec, *, replace: bool = False) -> ActivationSpec:
    """Add a user's spec to the catalog (it becomes usable everywhere a name is)."""
    return registry().register(spec, replace=replace)


def resolve(text: str | ActivationSpec | Resolved) -> Resolved:
    return registry().resolve(text)


def spec(name: str | ActivationSpec) -> ActivationSpec:
    """The catalog spec a name, spelling or formula stands for (see `Registry.spec`)."""
    return registry().spec(name)


def names(family: str | None = None, flavor: str | None = None) -> list[str]:
    return registry().names(family=family, flavor=flavor)


def all_spellings(specs: Iterable[ActivationSpec]) -> dict[str, list[str]]:
    """For each spec, every spelling that resolves to it (for `actlab show`)."""
    reg = registry()
    wanted = {s.name for s in specs}
    out: dict[str, list[str]] = {n: [] for n in wanted}
    for key, entry in reg._lookup.items():
        if entry.spec_name in wanted:
            out[entry.spec_name].append(key)
    return out
