"""Reading parameter text a user types: `(0.2, alpha=1)` after a name, `a=1, b=2` after `;`.

The text is parsed with Python's parser as the arguments of a call and each value is read
with `ast.literal_eval`: nothing is ever evaluated as code. Anything that is not plain
`value, ..., name=value, ...` (a tuple of calls, `**{...}`, `*args`, a repeated name) is
refused with one sentence.
"""

from __future__ import annotations

import ast
import math
import numbers
from dataclasses import dataclass
from typing import Any

from actlab.errors import ParameterError

#: The longest parameter text read (the longest activation name is much shorter).
MAX_TEXT = 1000


@dataclass(frozen=True)
class CallArguments:
    """The literal values of a call's positional and keyword arguments, in order."""

    positional: tuple[Any, ...]
    keywords: dict[str, Any]


def check_length(text: str, what: str, limit: int = MAX_TEXT) -> None:
    """Refuse text longer than `limit` characters, without echoing it back."""
    if len(text) > limit:
        raise ParameterError(f"{what} is too long ({len(text):,} characters, at most "
                             f"{limit:,})")


def parse_arguments(args: str, source: str, *, hint: str = "") -> CallArguments:
    """The literals in `args`, read as the arguments of a call `f(args)`."""
    check_length(args, "the parameter text")
    problem = f"cannot read the parameters in {shown(source)}" + (f"; {hint}" if hint else "")
    try:
        tree = ast.parse(f"f({args})", mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise ParameterError(problem) from None
    call = tree.body
    # "1), (2" makes a tuple of two expressions and "1)(2" a call of a call: neither is
    # a list of arguments.
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
            and call.func.id == "f"):
        raise ParameterError(problem)
    positional = tuple(_literal(node, source) for node in call.args)
    keywords: dict[str, Any] = {}
    for keyword in call.keywords:
        if keyword.arg is None:
            raise ParameterError(f"{problem}: '**' unpacking is not a parameter")
        if keyword.arg in keywords:
            raise ParameterError(f"{shown(source)} gives the parameter {keyword.arg!r} twice")
        keywords[keyword.arg] = _literal(keyword.value, source)
    return CallArguments(positional, keywords)


def _literal(node: ast.AST, source: str) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise ParameterError(f"parameter values in {shown(source)} must be plain numbers, "
                             f"booleans, strings or None") from None


def finite_float(value: Any, what: str) -> float:
    """`value` as a finite float; ParameterError for non-numbers, overflow, inf and nan."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ParameterError(f"{what} must be a number, got {shown(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise ParameterError(f"{what} must be a finite number; "
                             f"{shown(value)} is too large for a float") from None
    if not math.isfinite(number):
        raise ParameterError(f"{what} must be a finite number, got {number!r}")
    return number


def shown(value: Any, limit: int = 80) -> str:
    """`repr(value)`, cut to `limit` characters so that a message stays one short line."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
