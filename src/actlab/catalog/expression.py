"""Custom activations from a formula in x, safely: parsed, never evaluated as code.

``expression_spec("where(x > 0, x, a*(exp(x) - 1))", a=1.0)`` reads the text with
Python's parser (no evaluation), accepts only numbers, the variable ``x``, named
parameters, arithmetic, comparisons and a whitelist of functions, and builds a SymPy
expression from that tree. SymPy gives the exact first and second derivatives and the
LaTeX; a small tree walker evaluates any of them with torch ops. Properties are
estimated numerically and say so.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import math
import re
import sys
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import sympy
import torch

from actlab.catalog.call_text import (
    MAX_TEXT,
    check_length,
    finite_float,
    parse_arguments,
    shown,
)
from actlab.catalog.spec import INF, ActivationSpec, Param, Properties
from actlab.catalog.time_budget import time_budget
from actlab.errors import ExpressionError, ParameterError

Tensor = torch.Tensor

MAX_LENGTH = 500
MAX_NODES = 200
MAX_EXPONENT = 64
#: Constants in a formula stay within a float64's decimal exponent.
MAX_DECIMAL_EXPONENT = 308

X = sympy.Symbol("x", real=True)


# -- functions with stable derivatives and evaluation -------------------------------------------
class sigmoid(sympy.Function):  # noqa: N801  (named as users write it)
    """The logistic function, kept whole so it evaluates without overflow."""

    def fdiff(self, argindex: int = 1):
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _latex(self, printer):
        return r"\sigma\left(" + printer._print(self.args[0]) + r"\right)"


class softplus(sympy.Function):  # noqa: N801
    """log(1 + e^x), kept whole so it evaluates without overflow."""

    def fdiff(self, argindex: int = 1):
        return sigmoid(self.args[0])

    def _latex(self, printer):
        return r"\operatorname{softplus}\left(" + printer._print(self.args[0]) + r"\right)"


class where(sympy.Function):  # noqa: N801  (named as users write it)
    """where(condition, a, b): a where the condition holds, b elsewhere.

    Kept whole rather than made a SymPy Piecewise: Piecewise simplifies its conditions as
    it is built (sets, periodicity, rewriting), which takes minutes on some formulas. The
    derivative is taken branch by branch, as autograd does (kinks are handled apart).
    """

    nargs = 3

    @classmethod
    def eval(cls, condition, a, b):
        if condition is sympy.true:
            return a
        if condition is sympy.false:
            return b
        if a == b:  # structural equality: cheap
            return a
        return None

    def _eval_derivative(self, symbol):
        condition, a, b = self.args
        return where(condition, a.diff(symbol), b.diff(symbol))

    def _latex(self, printer):
        condition, a, b = self.args
        return printer._print(sympy.Piecewise((a, condition), (b, True), evaluate=False))


def _piecewise_max(a, b):
    return where(sympy.Ge(a, b), a, b)


def _piecewise_min(a, b):
    return where(sympy.Le(a, b), a, b)


def _relu(a):
    return where(sympy.Gt(a, 0), a, sympy.Integer(0))


def _where(cond, a, b):
    if isinstance(cond, (sympy.Symbol, sympy.Expr)) or not isinstance(
            cond, (sympy.logic.boolalg.Boolean, sympy.core.relational.Relational)):
        raise ExpressionError("the first argument of where() must be a comparison, "
                              "like where(x > 0, x, 0)")
    return where(cond, a, b)


def _clip(a, lo, hi):
    return _piecewise_min(_piecewise_max(a, lo), hi)


#: name -> (number of arguments, builder). The only functions a formula may call.
FUNCTIONS: dict[str, tuple[int, Callable[..., Any]]] = {
    "exp": (1, sympy.exp),
    "log": (1, sympy.log),
    "log1p": (1, lambda a: sympy.log(1 + a)),
    "sqrt": (1, sympy.sqrt),
    "abs": (1, sympy.Abs),
    "sign": (1, sympy.sign),
    "sin": (1, sympy.sin),
    "cos": (1, sympy.cos),
    "tan": (1, sympy.tan),
    "sinh": (1, sympy.sinh),
    "cosh": (1, sympy.cosh),
    "tanh": (1, sympy.tanh),
    "atan": (1, sympy.atan),
    "arctan": (1, sympy.atan),
    "asinh": (1, sympy.asinh),
    "erf": (1, sympy.erf),
    "erfc": (1, sympy.erfc),
    "sigmoid": (1, sigmoid),
    "softplus": (1, softplus),
    "relu": (1, _relu),
    "max": (2, _piecewise_max),
    "maximum": (2, _piecewise_max),
    "min": (2, _piecewise_min),
    "minimum": (2, _piecewise_min),
    "clip": (3, _clip),
    "where": (3, _where),
}
CONSTANTS = {"pi": sympy.pi, "e": sympy.E}

_BINOPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a ** b,
}
_COMPARE = {
    ast.Gt: sympy.Gt, ast.GtE: sympy.Ge, ast.Lt: sympy.Lt, ast.LtE: sympy.Le,
    ast.Eq: sympy.Eq, ast.NotEq: sympy.Ne,
}


class _Builder:
    """Turns a whitelisted Python expression tree into a SymPy expression."""

    def __init__(self, text: str, param_names: set[str]) -> None:
        self.text = text
        self.param_names = param_names
        self.symbols = {n: sympy.Symbol(n, real=True) for n in param_names}
        self.used: set[str] = set()

    def fail(self, what: str) -> ExpressionError:
        return ExpressionError(f"formula {self.text!r}: {what}")

    def build(self, node: ast.AST) -> Any:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise self.fail(f"{_describe(node)} is not allowed; formulas may use numbers, x, "
                            f"parameters, + - * / **, comparisons and the functions "
                            f"{', '.join(sorted(FUNCTIONS))}")
        result = method(node)
        if isinstance(result, sympy.Expr) and not result.free_symbols:
            self.check_number(result)
        return result

    def check_number(self, value: sympy.Expr) -> None:
        """Refuse a constant part that a float cannot hold (SymPy would keep it exact)."""
        try:
            approx = approximate(value)
        except _Undefined:
            return  # a division by zero: parse_formula says so once the tree is built
        except _NotReal:
            raise self.fail(f"{_clip_text(value)} is not a real number") from None
        if approx is not None and not math.isfinite(approx):
            raise self.fail(f"the number {_clip_text(value)} is too large for a float")

    def _Expression(self, node: ast.Expression):
        return self.build(node.body)

    def _Constant(self, node: ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise self.fail(f"the constant {shown(node.value)} is not a number")
        if isinstance(node.value, int) and abs(node.value) < 10**15:
            return sympy.Integer(node.value)
        try:
            value = float(node.value)
        except OverflowError:
            value = math.inf
        if not math.isfinite(value):
            raise self.fail(f"numbers must be finite (at most {sys.float_info.max:.3g} in "
                            f"size), got {shown(node.value, 40)}")
        return sympy.Float(value)

    def _Name(self, node: ast.Name):
        if node.id == "x":
            return X
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        if node.id in self.symbols:
            self.used.add(node.id)
            return self.symbols[node.id]
        if node.id in FUNCTIONS:
            raise self.fail(f"{node.id} is a function; call it, e.g. {node.id}(x)")
        raise self.fail(f"unknown name {node.id!r}; give parameters a value, "
                        f"e.g. expression(formula, {node.id}=1.0)")

    def _UnaryOp(self, node: ast.UnaryOp):
        operand = self.build(node.operand)
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return operand
        if isinstance(node.op, ast.Not):
            return sympy.Not(operand)
        raise self.fail(f"the operator {type(node.op).__name__} is not allowed")

    def _BinOp(self, node: ast.BinOp):
        op = _BINOPS.get(type(node.op))
        if op is None:
            raise self.fail(f"the operator {type(node.op).__name__} is not allowed")
        left, right = self.build(node.left), self.build(node.right)
        if isinstance(node.op, ast.Pow) and right.is_number:
            if abs(float(right)) > MAX_EXPONENT:
                raise self.fail(f"exponents are limited to ±{MAX_EXPONENT}")
            if left.is_number:
                # SymPy raises integers to integer powers exactly: (9**64)**64 has 3,900
                # digits, one more level 250,000. Bound the result's size before it is made.
                digits = _power_digits(left, right)
                if digits is not None and abs(digits) > MAX_DECIMAL_EXPONENT:
                    raise self.fail(f"the number ({_clip_text(left)})**({_clip_text(right)}) "
                                    f"is too {'large' if digits > 0 else 'small'} for a "
                                    f"float (about 10**{digits:.0f})")
        return op(left, right)

    def _BoolOp(self, node: ast.BoolOp):
        values = [self.build(v) for v in node.values]
        return sympy.And(*values) if isinstance(node.op, ast.And) else sympy.Or(*values)

    def _Compare(self, node: ast.Compare):
        parts = []
        left = self.build(node.left)
        for op, comparator in zip(node.ops, node.comparators):
            rel = _COMPARE.get(type(op))
            if rel is None:
                raise self.fail(f"the comparison {type(op).__name__} is not allowed")
            right = self.build(comparator)
            parts.append(rel(left, right))
            left = right
        return sympy.And(*parts) if len(parts) > 1 else parts[0]

    def _Call(self, node: ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else _describe(node.func)
            raise self.fail(f"unknown function {name!r}; allowed: {', '.join(sorted(FUNCTIONS))}")
        if node.keywords:
            raise self.fail(f"{node.func.id}() takes no keyword arguments")
        arity, builder = FUNCTIONS[node.func.id]
        if len(node.args) != arity:
            raise self.fail(f"{node.func.id}() takes {arity} argument"
                            f"{'s' if arity > 1 else ''}, got {len(node.args)}")
        return builder(*(self.build(a) for a in node.args))


def _describe(node: ast.AST) -> str:
    names = {"Attribute": "attribute access", "Subscript": "indexing", "Lambda": "lambda",
             "JoinedStr": "an f-string", "ListComp": "a comprehension", "Starred": "unpacking",
             "NamedExpr": "assignment", "IfExp": "if/else (use where())"}
    return names.get(type(node).__name__, type(node).__name__)


class _Undefined(Exception):
    """A constant that divides by zero."""


class _NotReal(Exception):
    """A constant whose value is not a real number (log of a negative number)."""


def _float_sigmoid(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v))


def _float_softplus(v: float) -> float:
    return max(v, 0.0) + math.log1p(math.exp(-abs(v)))


_FLOAT_FUNCTIONS: dict[type, Callable[[float], float]] = {
    sympy.exp: math.exp, sympy.log: math.log, sympy.sin: math.sin, sympy.cos: math.cos,
    sympy.tan: math.tan, sympy.sinh: math.sinh, sympy.cosh: math.cosh, sympy.tanh: math.tanh,
    sympy.atan: math.atan, sympy.asinh: math.asinh, sympy.erf: math.erf,
    sympy.erfc: math.erfc, sympy.Abs: abs,
    sympy.sign: lambda v: math.copysign(1.0, v) if v else 0.0,
    sigmoid: _float_sigmoid, softplus: _float_softplus,
}


def approximate(value: sympy.Expr) -> float | None:
    """The float64 value of a constant SymPy expression (inf where a float overflows).

    Computed with float arithmetic, so its cost does not grow with the size of the exact
    number; None for a kind of expression it does not know (SymPy's own evaluation is
    then left to judge it).
    """
    if value in (sympy.zoo, sympy.nan):
        raise _Undefined
    if value in (sympy.oo, -sympy.oo):
        return math.inf
    if value is sympy.I:
        raise _NotReal
    if value is sympy.pi:
        return math.pi
    if value is sympy.E:
        return math.e
    try:
        if value.is_Number:
            try:
                return float(value)
            except OverflowError:
                return math.inf
        args = [approximate(a) for a in value.args]
        if any(a is None for a in args):
            return None
        if isinstance(value, sympy.Add):
            return math.fsum(args)
        if isinstance(value, sympy.Mul):
            return math.prod(args)
        if isinstance(value, sympy.Pow):
            return math.pow(*args)
        function = _FLOAT_FUNCTIONS.get(type(value))
        return function(*args) if function is not None and len(args) == 1 else None
    except OverflowError:
        return math.inf
    except ZeroDivisionError:
        raise _Undefined from None
    except (ValueError, TypeError):
        raise _NotReal from None


def _power_digits(base: sympy.Expr, exponent: sympy.Expr) -> float | None:
    """log10 |base**exponent| for constants, from floats (None where unknown)."""
    try:
        b, e = approximate(base), approximate(exponent)
    except (_Undefined, _NotReal):
        return None
    if b is None or e is None or b == 0 or abs(b) == 1 or not math.isfinite(e):
        return None
    if not math.isfinite(b):
        return math.inf
    return e * math.log10(abs(b))


def _clip_text(value: Any, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def parse_formula(text: str, param_names: set[str] | frozenset[str] = frozenset()) -> sympy.Expr:
    """The SymPy expression of a formula, or an ExpressionError saying what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("a formula must be a non-empty string")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"formula is too long ({len(text)} characters, at most "
                              f"{MAX_LENGTH})")
    source = text.strip().replace("^", "**")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as err:
        raise ExpressionError(f"formula {text!r} is not valid: {err.msg} at column "
                              f"{err.offset}") from None
    count = sum(1 for _ in ast.walk(tree))
    if count > MAX_NODES:
        raise ExpressionError(f"formula {text!r} is too long ({count} parts, at most "
                              f"{MAX_NODES})")
    builder = _Builder(text, set(param_names))
    try:
        expr = builder.build(tree)
    except RecursionError:
        raise ExpressionError(f"formula {text!r} is nested too deeply") from None
    except (TypeError, ValueError, AttributeError, ArithmeticError) as err:
        # SymPy evaluates functions of float constants with mpmath as it builds them,
        # which can overflow (erfc(1e155)).
        if isinstance(err, ExpressionError):
            raise
        raise ExpressionError(f"formula {text!r} cannot be built: {err}") from None
    # A SymPy Symbol is also a Boolean: only what is not an Expr is a condition.
    if not isinstance(expr, sympy.Expr):
        raise ExpressionError(f"formula {text!r} is a condition, not a number; use "
                              f"where(condition, a, b)")
    unused = set(param_names) - builder.used
    if unused:
        raise ExpressionError(f"formula {text!r} does not use the parameters "
                              f"{', '.join(sorted(unused))}")
    if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise ExpressionError(f"formula {text!r} is undefined (it divides by zero)")
    return expr


# -- evaluation with torch ------------------------------------------------------------------------
def _unary(fn: Callable[[Tensor], Tensor]):
    return lambda args: fn(args[0])


def _pow(args):
    base, exponent = args
    if isinstance(exponent, float) and exponent == 0.5:
        return torch.sqrt(base)
    if isinstance(exponent, float) and exponent.is_integer() and isinstance(base, Tensor):
        return torch.pow(base, int(exponent))
    if isinstance(base, Tensor) or isinstance(exponent, Tensor):
        return torch.pow(base, exponent)
    return base ** exponent


def _mul(args):
    out = args[0]
    for a in args[1:]:
        out = out * a
    return out


def _add(args):
    out = args[0]
    for a in args[1:]:
        out = out + a
    return out


def _piecewise(args_pairs, like):
    # Evaluated from the last branch backwards so that earlier conditions win.
    result = None
    for value, cond in reversed(args_pairs):
        value = _as_tensor(value, like)
        if cond is True:
            result = value
        else:
            cond = _as_tensor(cond, like).bool()
            result = torch.where(cond, value, result if result is not None else
                                 torch.full_like(like, math.nan))
    return result


def _as_tensor(v, like: Tensor) -> Tensor:
    if isinstance(v, Tensor):
        return v if v.shape == like.shape else v.expand_as(like).clone()
    return torch.full_like(like, float(v)) if not isinstance(v, bool) else \
        torch.full(like.shape, v, dtype=torch.bool, device=like.device)


_TORCH: dict[type, Callable] = {
    sympy.Add: _add,
    sympy.Mul: _mul,
    sympy.Pow: _pow,
    sympy.exp: _unary(torch.exp),
    sympy.log: _unary(torch.log),
    sympy.sin: _unary(torch.sin),
    sympy.cos: _unary(torch.cos),
    sympy.tan: _unary(torch.tan),
    sympy.sinh: _unary(torch.sinh),
    sympy.cosh: _unary(torch.cosh),
    sympy.tanh: _unary(torch.tanh),
    sympy.atan: _unary(torch.atan),
    sympy.asinh: _unary(torch.asinh),
    sympy.erf: _unary(torch.erf),
    sympy.erfc: _unary(torch.erfc),
    sympy.Abs: _unary(torch.abs),
    sympy.sign: _unary(torch.sign),
    sigmoid: _unary(torch.sigmoid),
    softplus: _unary(lambda a: torch.clamp(a, min=0) + torch.log1p(torch.exp(-a.abs()))),
    sympy.Heaviside: _unary(lambda a: (a > 0).to(a.dtype) + 0.5 * (a == 0).to(a.dtype)),
    sympy.DiracDelta: _unary(lambda a: torch.zeros_like(a)),
    sympy.sech: _unary(lambda a: 1 / torch.cosh(a)),
    sympy.StrictGreaterThan: lambda a: a[0] > a[1],
    sympy.GreaterThan: lambda a: a[0] >= a[1],
    sympy.StrictLessThan: lambda a: a[0] < a[1],
    sympy.LessThan: lambda a: a[0] <= a[1],
    sympy.Equality: lambda a: a[0] == a[1],
    sympy.Unequality: lambda a: a[0] != a[1],
    sympy.And: lambda a: functools.reduce(lambda p, q: p & q, a),
    sympy.Or: lambda a: functools.reduce(lambda p, q: p | q, a),
    sympy.Not: lambda a: ~a[0] if isinstance(a[0], Tensor) else not a[0],
}


def evaluate(expr: sympy.Expr, x: Tensor, values: Mapping[str, Any]) -> Tensor:
    """Evaluate a SymPy expression of x (and parameters) with torch ops, elementwise."""
    cache: dict[Any, Any] = {}

    def walk(e):
        if e in cache:
            return cache[e]
        if e == X:
            out = x
        elif isinstance(e, sympy.Symbol):
            out = values[e.name]
        elif e is sympy.true:
            out = True
        elif e is sympy.false:
            out = False
        elif e.is_Number or e in (sympy.pi, sympy.E) or (e.is_number and not e.free_symbols):
            out = float(e)
        elif isinstance(e, where):
            condition, a, b = e.args
            out = _piecewise([(walk(a), walk(condition)), (walk(b), True)], x)
        elif isinstance(e, sympy.Piecewise):
            out = _piecewise([(walk(v), walk(c)) for v, c in e.args], x)
        else:
            fn = _TORCH.get(type(e))
            if fn is None:
                raise ExpressionError(f"cannot evaluate {type(e).__name__} in {e}")
            out = fn([walk(a) for a in e.args])
        cache[e] = out
        return out

    out = walk(expr)
    return _as_tensor(out, x) if not isinstance(out, Tensor) or out.shape != x.shape else out


# -- the spec -----------------------------------------------------------------------------------
def _simplify_derivative(expr: sympy.Expr) -> sympy.Expr:
    # Derivatives of piecewise functions carry DiracDelta terms at the kinks; almost
    # everywhere they are zero, which is the convention autograd follows too.
    return expr.replace(lambda e: isinstance(e, sympy.DiracDelta), lambda e: sympy.Integer(0))


#: Where the numeric kink search looks: steps of 1/200 on [-20, 20] (every simple fraction
#: lands on it exactly), then out to ±1e6 in geometric steps.
_KINK_GRID = torch.unique(torch.cat([
    torch.arange(-4000, 4001, dtype=torch.float64) / 200,
    torch.logspace(math.log10(20), 6, 200, dtype=torch.float64),
    -torch.logspace(math.log10(20), 6, 200, dtype=torch.float64)]))


def _kink_candidates(expr: sympy.Expr, values: Mapping[str, float]) -> list[float]:
    """The x where a comparison, abs, sign or step in `expr` switches: f may bend there.

    A side that is linear in x is solved exactly; any other is searched numerically (sign
    changes and zeros on a grid, refined by bisection), so that no formula can make this
    step run for long: SymPy's solve takes minutes on some cubics.
    """
    subs = {sympy.Symbol(k, real=True): v for k, v in values.items()}
    points: set[float] = set()
    for node in sympy.preorder_traversal(expr):
        sides = []
        if isinstance(node, sympy.core.relational.Relational):
            sides.append(node.lhs - node.rhs)
        elif isinstance(node, (sympy.Abs, sympy.sign, sympy.Heaviside)):
            sides.append(node.args[0])
        for side in sides:
            side = side.subs(subs)
            if X not in side.free_symbols:
                continue
            points.update(_zeros(side))
    return sorted(points)


def _zeros(side: sympy.Expr) -> set[float]:
    """The real zeros of `side` (a function of x): exact when linear, else numeric."""
    slope = sympy.diff(side, X)
    if not slope.free_symbols:
        try:
            root = approximate(-side.subs(X, 0) / slope) if slope != 0 else None
        except (_Undefined, _NotReal):
            root = None
        return {root} if root is not None and math.isfinite(root) else set()
    try:
        with torch.no_grad():
            y = evaluate(side, _KINK_GRID, {})
    except (ExpressionError, RuntimeError, TypeError, ValueError, ZeroDivisionError):
        return set()
    grid = _KINK_GRID
    finite = torch.isfinite(y)
    zeros = {float(v) for v in grid[finite & (y == 0)]}
    sign = torch.sign(y)
    change = finite[:-1] & finite[1:] & (sign[:-1] * sign[1:] < 0)
    starts = torch.nonzero(change).flatten()[:_MAX_KINKS]
    if len(starts):
        zeros.update(_bisect(side, grid[starts], grid[starts + 1], sign[starts]))
    return zeros


_MAX_KINKS = 100


def _bisect(side: sympy.Expr, low: Tensor, high: Tensor, low_sign: Tensor) -> list[float]:
    """Zeros of `side`, one in each [low, high] where it changes sign (all at once)."""
    for _ in range(64):  # halves an interval of 2e6 down to the last bit of a double
        middle = 0.5 * (low + high)
        value = evaluate(side, middle, {})
        exact = (value == 0) | ~torch.isfinite(value)
        left = torch.sign(value) == low_sign
        low = torch.where(exact, middle, torch.where(left, middle, low))
        high = torch.where(exact, middle, torch.where(left, high, middle))
    return (0.5 * (low + high)).tolist()


def _estimate_properties(f: Callable[[Tensor], Tensor], df: Callable[[Tensor], Tensor],
                         d2f: Callable[[Tensor], Tensor], nonsmooth: bool,
                         kinks: list[float]) -> Properties:
    # Steps of 1/200 hit every integer and simple fraction exactly (where 1/x blows up).
    grid = torch.cat([torch.arange(-4000, 4001, dtype=torch.float64) / 200,
                      torch.tensor([-1e3, -100.0, 100.0, 1e3], dtype=torch.float64)])
    grid, _ = torch.sort(grid)
    with torch.no_grad():
        y = f(grid)
        dy = df(grid)
    finite = torch.isfinite(y)
    if not bool(finite.all()):
        raise ExpressionError("the formula is not finite on all of the real line "
                              "(it is undefined for some inputs)")
    lo, hi = float(y.min()), float(y.max())
    # An end of the range is open and infinite if f still grows at the edge of the grid.
    if float(y[0]) == lo and float(dy[0]) > 1e-9 or float(y[-1]) == lo and float(dy[-1]) < -1e-9:
        lo = -INF
    if float(y[-1]) == hi and float(dy[-1]) > 1e-9 or float(y[0]) == hi and float(dy[0]) < -1e-9:
        hi = INF
    monotonic = bool((y[1:] - y[:-1] >= -1e-12 * (1 + y[1:].abs())).all())
    z, w = np.polynomial.hermite_e.hermegauss(120)
    w = w / w.sum()
    fz = f(torch.tensor(z)).numpy()
    with np.errstate(over="ignore", invalid="ignore"):  # huge values: inf, said as such
        mean, second = float(np.sum(w * fz)), float(np.sum(w * fz * fz))
    zero_centred = abs(mean) <= 0.1 * math.sqrt(max(second, 0.0))
    edge = torch.tensor([-1e3, 1e3], dtype=torch.float64)
    slopes = df(edge).abs()
    left, right = bool(slopes[0] < 1e-6), bool(slopes[1] < 1e-6)
    saturation = {(True, True): "both", (True, False): "left", (False, True): "right"}.get(
        (left, right), "none")
    smoothness: float = INF
    if nonsmooth:
        smoothness = 2
        if kinks:
            # Both sides of every kink at once: f, then f', then f'' (one call each).
            points = torch.tensor([k + side for k in kinks for side in (-1e-7, 1e-7)],
                                  dtype=torch.float64)
            smooth_so_far = torch.ones(len(kinks), dtype=torch.bool)
            for order, fn in ((-1, f), (0, df), (1, d2f)):
                values = fn(points).reshape(-1, 2)
                a, b = values[:, 0], values[:, 1]
                jumps = smooth_so_far & ((a - b).abs() > 1e-4 * (1 + a.abs()))
                if bool(jumps.any()):
                    smoothness = min(smoothness, order)
                smooth_so_far &= ~jumps
    return Properties((lo, hi), (math.isfinite(lo), math.isfinite(hi)), monotonic=monotonic,
                      smoothness=smoothness, zero_centred=zero_centred, saturation=saturation)


@functools.lru_cache(maxsize=256)
def _cached_spec(formula: str, params: tuple[tuple[str, float], ...]) -> ActivationSpec:
    try:
        with time_budget(f"formula {_clip_text(repr(formula), 80)}"):
            return _build_spec(formula, params)
    except ExpressionError:
        raise
    except (ArithmeticError, TypeError, ValueError, AttributeError, RecursionError) as err:
        # The symbolic steps (derivatives, LaTeX, kinks) run SymPy and mpmath on user
        # text; whatever they cannot do is a property of the formula, said in one line.
        raise ExpressionError(f"formula {formula!r} cannot be used: {type(err).__name__}: "
                              f"{_clip_text(err, 200)}") from None


def _build_spec(formula: str, params: tuple[tuple[str, float], ...]) -> ActivationSpec:
    values = dict(params)
    expr = parse_formula(formula, set(values))
    d1 = _simplify_derivative(sympy.diff(expr, X))
    d2 = _simplify_derivative(sympy.diff(d1, X))
    partials = {name: _simplify_derivative(sympy.diff(expr, sympy.Symbol(name, real=True)))
                for name in values}

    def compile_(e: sympy.Expr) -> Callable[..., Tensor]:
        return lambda x, **p: evaluate(e, x, p)

    forward, derivative, second = compile_(expr), compile_(d1), compile_(d2)
    nonsmooth = any(isinstance(n, (where, sympy.Piecewise, sympy.Abs, sympy.sign,
                                   sympy.Heaviside))
                    for n in sympy.preorder_traversal(expr))
    kinks = _kink_candidates(expr, values) if nonsmooth else []
    try:
        properties = _estimate_properties(lambda x: forward(x, **values),
                                          lambda x: derivative(x, **values),
                                          lambda x: second(x, **values), nonsmooth, kinks)
    except ExpressionError as err:
        raise ExpressionError(f"formula {formula!r}: {err}") from None
    except (RuntimeError, TypeError, ValueError) as err:
        raise ExpressionError(f"formula {formula!r} cannot be evaluated: {err}") from None
    source = formula + ("; " + ", ".join(f"{k}={v!r}" for k, v in params) if params else "")
    digest = hashlib.sha1(source.encode()).hexdigest()[:10]
    return ActivationSpec(
        name=f"custom_{digest}",
        family="custom",
        summary=f"Custom activation f(x) = {formula}",
        latex="f(x) = " + sympy.latex(expr),
        forward=forward,
        derivative=derivative,
        second_derivative=second,
        param_gradients={name: compile_(e) for name, e in partials.items()},
        params=tuple(Param(name, value, "parameter of the formula", learnable=True)
                     for name, value in params),
        kinks=tuple(kinks),
        properties=properties,
        class_name="Expression",
        notes="Derivatives are exact (SymPy); properties are estimated numerically.",
        origin="expression",
        source=source,
    )


def expression_spec(formula: str, **params: float) -> ActivationSpec:
    """A full spec from a formula in x with named parameters (their default values)."""
    if not isinstance(formula, str):
        raise ExpressionError(f"a formula must be a string, got {type(formula).__name__}")
    if len(formula) > MAX_LENGTH:
        raise ExpressionError(f"formula is too long ({len(formula):,} characters, at most "
                              f"{MAX_LENGTH})")
    clean = {}
    for name, value in params.items():
        if not re.fullmatch(r"[A-Za-z_]\w{0,63}", name) or name in ("x", *FUNCTIONS,
                                                                     *CONSTANTS):
            raise ExpressionError(f"{shown(name)} cannot be a parameter name")
        try:
            clean[name] = finite_float(value, f"parameter {name}")
        except ParameterError as err:
            raise ExpressionError(str(err)) from None
    return _cached_spec(formula.strip(), tuple(sorted(clean.items())))


def expression_from_text(text: str) -> ActivationSpec:
    """A spec from ``"formula"`` or ``"formula; a=1.0, b=2"`` (how names carry formulas)."""
    try:
        check_length(text, "a formula with its parameters", MAX_TEXT)
        formula, _, assignments = text.partition(";")
        params: dict[str, Any] = {}
        if assignments.strip():
            call = parse_arguments(assignments, text, hint="write 'formula; a=1.0, b=2'")
            if call.positional:
                raise ExpressionError(f"cannot read the parameters in {shown(text)}; write "
                                      f"'formula; a=1.0, b=2'")
            params = call.keywords
    except ParameterError as err:
        raise ExpressionError(str(err)) from None
    return expression_spec(formula, **params)
