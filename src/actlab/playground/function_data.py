"""What the functions view shows, as JSON-ready data: curves, parameters, properties, vectors.

Every number comes from the catalog (`actlab.report.curves` samples its f, f′ and f″ in
float64 and finds the jumps). A plotted function also says how to rewrite its text with
other parameter values (`base` and `style`), so the page can turn sliders into a name
the catalog reads, e.g. ``elu(alpha=1.5)`` or ``x*sigmoid(b*x); b=2``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from actlab.catalog.registry import all_spellings, resolve
from actlab.catalog.spec import FLAVORS, ActivationSpec, Param
from actlab.errors import ActlabError
from actlab.report.curves import SEED_001_INPUTS, Curve, PlottedFunction, plotted_function
from actlab.report.vector_plots import SEED_004_INPUTS

#: Vector functions the vectors panel starts with.
DEFAULT_VECTOR_FUNCTIONS = ("softmax", "sparsemax", "log_softmax")
DEFAULT_VECTORS = tuple(list(v) for v in SEED_004_INPUTS)

_CALL = re.compile(r"^\s*(?P<head>[A-Za-z_][\w.]*(?::[A-Za-z_][\w.]*)?)\s*\(.*\)\s*$", re.S)
#: Parameters that are not a property of the function's shape (the axis it acts along).
_NOT_SLIDERS = frozenset({"dim", "axis"})


def finite_list(values: Any) -> list[float | None]:
    """Floats as a JSON list; NaN and ±inf (no value there) become null."""
    array = np.asarray(values, dtype=np.float64).ravel()
    # Seven significant digits are more than a plot resolves and keep responses small.
    return [float(f"{v:.7g}") if math.isfinite(v) else None for v in array.tolist()]


def finite(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def text_parts(text: str, spec: ActivationSpec) -> tuple[str, str]:
    """(base, style): the text without its parameters, and how parameters are written."""
    if spec.origin == "expression":
        return text.partition(";")[0].strip(), "formula"
    stripped = text.strip()
    call = _CALL.match(stripped)
    if call:
        return call["head"], "call"
    head = [p.strip() for p in stripped.split(":") if "=" not in p]
    return ":".join(head), "call"


def _slider(param: Param, value: Any, default: Any) -> dict[str, Any] | None:
    """How the page edits one parameter (None: not editable there)."""
    if param.role != "math" or param.name in _NOT_SLIDERS or param.kind == "axes":
        return None
    entry: dict[str, Any] = {"name": param.name, "kind": param.kind, "doc": param.doc,
                             "constraint": param.describe_constraint(),
                             "value": value, "default": default}
    if param.kind == "choice":
        entry["choices"] = list(param.choices)
        return entry
    if param.kind == "bool":
        return entry
    if param.kind not in ("float", "int", "optional_float"):
        return None
    centre = value if isinstance(value, (int, float)) else (
        default if isinstance(default, (int, float)) else 0.0)
    span = max(2.0, 2.0 * abs(float(centre)))
    low = param.low if param.low is not None else min(0.0, float(centre) - span)
    high = param.high if param.high is not None else float(centre) + span
    entry.update(low=float(low), high=float(high), low_open=param.low_open,
                 high_open=param.high_open, step=1 if param.kind == "int" else None)
    return entry


def _spellings(spec: ActivationSpec) -> list[str]:
    """Texts that name the function with each framework's defaults."""
    if spec.origin != "catalog":
        return []
    texts = [spec.name] + [f"{f}:{spec.name}" for f in FLAVORS if f in spec.flavors]
    qualified = [s for s in all_spellings([spec]).get(spec.name, []) if "." in s]
    return list(dict.fromkeys(texts + qualified))


def _curve_json(curve: Curve) -> dict[str, Any]:
    return {"x": finite_list(curve.x), "y": finite_list(curve.y),
            "jumps": [{"x": j.x, "left": finite(j.left), "right": finite(j.right),
                       "value": finite(j.value)} for j in curve.jumps]}


def describe_function(text: str, grid: np.ndarray) -> dict[str, Any]:
    """Everything the functions view shows about one activation text."""
    function = plotted_function(text)
    spec = function.spec
    resolved = function.resolved
    base, style = text_parts(text, spec)
    defaults = resolve(base).bind(fill_examples=True) if style == "call" else {
        p.name: p.default for p in spec.params}
    params = [s for s in (_slider(p, function.params[p.name], defaults.get(p.name))
                          for p in spec.params) if s is not None]
    entry: dict[str, Any] = {
        "text": text, "label": function.label, "name": spec.name, "family": spec.family,
        "kind": spec.kind, "flavor": resolved.flavor, "summary": spec.summary,
        "latex": spec.latex, "properties": spec.properties.as_dict(),
        "notes": spec.notes, "references": list(spec.references),
        "base": base, "style": style, "params": params, "spellings": _spellings(spec),
        "origin": spec.origin,
    }
    if spec.origin == "expression":
        entry["properties_note"] = "estimated numerically from the formula"
    if function.elementwise:
        low, high = float(grid[0]), float(grid[-1])
        entry["curves"] = [_curve_json(function.curve(grid, order)) for order in range(3)]
        entry["kinks"] = list(function.kinks(low, high))
        entry["transformation"] = {"x": finite_list(SEED_001_INPUTS),
                                   "y": finite_list(function.values(SEED_001_INPUTS)),
                                   "whole_vector": False}
    elif spec.kind == "vector":
        entry["transformation"] = {"x": finite_list(SEED_001_INPUTS),
                                   "y": finite_list(function.vector_values(SEED_001_INPUTS)),
                                   "whole_vector": True}
    return entry


def functions_view(texts: Sequence[str], x_min: float, x_max: float,
                   points: int) -> dict[str, Any]:
    """The functions view for several activations on x in [x_min, x_max]."""
    if not x_min < x_max:
        raise ActlabError(f"the x range must have xmin < xmax, got {x_min:g} and {x_max:g}")
    grid = np.linspace(x_min, x_max, points)
    functions = []
    for text in texts:
        try:
            functions.append(describe_function(text, grid))
        except ActlabError as err:
            raise ActlabError(f"{text}: {err}") from None
    return {"x_range": [x_min, x_max], "functions": functions}


def _vector_function(text: str) -> PlottedFunction:
    function = plotted_function(text)
    if function.spec.kind != "vector":
        raise ActlabError(f"{text} is {'an' if function.spec.kind[0] in 'ae' else 'a'} "
                          f"{function.spec.kind} function; the vectors panel takes functions of "
                          f"a whole vector (softmax, sparsemax, log_softmax, softmin, ...)")
    return function


def vectors_view(texts: Sequence[str], inputs: Sequence[Sequence[float]]) -> dict[str, Any]:
    """Each vector function applied to each input vector."""
    results = []
    for text in texts:
        try:
            function = _vector_function(text)
            outputs = [finite_list(function.vector_values(np.asarray(v, dtype=np.float64)))
                       for v in inputs]
        except ActlabError as err:
            raise ActlabError(f"{text}: {err}") from None
        results.append({"text": text, "label": function.label, "latex": function.spec.latex,
                        "outputs": outputs})
    return {"inputs": [finite_list(v) for v in inputs], "functions": results}


def catalog_overview() -> dict[str, Any]:
    """Names, families and kinds of every catalog activation, and the formula vocabulary."""
    from actlab.catalog.expression import CONSTANTS, FUNCTIONS
    from actlab.catalog.registry import registry

    specs = registry().specs()
    return {
        "activations": [{"name": s.name, "family": s.family, "kind": s.kind,
                         "flavors": [f for f in FLAVORS if f in s.flavors],
                         "summary": s.summary} for s in specs],
        "formula_functions": sorted(FUNCTIONS), "formula_constants": sorted(CONSTANTS),
    }
