"""Reading what a client asks for: query-string values and JSON fields, checked and bounded.

Every parser raises `QueryError` with one sentence that names the field and what it must
be; the server answers it with HTTP 400.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from actlab.errors import ActlabError

_ASSIGNMENT = re.compile(r"\s*[A-Za-z_]\w*\s*=")


class QueryError(ActlabError, ValueError):
    """A request field that is missing, malformed or out of bounds."""


def split_activation_list(text: str) -> list[str]:
    """Split ``"gelu,leaky_relu(0.5),x*sigmoid(b*x); b=1.7"`` at the commas between items.

    Commas inside parentheses belong to a call or a function (``where(x > 0, x, 0)``), and
    after a formula's ``;`` a comma followed by ``name=`` continues its parameters.
    """
    items: list[str] = []
    current: list[str] = []
    depth = 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        if char == "," and depth == 0:
            piece = "".join(current)
            if ";" in piece and _ASSIGNMENT.match(text, index + 1):
                current.append(char)
                continue
            items.append(piece.strip())
            current = []
            continue
        current.append(char)
    items.append("".join(current).strip())
    return [item for item in items if item]


def activation_list(value: str | None, field: str, limit: int, *,
                    default: Sequence[str] = ()) -> list[str]:
    """A non-empty list of activation texts (names, spellings or formulas), at most `limit`."""
    if value is None or not value.strip():
        if default:
            return list(default)
        raise QueryError(f"{field} needs at least one activation name or formula")
    items = split_activation_list(value)
    if not items:
        raise QueryError(f"{field} needs at least one activation name or formula")
    if len(items) > limit:
        raise QueryError(f"{field} has {len(items)} activations; at most {limit} at once")
    return items


def number(value: Any, field: str, *, low: float, high: float,
           default: float | None = None) -> float:
    """A finite number in [low, high] (from text or JSON)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is None:
            raise QueryError(f"{field} is required")
        return default
    if isinstance(value, bool):
        raise QueryError(f"{field} must be a number, got {value!r}")
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise QueryError(f"{field} must be a number, got {_short(value)}") from None
    if not math.isfinite(result) or not low <= result <= high:
        raise QueryError(f"{field} must lie in [{low:g}, {high:g}], got {_short(value)}")
    return result


def whole_number(value: Any, field: str, *, low: int, high: int,
                 default: int | None = None) -> int:
    """A whole number in [low, high]."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is None:
            raise QueryError(f"{field} is required")
        return default
    if isinstance(value, bool):
        raise QueryError(f"{field} must be a whole number, got {value!r}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,12}\s*", value):
        value = int(value)
    if not isinstance(value, int):
        raise QueryError(f"{field} must be a whole number, got {_short(value)}")
    if not low <= value <= high:
        raise QueryError(f"{field} must lie in [{low}, {high}], got {value}")
    return value


def choice(value: Any, field: str, choices: Sequence[str], *, default: str | None = None) -> str:
    """One of a few names."""
    if value is None or value == "":
        if default is None:
            raise QueryError(f"{field} is required")
        return default
    if not isinstance(value, str) or value not in choices:
        raise QueryError(f"{field} must be one of {', '.join(choices)}, got {_short(value)}")
    return value


def vector(text: str, field: str, *, max_length: int, max_abs: float) -> list[float]:
    """A vector written as comma-separated numbers."""
    parts = [p.strip() for p in text.split(",")]
    if not text.strip() or any(not p for p in parts):
        raise QueryError(f"{field} must be numbers separated by commas, got {_short(text)}")
    if len(parts) > max_length:
        raise QueryError(f"{field} has {len(parts)} entries; at most {max_length}")
    return [number(p, f"{field} entry {i + 1}", low=-max_abs, high=max_abs)
            for i, p in enumerate(parts)]


def vectors(text: str | None, field: str, *, max_vectors: int, max_length: int,
            max_abs: float, default: Sequence[Sequence[float]]) -> list[list[float]]:
    """Several vectors separated by ';' (``1,2,3;0.1,0.2,0.3``)."""
    if text is None or not text.strip():
        return [list(v) for v in default]
    chunks = text.split(";")
    if len(chunks) > max_vectors:
        raise QueryError(f"{field} has {len(chunks)} vectors; at most {max_vectors}")
    return [vector(chunk, f"{field} {i + 1}", max_length=max_length, max_abs=max_abs)
            for i, chunk in enumerate(chunks)]


def whole_numbers(value: Any, field: str, *, max_count: int, low: int, high: int,
                  allow_empty: bool = False) -> list[int]:
    """A list of whole numbers, from JSON or comma-separated text (``"8,8"``)."""
    if isinstance(value, str):
        value = [p for p in (s.strip() for s in value.split(",")) if p]
    if not isinstance(value, list):
        raise QueryError(f"{field} must be a list of whole numbers, got {_short(value)}")
    if not value and not allow_empty:
        raise QueryError(f"{field} needs at least one entry")
    if len(value) > max_count:
        raise QueryError(f"{field} has {len(value)} entries; at most {max_count}")
    return [whole_number(v, f"{field} entry {i + 1}", low=low, high=high)
            for i, v in enumerate(value)]


def known_fields(data: Mapping[str, Any], allowed: Sequence[str], what: str) -> None:
    """Reject a field the request does not define (a typo would otherwise pass silently)."""
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise QueryError(f"{what} has unknown field {unknown[0]!r}; fields: "
                         f"{', '.join(allowed)}")


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"
