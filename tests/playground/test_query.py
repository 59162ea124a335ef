"""Reading request fields: activation lists, numbers, vectors, each checked and bounded."""

from __future__ import annotations

import pytest

from actlab.playground import query
from actlab.playground.query import QueryError


@pytest.mark.parametrize(("text", "items"), [
    ("gelu,mish", ["gelu", "mish"]),
    (" gelu , mish ,", ["gelu", "mish"]),
    ("leaky_relu(0.5),keras:elu", ["leaky_relu(0.5)", "keras:elu"]),
    ("where(x > 0, x, 0.1*x),tanh", ["where(x > 0, x, 0.1*x)", "tanh"]),
    ("x*sigmoid(b*x); b=1.702, c=2,relu", ["x*sigmoid(b*x); b=1.702, c=2", "relu"]),
    ("elu(alpha=1.5, inplace=False)", ["elu(alpha=1.5, inplace=False)"]),
])
def test_activation_lists_split_between_items_only(text, items):
    assert query.split_activation_list(text) == items


def test_activation_list_is_bounded_and_not_empty():
    with pytest.raises(QueryError, match="at most 2"):
        query.activation_list("a,b,c", "activations", 2)
    with pytest.raises(QueryError, match="at least one"):
        query.activation_list(" , ", "activations", 2)
    assert query.activation_list(None, "activations", 2, default=("relu",)) == ["relu"]


@pytest.mark.parametrize("bad", ["abc", "nan", "inf", "1e400", "", "11", True])
def test_numbers_are_finite_and_in_range(bad):
    with pytest.raises(QueryError):
        query.number(bad, "xmin", low=-10, high=10)


def test_numbers_and_whole_numbers_parse():
    assert query.number(" -2.5 ", "xmin", low=-10, high=10) == -2.5
    assert query.number(None, "xmin", low=-10, high=10, default=3.0) == 3.0
    assert query.whole_number("12", "n", low=1, high=20) == 12
    assert query.whole_number(4.0, "n", low=1, high=20) == 4
    for bad in ("1.5", "1e3", 2.5, "9" * 40, 21, False):
        with pytest.raises(QueryError):
            query.whole_number(bad, "n", low=1, high=20)


def test_vectors_are_bounded_in_count_length_and_size():
    assert query.vectors("1,2,3;0.1, 0.2,0.3", "vector", max_vectors=2, max_length=3,
                         max_abs=10, default=()) == [[1, 2, 3], [0.1, 0.2, 0.3]]
    for bad in ("1,2,3,4", "1,,2", "1,2;3;4", "1,x", "1,20"):
        with pytest.raises(QueryError):
            query.vectors(bad, "vector", max_vectors=2, max_length=3, max_abs=10, default=())


def test_unknown_fields_are_named():
    with pytest.raises(QueryError, match="'colour'"):
        query.known_fields({"colour": 1, "seed": 2}, ("seed",), "the request")
