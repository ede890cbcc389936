"""``ember.testing.assert_close`` against ``torch.testing.assert_close``: verdicts and messages."""

import numpy as np
import pytest
import torch

import ember

NAN, INF = float("nan"), float("inf")


def pair(a, b, dtype=None):
    """The same (actual, expected) for Ember and torch."""
    conv = lambda lib, v: lib.tensor(v, dtype=None if dtype is None else getattr(lib, dtype))
    return (conv(ember, a), conv(ember, b)), (conv(torch, a), conv(torch, b))


def outcome(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - the exception is what is compared
        return type(e).__name__, str(e).replace("torch.", "ember.")
    return "ok", ""


CASES = [
    pair([1.0, 2.0, 3.0], [1.0, 2.5, 3.0]),
    pair([1.0, 2.0], [1.0, 2.0 + 1e-7]),
    pair([[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 5.0]]),
    pair([1, 2], [1, 3]),
    pair([True, False], [True, True]),
    pair([NAN], [NAN]),
    pair([1.0, INF], [1.0, INF]),
    pair([1.0, INF], [1.0, -INF]),
    pair([1.0, 2.0], [1.0, 2.1], "float64"),
    pair([1.0, 2.0], [1.0, 2.1], "bfloat16"),
    pair([1.0, 2.0], [1.0, 2.001], "float16"),
    pair(1.5, 1.75),
    pair([1.0, 2.0], [1.0, 2.0, 3.0]),
]


@pytest.mark.parametrize("ours,ref", CASES)
def test_tensor_comparisons_match_torch(ours, ref):
    assert outcome(ember.testing.assert_close, *ours) == \
        outcome(torch.testing.assert_close, *ref)


@pytest.mark.parametrize("kwargs", [
    dict(rtol=0.2, atol=0.0), dict(rtol=0.0, atol=0.0), dict(equal_nan=True),
    dict(msg="custom"), dict(msg=lambda m: "X " + m[:20]),
])
def test_options_match_torch(kwargs):
    for a, b in ([1.0, 2.0], [1.0, 2.2]), ([NAN, 1.0], [NAN, 1.0]):
        (ea, eb), (ta, tb) = pair(a, b)
        assert outcome(ember.testing.assert_close, ea, eb, **kwargs) == \
            outcome(torch.testing.assert_close, ta, tb, **kwargs)


@pytest.mark.parametrize("make", [
    lambda lib: (lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0], dtype=lib.float64)),
    lambda lib: (lib.tensor([1.0, 2.0]), 1.0),
    lambda lib: ([lib.tensor(1.0), lib.tensor(2.0)], [lib.tensor(1.0), lib.tensor(2.1)]),
    lambda lib: ({"a": lib.tensor(1.0)}, {"a": lib.tensor(1.5)}),
    lambda lib: ([lib.tensor(1.0)], [lib.tensor(1.0), lib.tensor(2.0)]),
    lambda lib: ({"a": 1.0}, {"b": 1.0}),
    lambda lib: ((1, 2), [1, 2]),
    lambda lib: (1.0, 1.0 + 1e-9), lambda lib: (1.0, 1.1), lambda lib: (2, 3),
    lambda lib: (True, False),
    lambda lib: (lib.ones(2, 2), lib.ones(2, 2).t()),
])
def test_structures_and_scalars_match_torch(make):
    ours, theirs = outcome(ember.testing.assert_close, *make(ember)), \
        outcome(torch.testing.assert_close, *make(torch))
    # The class of a tensor in a type error is each library's own.
    assert ours == (theirs[0], theirs[1].replace("ember.Tensor", "ember.tensor.Tensor"))


def test_check_dtype_and_stride_options_match_torch():
    for kwargs, make in ((dict(check_dtype=False),
                          lambda lib: (lib.tensor([1.0, 2.0]),
                                       lib.tensor([1.0, 2.0], dtype=lib.float64))),
                         (dict(check_stride=True), lambda lib: (lib.ones(2, 2),
                                                                lib.ones(2, 2).t()))):
        assert outcome(ember.testing.assert_close, *make(ember), **kwargs) == \
            outcome(torch.testing.assert_close, *make(torch), **kwargs)


def test_tolerances_must_come_together():
    for rtol, atol in ((0.1, None), (None, 0.1)):
        assert outcome(ember.testing.assert_close, ember.ones(1), ember.ones(1), rtol=rtol,
                       atol=atol) == outcome(torch.testing.assert_close, torch.ones(1),
                                             torch.ones(1), rtol=rtol, atol=atol)


@pytest.mark.parametrize("make,kwargs", [
    # Python numbers of different types: a dtype mismatch unless check_dtype=False
    (lambda lib: (1, 1.0), {}),
    (lambda lib: ([1, 2.0], [1.0, 2.0]), {}),
    (lambda lib: (1, 1.0), dict(check_dtype=False)),
    (lambda lib: (1, 1.0), dict(msg="custom")),
    # structural mismatches ignore msg, as PyTorch's
    (lambda lib: ([lib.tensor(1.0)], [lib.tensor(1.0), lib.tensor(2.0)]), dict(msg="custom")),
    (lambda lib: ({"a": [1]}, {"a": [1, 2]}), dict(msg=lambda m: "X" + m)),
    (lambda lib: ({"a": 1.0}, {"b": 1.0}), dict(msg="custom")),
    # NumPy arrays are tensor-likes
    (lambda lib: (np.array([1.0, 2.0]), np.array([1.0, 2.5])), {}),
    (lambda lib: (np.array([1, 2]), np.array([1, 2])), {}),
    (lambda lib: (np.array([1.0, 2.0]), np.array([1.0, 2.0], dtype=np.float32)), {}),
])
def test_number_types_structure_messages_and_arrays_match_torch(make, kwargs):
    assert outcome(ember.testing.assert_close, *make(ember), **kwargs) == \
        outcome(torch.testing.assert_close, *make(torch), **kwargs)
