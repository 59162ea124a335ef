"""What people would rather look at than read: plots of activations and an HTML gallery.

- `plot_activations`: f, f′ and f″ of any activations, any flavor or parameters, formulas.
- `plot_transformation`: seed 001's view, the points of y = x and each output.
- `plot_vector_activations`: softmax, sparsemax, GLU... as input and output bars.
- `plot`: curves or bars, whichever the functions need.
- `build_gallery`: one self-contained page (and a PNG grid) of the whole catalog.
- `save_figure`: PNG, SVG or PDF by extension, never half-written.

The names load on first use (PEP 562), so that importing the CLI does not import
matplotlib for commands that draw nothing.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "OutputPathError": "figure_files",
    "save_figure": "figure_files",
    "plot": "function_plots",
    "plot_activations": "function_plots",
    "GalleryResult": "gallery",
    "build_gallery": "gallery",
    "PlotOptionError": "plot_options",
    "SEED_001_ACTIVATIONS": "transformation",
    "plot_transformation": "transformation",
    "SEED_004_INPUTS": "vector_plots",
    "plot_vector_activations": "vector_plots",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'actlab.report' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
