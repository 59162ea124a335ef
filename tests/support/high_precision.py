"""A catalog spec against its paper's formula evaluated in mpmath, point by point.

The family tests give the formula (an mpmath function of one mpf), the points and the
relative tolerance of the values; this checks f, f′ and f″ of the spec in float64 at every
point. Derivatives come from `mp.diff` on the paper's formula, so they are independent of
the spec's hand-written ones. Points within 1e-2 of a kink are checked for the value only
(a numerical derivative across a kink means nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import mpmath as mp
import torch

F64 = torch.float64

#: f′ and f″ are checked to 1e-11 and 1e-10 relative: mp.diff's finite differences at the
#: working precision are good to far better; the spec's float64 formulas lose a few digits
#: where terms cancel.
DERIVATIVE_RTOL = (1e-11, 1e-10)


def close(got: float, want, rel: float, abs_: float) -> bool:
    return abs(got - float(want)) <= rel * abs(float(want)) + abs_


def check_against_paper(spec, formula: Callable, points: Sequence[float], *, value_rtol: float,
                        bound=None,
                        special: Callable[[float, float, float, float], bool] | None = None
                        ) -> None:
    """Assert the spec's f, f′, f″ at `points` equal the paper's `formula`.

    `special(x, y, d1, d2)` may check a point itself (where mpmath cannot resolve the
    formula in reasonable precision) and return True to skip the general check there.
    """
    bound = spec.bind() if bound is None else bound
    values = spec.math_values(bound)
    x = torch.tensor(list(points), dtype=F64)
    y = spec.forward(x, **values)
    d1 = spec.derivative(x, **values)
    d2 = spec.second_derivative(x, **values)
    kinks = spec.kink_points(bound)
    name = spec.name
    for i, xv in enumerate(points):
        if special is not None and special(xv, float(y[i]), float(d1[i]), float(d2[i])):
            continue
        xm = mp.mpf(xv)
        # Far out a gate is within e^{-|x|} of its limit: ~0.45·|x| digits resolve f and f′.
        with mp.workdps(50 if abs(xv) < 19 else 400):
            want = formula(xm)
            exact_point = any(abs(xv - k) < 1e-2 for k in kinks)
            if not exact_point:
                want1, want2 = mp.diff(formula, xm), mp.diff(formula, xm, 2)
        assert close(float(y[i]), want, value_rtol, 1e-300), (name, xv, float(y[i]), want)
        if exact_point:
            continue
        # Near the origin a derivative may vanish: a tiny absolute slack there; in the
        # tails the check stays purely relative.
        floor = 1e-16 if abs(xv) < 50 else 1e-300
        rtol1, rtol2 = DERIVATIVE_RTOL
        assert close(float(d1[i]), want1, rtol1, floor), (name, xv, float(d1[i]), want1)
        assert close(float(d2[i]), want2, rtol2, floor), (name, xv, float(d2[i]), want2)
