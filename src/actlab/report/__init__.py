"""What people would rather look at than read: plots of activations and an HTML gallery.

- `plot_activations`: f, f′ and f″ of any activations, any flavor or parameters, formulas.
- `plot_transformation`: seed 001's view, the points of y = x and each output.
- `plot_vector_activations`: softmax, sparsemax, GLU... as input and output bars.
- `plot`: curves or bars, whichever the functions need.
- `build_gallery`: one self-contained page (and a PNG grid) of the whole catalog.
- `save_figure`: PNG, SVG or PDF by extension, never half-written.
"""

from actlab.report.figure_files import OutputPathError, save_figure
from actlab.report.function_plots import plot, plot_activations
from actlab.report.gallery import GalleryResult, build_gallery
from actlab.report.plot_options import PlotOptionError
from actlab.report.transformation import SEED_001_ACTIVATIONS, plot_transformation
from actlab.report.vector_plots import SEED_004_INPUTS, plot_vector_activations

__all__ = [
    "SEED_001_ACTIVATIONS", "SEED_004_INPUTS", "GalleryResult", "OutputPathError",
    "PlotOptionError", "build_gallery", "plot", "plot_activations", "plot_transformation",
    "plot_vector_activations", "save_figure",
]
